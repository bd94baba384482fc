#include "trustplane/x509/certificate.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <ctime>

#include "trustplane/base/encoding.h"
#include "trustplane/x509/native_handle.h"

namespace trustplane::x509 {

struct Certificate::Data {
  X509Ptr x509;
  std::string der, spki_der;
  std::string subject, issuer, subject_der, issuer_der, common_name;
  std::string serial_hex, serial_decimal, serial_der_content;
  UnixSeconds not_before = 0, not_after = 0;
  SubjectAltNames sans;
  std::optional<std::string> spiffe_id;
  PublicKeyInfo key;
  std::string signature_algorithm, signature_digest;
  BasicConstraints basic_constraints;
  KeyUsage key_usage;
  ExtendedKeyUsage eku;
  std::string ski, aki;
  int name_constraints = 0;
  std::string sha256_raw, sha256, sha1;
  // Memo of VerifySelfSignature: -1 unknown, 0 invalid, 1 valid. Onboarding
  // checks each root once, possibly from a pool thread ahead of the policy.
  mutable std::atomic<int8_t> self_signature{-1};
};

namespace {

// Cap on what one certificate may be; the load balancer's own limit is 5 kB of PEM.
constexpr size_t kMaxCertificateDer = size_t{64} * 1024;

std::string AsString(const unsigned char* p, int n) {
  return n > 0 ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : "";
}

std::string Asn1Text(const ASN1_STRING* s) {
  return AsString(ASN1_STRING_get0_data(s), ASN1_STRING_length(s));
}

// The OpenSSL error queue as one line, for messages about malformed input.
std::string OpenSslReason() {
  const char* reason = ERR_reason_error_string(ERR_peek_last_error());
  std::string out = reason ? reason : "unknown error";
  ERR_clear_error();
  return out;
}

template <typename T, int (*I2d)(const T*, unsigned char**)>
std::string ToDer(const T* obj) {
  unsigned char* buf = nullptr;
  int n = I2d(obj, &buf);
  std::string out = AsString(buf, n);
  OPENSSL_free(buf);
  return out;
}

std::string NameOneLine(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // RFC 2253 order and escaping, but UTF-8 kept readable instead of \XX-escaped.
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string CommonName(const X509_NAME* name) {
  int idx = -1, last = -1;
  while ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0) last = idx;
  if (last < 0) return "";
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last)));
  std::string out = AsString(utf8, n);
  OPENSSL_free(utf8);
  return out;
}

Status DecodeTime(const ASN1_TIME* t, const char* which, UnixSeconds* out) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return Status::InvalidArgument(std::string("certificate has a malformed ") + which + " time");
  }
  *out = static_cast<UnixSeconds>(timegm(&tm));
  return Status::Ok();
}

void DecodeSerial(X509* x, Certificate::Data* d) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(x);
  std::string magnitude = Asn1Text(serial);
  d->serial_hex = (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER ? "-" : "") +
                  (magnitude.empty() ? std::string("00") : HexEncode(magnitude));
  OpenSslPtr<BIGNUM, BN_free> bn(ASN1_INTEGER_to_BN(serial, nullptr));
  char* dec = bn ? BN_bn2dec(bn.get()) : nullptr;
  d->serial_decimal = dec ? dec : "";
  OPENSSL_free(dec);
  // Content octets of the DER INTEGER: the encoding minus its tag and length.
  std::string der = ToDer<ASN1_INTEGER, i2d_ASN1_INTEGER>(serial);
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  long len = 0;
  int tag = 0, cls = 0;
  if (!(ASN1_get_object(&p, &len, &tag, &cls, static_cast<long>(der.size())) & 0x80)) {
    d->serial_der_content = AsString(p, static_cast<int>(len));
  }
}

std::string IpText(const ASN1_OCTET_STRING* ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  const unsigned char* p = ASN1_STRING_get0_data(ip);
  int n = ASN1_STRING_length(ip);
  if (n == 4 && inet_ntop(AF_INET, p, buf, sizeof buf)) return buf;
  if (n == 16 && inet_ntop(AF_INET6, p, buf, sizeof buf)) return buf;
  return "invalid:" + HexEncode(AsString(p, n));
}

void DecodeSans(X509* x, Certificate::Data* d) {
  OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    switch (gn->type) {
      case GEN_DNS:
        d->sans.dns.push_back(Asn1Text(gn->d.dNSName));
        break;
      case GEN_IPADD:
        d->sans.ip.push_back(IpText(gn->d.iPAddress));
        break;
      case GEN_EMAIL:
        d->sans.email.push_back(Asn1Text(gn->d.rfc822Name));
        break;
      case GEN_URI:
        d->sans.uri.push_back(Asn1Text(gn->d.uniformResourceIdentifier));
        break;
      default:
        break;
    }
  }
  // An X509-SVID carries exactly one URI SAN (SPIFFE X509-SVID spec, section 2).
  if (d->sans.uri.size() == 1) {
    std::string scheme = d->sans.uri[0].substr(0, 9);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme == "spiffe://") d->spiffe_id = d->sans.uri[0];
  }
}

void DecodeKey(X509* x, Certificate::Data* d) {
  PublicKeyInfo& k = d->key;
  EVP_PKEY* pkey = X509_get0_pubkey(x);
  if (pkey == nullptr) {  // an algorithm this OpenSSL cannot load
    ASN1_OBJECT* alg = nullptr;
    X509_PUBKEY_get0_param(&alg, nullptr, nullptr, nullptr, X509_get_X509_PUBKEY(x));
    char buf[128] = "unknown";
    if (alg) OBJ_obj2txt(buf, sizeof buf, alg, 0);
    ERR_clear_error();
    k.description = buf;
    return;
  }
  k.bits = EVP_PKEY_get_bits(pkey);
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
      k.type = KeyType::kRsa;
      k.description = "RSA " + std::to_string(k.bits);
      return;
    case EVP_PKEY_EC: {
      k.type = KeyType::kEc;
      char group[64] = {};
      if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         nullptr) == 1) {
        const char* nist = EC_curve_nid2nist(OBJ_sn2nid(group));
        k.curve = nist ? nist : group;
      } else {
        k.curve = "explicit";  // explicit curve parameters, no named group
      }
      ERR_clear_error();
      k.description = "ECDSA " + k.curve;
      return;
    }
    case EVP_PKEY_ED25519:
      k.type = KeyType::kEd25519;
      k.bits = 256;
      k.description = "Ed25519";
      return;
    case EVP_PKEY_ED448:
      k.type = KeyType::kEd448;
      k.description = "Ed448";
      return;
    case EVP_PKEY_DSA:
      k.type = KeyType::kDsa;
      k.description = "DSA " + std::to_string(k.bits);
      return;
    default:
      k.description = OBJ_nid2sn(EVP_PKEY_get_base_id(pkey));
      return;
  }
}

void DecodeSignature(X509* x, Certificate::Data* d) {
  const X509_ALGOR* alg = nullptr;
  X509_get0_signature(nullptr, &alg, x);
  int nid = OBJ_obj2nid(alg->algorithm);
  if (nid != NID_undef) {
    d->signature_algorithm = OBJ_nid2ln(nid);
  } else {
    char buf[128];
    OBJ_obj2txt(buf, sizeof buf, alg->algorithm, 1);
    d->signature_algorithm = buf;
  }
  int md_nid = NID_undef;
  // Works for RSA-PSS too, where the digest sits in the parameters.
  if (X509_get_signature_info(x, &md_nid, nullptr, nullptr, nullptr) == 1 && md_nid != NID_undef) {
    d->signature_digest = OBJ_nid2sn(md_nid);
  }
  ERR_clear_error();
}

std::string EkuName(const ASN1_OBJECT* obj) {
  switch (OBJ_obj2nid(obj)) {
    case NID_client_auth:
      return "clientAuth";
    case NID_server_auth:
      return "serverAuth";
    case NID_code_sign:
      return "codeSigning";
    case NID_email_protect:
      return "emailProtection";
    case NID_time_stamp:
      return "timeStamping";
    case NID_OCSP_sign:
      return "OCSPSigning";
    case NID_anyExtendedKeyUsage:
      return "anyExtendedKeyUsage";
    default: {
      char buf[128];
      OBJ_obj2txt(buf, sizeof buf, obj, 1);
      return buf;
    }
  }
}

void DecodeExtensions(X509* x, Certificate::Data* d) {
  int crit = -1;
  OpenSslPtr<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free> bc(
      static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(x, NID_basic_constraints, &crit, nullptr)));
  if (bc) {
    d->basic_constraints.present = true;
    d->basic_constraints.critical = crit == 1;
    d->basic_constraints.is_ca = bc->ca != 0;
    if (bc->pathlen)
      d->basic_constraints.path_len = static_cast<int>(ASN1_INTEGER_get(bc->pathlen));
  }

  const uint32_t flags = X509_get_extension_flags(x);
  if (flags & EXFLAG_KUSAGE) {
    const uint32_t ku = X509_get_key_usage(x);
    KeyUsage& k = d->key_usage;
    k.present = true;
    k.digital_signature = ku & KU_DIGITAL_SIGNATURE;
    k.content_commitment = ku & KU_NON_REPUDIATION;
    k.key_encipherment = ku & KU_KEY_ENCIPHERMENT;
    k.data_encipherment = ku & KU_DATA_ENCIPHERMENT;
    k.key_agreement = ku & KU_KEY_AGREEMENT;
    k.key_cert_sign = ku & KU_KEY_CERT_SIGN;
    k.crl_sign = ku & KU_CRL_SIGN;
    k.encipher_only = ku & KU_ENCIPHER_ONLY;
    k.decipher_only = ku & KU_DECIPHER_ONLY;
  }

  OpenSslPtr<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free> eku(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(x, NID_ext_key_usage, nullptr, nullptr)));
  if (eku) {
    d->eku.present = true;
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
      d->eku.purposes.push_back(EkuName(sk_ASN1_OBJECT_value(eku.get(), i)));
    }
  }

  if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(x)) d->ski = HexEncode(Asn1Text(ski));
  if (const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(x))
    d->aki = HexEncode(Asn1Text(aki));

  OpenSslPtr<NAME_CONSTRAINTS, NAME_CONSTRAINTS_free> nc(
      static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(x, NID_name_constraints, nullptr, nullptr)));
  if (nc) {
    // sk_num of an absent (null) list is -1, not 0.
    d->name_constraints = std::max(0, sk_GENERAL_SUBTREE_num(nc->permittedSubtrees)) +
                          std::max(0, sk_GENERAL_SUBTREE_num(nc->excludedSubtrees));
  }
  DecodeSans(x, d);
}

std::string Digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, md, nullptr);
  return AsString(out, static_cast<int>(n));
}

// Everything Certificate exposes, decoded once from the parsed handle.
Result<std::shared_ptr<const Certificate::Data>> Decode(X509Ptr x, std::string der) {
  // Fills OpenSSL's extension cache now, so later read-only use from several
  // threads never writes to the handle; also flags malformed extensions.
  X509_check_purpose(x.get(), -1, 0);
  if (X509_get_extension_flags(x.get()) & EXFLAG_INVALID) {
    ERR_clear_error();
    return Status::InvalidArgument(
        "certificate has a malformed or duplicated extension (basicConstraints, keyUsage, "
        "subjectAltName, key identifiers or name constraints)");
  }

  auto d = std::make_shared<Certificate::Data>();
  d->der = std::move(der);
  d->spki_der = ToDer<X509_PUBKEY, i2d_X509_PUBKEY>(X509_get_X509_PUBKEY(x.get()));
  const X509_NAME* subject = X509_get_subject_name(x.get());
  const X509_NAME* issuer = X509_get_issuer_name(x.get());
  d->subject = NameOneLine(subject);
  d->issuer = NameOneLine(issuer);
  d->subject_der = ToDer<X509_NAME, i2d_X509_NAME>(subject);
  d->issuer_der = ToDer<X509_NAME, i2d_X509_NAME>(issuer);
  d->common_name = CommonName(subject);
  DecodeSerial(x.get(), d.get());
  TP_RETURN_IF_ERROR(DecodeTime(X509_get0_notBefore(x.get()), "notBefore", &d->not_before));
  TP_RETURN_IF_ERROR(DecodeTime(X509_get0_notAfter(x.get()), "notAfter", &d->not_after));
  DecodeKey(x.get(), d.get());
  DecodeSignature(x.get(), d.get());
  DecodeExtensions(x.get(), d.get());
  d->sha256_raw = Digest(EVP_sha256(), d->der);
  d->sha256 = HexEncode(d->sha256_raw);
  d->sha1 = HexEncode(Digest(EVP_sha1(), d->der));
  d->x509 = std::move(x);
  ERR_clear_error();
  return std::shared_ptr<const Certificate::Data>(std::move(d));
}

}  // namespace

std::string_view KeyTypeName(KeyType t) {
  switch (t) {
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEc:
      return "EC";
    case KeyType::kEd25519:
      return "Ed25519";
    case KeyType::kEd448:
      return "Ed448";
    case KeyType::kDsa:
      return "DSA";
    case KeyType::kOther:
      return "other";
  }
  return "other";
}

std::vector<std::string> KeyUsage::Names() const {
  std::vector<std::string> out;
  const std::pair<bool, const char*> bits[] = {{digital_signature, "digitalSignature"},
                                               {content_commitment, "contentCommitment"},
                                               {key_encipherment, "keyEncipherment"},
                                               {data_encipherment, "dataEncipherment"},
                                               {key_agreement, "keyAgreement"},
                                               {key_cert_sign, "keyCertSign"},
                                               {crl_sign, "cRLSign"},
                                               {encipher_only, "encipherOnly"},
                                               {decipher_only, "decipherOnly"}};
  for (const auto& [set, name] : bits) {
    if (set) out.emplace_back(name);
  }
  return out;
}

bool ExtendedKeyUsage::Has(std::string_view purpose) const {
  return std::find(purposes.begin(), purposes.end(), purpose) != purposes.end();
}

Result<Certificate> Certificate::FromDer(std::string_view der) {
  if (der.empty()) return Status::InvalidArgument("certificate DER is empty");
  if (der.size() > kMaxCertificateDer) {
    return Status::InvalidArgument("certificate is " + std::to_string(der.size()) +
                                   " bytes, more than the limit " +
                                   std::to_string(kMaxCertificateDer));
  }
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) return Status::InvalidArgument("not a valid X.509 certificate: " + OpenSslReason());
  if (p != begin + der.size()) {
    return Status::InvalidArgument("certificate is followed by " +
                                   std::to_string(begin + der.size() - p) + " trailing bytes");
  }
  // Fingerprints are over DER; a BER-encoded input would fingerprint differently
  // from what every other tool computes after re-encoding.
  if (ToDer<X509, i2d_X509>(x.get()) != der) {
    return Status::InvalidArgument("certificate is not in canonical DER encoding");
  }
  TP_ASSIGN_OR_RETURN(auto d, Decode(std::move(x), std::string(der)));
  return Certificate(std::move(d));
}

Result<Certificate> Certificate::FromOpenSsl(x509_st* cert) {
  if (cert == nullptr || X509_up_ref(cert) != 1) {
    return Status::InvalidArgument("no certificate to wrap");
  }
  X509Ptr x(cert);
  std::string der = ToDer<X509, i2d_X509>(x.get());
  if (der.empty())
    return Status::InvalidArgument("certificate cannot be encoded: " + OpenSslReason());
  if (der.size() > kMaxCertificateDer) {
    return Status::InvalidArgument("certificate is " + std::to_string(der.size()) +
                                   " bytes, more than the limit " +
                                   std::to_string(kMaxCertificateDer));
  }
  TP_ASSIGN_OR_RETURN(auto d, Decode(std::move(x), std::move(der)));
  return Certificate(std::move(d));
}

const std::string& Certificate::der() const {
  return d_->der;
}

std::string Certificate::ToPem() const {
  const std::string b64 = Base64Encode(d_->der);
  std::string out = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out.append(b64, i, 64).push_back('\n');
  out += "-----END CERTIFICATE-----\n";
  return out;
}

const std::string& Certificate::subject() const {
  return d_->subject;
}
const std::string& Certificate::issuer() const {
  return d_->issuer;
}
const std::string& Certificate::subject_der() const {
  return d_->subject_der;
}
const std::string& Certificate::issuer_der() const {
  return d_->issuer_der;
}
std::string Certificate::common_name() const {
  return d_->common_name;
}
const std::string& Certificate::serial_hex() const {
  return d_->serial_hex;
}
std::string Certificate::serial_decimal() const {
  return d_->serial_decimal;
}
const std::string& Certificate::serial_der_content() const {
  return d_->serial_der_content;
}
UnixSeconds Certificate::not_before() const {
  return d_->not_before;
}
UnixSeconds Certificate::not_after() const {
  return d_->not_after;
}
const SubjectAltNames& Certificate::sans() const {
  return d_->sans;
}
std::optional<std::string> Certificate::spiffe_id() const {
  return d_->spiffe_id;
}
const PublicKeyInfo& Certificate::public_key() const {
  return d_->key;
}
const std::string& Certificate::signature_algorithm() const {
  return d_->signature_algorithm;
}
const std::string& Certificate::signature_digest() const {
  return d_->signature_digest;
}
const BasicConstraints& Certificate::basic_constraints() const {
  return d_->basic_constraints;
}
const KeyUsage& Certificate::key_usage() const {
  return d_->key_usage;
}
const ExtendedKeyUsage& Certificate::extended_key_usage() const {
  return d_->eku;
}
const std::string& Certificate::subject_key_id() const {
  return d_->ski;
}
const std::string& Certificate::authority_key_id() const {
  return d_->aki;
}
int Certificate::name_constraint_count() const {
  return d_->name_constraints;
}
bool Certificate::IsSelfIssued() const {
  return d_->subject_der == d_->issuer_der;
}

bool Certificate::VerifySelfSignature() const {
  int8_t known = d_->self_signature.load(std::memory_order_acquire);
  if (known < 0) {
    known = IsSignedBy(*this) ? 1 : 0;
    d_->self_signature.store(known, std::memory_order_release);
  }
  return known == 1;
}

bool Certificate::IsSignedBy(const Certificate& issuer) const {
  EVP_PKEY* key = X509_get0_pubkey(issuer.d_->x509.get());
  bool ok = key != nullptr && X509_verify(d_->x509.get(), key) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

const std::string& Certificate::sha256_hex() const {
  return d_->sha256;
}
const std::string& Certificate::sha1_hex() const {
  return d_->sha1;
}
std::string Certificate::sha256_raw() const {
  return d_->sha256_raw;
}

X509* NativeAccess::Handle(const Certificate& cert) {
  return cert.d_->x509.get();
}
const std::string& NativeAccess::SpkiDer(const Certificate& cert) {
  return cert.d_->spki_der;
}

}  // namespace trustplane::x509
