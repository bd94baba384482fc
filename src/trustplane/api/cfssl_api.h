// CfsslApi: cfssl's /api/v1/cfssl/ HTTP API (what `cfssl serve` answers) on
// trustplane's signer, certdb and OCSP responder, plus the DER CRL at /crl
// and RFC 6960 OCSP at /ocsp.
//
//   POST sign, authsign, newkey, newcert, info, certinfo, revoke;  GET crl, health
//   GET /crl                 the CA's CRL as DER (application/pkix-crl)
//   GET /ocsp/<base64>, POST /ocsp   OCSP (with an OcspResponder)
//
// Differences from cfssl, on purpose: every endpoint that issues a
// certificate (sign, authsign, newcert) requires the profile's auth key when
// the profile has one — newcert then takes authsign's envelope
// {"token", "request": base64(newcert request)}; `sign` stays available for
// profiles without auth keys even when others have them; optional replay
// protection (see replay_guard.h); "extensions" and "crl_override" are
// refused instead of silently dropped.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "trustplane/base/status.h"
#include "trustplane/net/http_server.h"
#include "trustplane/pki/certdb.h"
#include "trustplane/pki/ocsp_responder.h"
#include "trustplane/pki/private_key.h"
#include "trustplane/pki/signer.h"
#include "trustplane/x509/chain_verifier.h"

namespace trustplane::api {

struct CfsslApiOptions {
  // None: the issuing endpoints, info and crl answer that no CA is configured.
  std::optional<pki::Signer> signer;
  // The signer's CA key, for CRLs.
  std::optional<pki::PrivateKey> ca_key;
  // Where issued certificates are recorded and revocations made; must
  // outlive the API, which serializes all access to it. Null: none (revoke,
  // crl and certinfo by serial then answer that there is no certdb).
  pki::CertDb* certdb = nullptr;
  // Writes an issued certificate's row and returns it; required with a certdb.
  std::function<Result<pki::CertificateRecord>(pki::CertDb&, const pki::SignedCertificate&, const std::string& label)>
      record_issued;
  // Answers /ocsp; its stored response is signed at issue and at revoke. It
  // must use its own CertDb (connection).
  std::optional<pki::OcspResponder> ocsp;
  // Roots and intermediates the `bundle` endpoint builds chains to (cfssl
  // serve's -ca-bundle and -int-bundle). None: bundle answers that the
  // server has no roots to bundle to.
  std::optional<x509::TrustMaterial> bundle_trust;
  // 0: off, as in cfssl. Otherwise authenticated requests need a timestamp
  // within this many seconds, and a token is accepted once.
  int64_t replay_window_seconds = 0;
  int64_t crl_default_expiry_seconds = 7 * 24 * 3600;
};

class CfsslApi {
 public:
  // kInvalidArgument for a certdb without record_issued, or a CA key
  // without a signer.
  static Result<std::unique_ptr<CfsslApi>> Create(CfsslApiOptions options);
  // Answers the issued certificates still waiting for their commit first.
  ~CfsslApi();

  // Thread-safe; never throws. With a certdb, the answer to a request that
  // issues a certificate comes from the certdb's committer thread once the
  // row is durable; every other answer before this returns.
  void HandleAsync(net::HttpRequest request, net::HttpResponder respond) const;
  // HandleAsync, waiting for the answer.
  net::HttpResponse Handle(const net::HttpRequest& request) const;
  // cfssl's envelope for errors the HTTP server answers itself (413, 431, 400).
  static net::HttpResponse ServerError(int status, const std::string& message);

  struct State;

 private:
  explicit CfsslApi(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace trustplane::api
