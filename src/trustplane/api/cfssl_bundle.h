// cfssl's bundle, for the `bundle` endpoint of `ca serve` and for
// `trustplane ca bundle`: the chain from a certificate to a trusted root,
// built by the chain verifier the gateway uses (without the load balancer's
// clientAuth and key restrictions: any certificate may be bundled), and the
// result object cfssl's bundler answers with.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/base/time.h"
#include "trustplane/x509/certificate.h"
#include "trustplane/x509/chain_verifier.h"

namespace trustplane::api {

struct BundleRequest {
  // The certificate to bundle, then any intermediates its holder sends.
  std::vector<x509::Certificate> certificates;
  // cfssl's flavors: "ubiquitous" (default) and "optimal" build the chain
  // from the trusted intermediates and the ones sent (one root store here, so
  // both find the same chain); "force" only from the ones sent.
  std::string flavor = "ubiquitous";
  std::string domain;  // when set, the certificate must be valid for this host name
  std::string ip;      // when set, the certificate must name this IP address
};

// cfssl's result: bundle (the certificate and its intermediates, PEM), root,
// crt, key (always "": a private key is never sent back), key_type,
// key_size, issuer, subject, expires (the chain's first notAfter),
// leaf_expires, hostnames, ocsp, ocsp_support, crl_support, signature and
// status {code, messages, rebundled, expiring_SKIs (certificates of the
// chain expiring within 30 days), untrusted_root_stores}.
// kInvalidArgument: no certificate, an unknown flavor. kPolicy: no chain to
// a trusted root (with the verifier's reason), or the certificate is not
// valid for `domain` / `ip`.
Result<nlohmann::json> BundleJson(const BundleRequest& request, const x509::TrustMaterial& trust, UnixSeconds now);

// Whether the PEM private key belongs to cert (cfssl's bundle checks a key
// sent along with the certificate). kInvalidArgument when it is not a key.
Result<bool> KeyMatchesCertificate(std::string_view key_pem, const x509::Certificate& cert);

}  // namespace trustplane::api
