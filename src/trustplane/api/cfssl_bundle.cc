#include "trustplane/api/cfssl_bundle.h"

#include <openssl/x509v3.h>

#include <algorithm>

#include "trustplane/api/cfssl_certinfo.h"
#include "trustplane/pki/native.h"
#include "trustplane/pki/private_key.h"

namespace trustplane::api {

namespace {

constexpr int64_t kExpiringSoonSeconds = 30 * 24 * 3600;  // cfssl's expiring_SKIs window

std::string KeyType(const x509::PublicKeyInfo& key) {
  switch (key.type) {
    case x509::KeyType::kRsa:
      return std::to_string(key.bits) + "-bit RSA";
    case x509::KeyType::kEc:
      return std::to_string(key.bits) + "-bit ECDSA";
    default:
      return key.description;
  }
}

nlohmann::json OcspUrls(X509* cert) {
  nlohmann::json urls = nlohmann::json::array();
  STACK_OF(OPENSSL_STRING)* list = X509_get1_ocsp(cert);
  for (int i = 0; i < sk_OPENSSL_STRING_num(list); ++i) urls.push_back(sk_OPENSSL_STRING_value(list, i));
  X509_email_free(list);  // OpenSSL frees X509_get1_ocsp's list with this
  return urls;
}

bool HasCrlDistributionPoints(const X509* cert) {
  return X509_get_ext_by_NID(cert, NID_crl_distribution_points, -1) >= 0;
}

}  // namespace

Result<nlohmann::json> BundleJson(const BundleRequest& request, const x509::TrustMaterial& trust, UnixSeconds now) {
  if (request.certificates.empty()) return Status::InvalidArgument("no certificate to bundle");
  const std::string flavor = request.flavor.empty() ? "ubiquitous" : request.flavor;
  if (flavor != "ubiquitous" && flavor != "optimal" && flavor != "force") {
    return Status::InvalidArgument("bundle flavor '" + flavor + "' is not ubiquitous, optimal or force");
  }
  const x509::Certificate& leaf = request.certificates.front();
  const std::vector<x509::Certificate> presented(request.certificates.begin() + 1, request.certificates.end());
  pki::X509Ptr native = pki::NativeCopy(leaf);
  if (!native) return Status::Internal("cannot decode the certificate");
  if (!request.domain.empty() &&
      X509_check_host(native.get(), request.domain.data(), request.domain.size(), 0, nullptr) != 1) {
    return Status::Policy("the certificate " + leaf.subject() + " is not valid for host name " + request.domain);
  }
  if (!request.ip.empty() && X509_check_ip_asc(native.get(), request.ip.c_str(), 0) != 1) {
    return Status::Policy("the certificate " + leaf.subject() + " does not name IP address " + request.ip);
  }

  x509::TrustMaterial material;
  material.anchors = trust.anchors;
  if (flavor != "force") material.intermediates = trust.intermediates;
  x509::VerifyOptions options;
  options.at = now;
  options.require_client_auth_eku = false;
  options.crypto.rsa_bits = {2048, 3072, 4096, 6144, 8192};
  options.crypto.ec_curves = {"P-256", "P-384", "P-521"};
  options.crypto.allow_ed25519 = true;
  options.crypto.max_name_constraints = 1 << 20;
  const x509::VerifyResult result = x509::ChainVerifier(std::move(material)).Verify(leaf, presented, options);
  if (!result.ok) return Status::Policy("no chain to a trusted root: " + result.error + ": " + result.detail);

  // The bundle is the certificate and its intermediates; the root apart.
  std::string bundle;
  UnixSeconds expires = leaf.not_after();
  nlohmann::json expiring = nlohmann::json::array();
  for (size_t i = 0; i < result.chain.size(); ++i) {
    const x509::Certificate& c = result.chain[i];
    if (i + 1 < result.chain.size()) bundle += c.ToPem();
    expires = std::min(expires, c.not_after());
    if (c.not_after() - now < kExpiringSoonSeconds) expiring.push_back(c.subject_key_id());
  }
  // Rebundled: the chain is not what was sent (intermediates added, dropped or reordered).
  const bool rebundled = !std::equal(result.chain.begin(), result.chain.end() - 1, request.certificates.begin(),
                                     request.certificates.end());
  const nlohmann::json ocsp = OcspUrls(native.get());
  return nlohmann::json{
      {"bundle", bundle},
      {"root", result.chain.back().ToPem()},
      {"crt", leaf.ToPem()},
      {"key", ""},
      {"key_type", KeyType(leaf.public_key())},
      {"key_size", leaf.public_key().bits},
      {"issuer", CfsslNamePath(leaf.issuer())},
      {"subject", CfsslNamePath(leaf.subject())},
      {"expires", FormatRfc3339(expires)},
      {"leaf_expires", FormatRfc3339(leaf.not_after())},
      {"hostnames", leaf.sans().dns},
      {"ocsp", ocsp},
      {"ocsp_support", !ocsp.empty()},
      {"crl_support", HasCrlDistributionPoints(native.get())},
      {"signature", GoSignatureAlgorithm(leaf.signature_algorithm())},
      {"status",
       {{"code", 0},
        {"messages", nlohmann::json::array()},
        {"rebundled", rebundled},
        {"expiring_SKIs", expiring},
        {"untrusted_root_stores", nlohmann::json::array()}}},
  };
}

Result<bool> KeyMatchesCertificate(std::string_view key_pem, const x509::Certificate& cert) {
  TP_ASSIGN_OR_RETURN(pki::PrivateKey key, pki::PrivateKey::FromPem(key_pem));
  pki::X509Ptr native = pki::NativeCopy(cert);
  if (!native) return Status::Internal("cannot decode the certificate");
  return key.public_key_der() == pki::ToDer<X509_PUBKEY, i2d_X509_PUBKEY>(X509_get_X509_PUBKEY(native.get()));
}

}  // namespace trustplane::api
