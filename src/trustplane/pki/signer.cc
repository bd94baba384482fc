#include "trustplane/pki/signer.h"

#include <openssl/err.h>

#include <map>

#include "trustplane/base/encoding.h"
#include "trustplane/pki/lint.h"
#include "trustplane/pki/native.h"
#include "trustplane/pki/pem.h"
#include "trustplane/pki/profile_extensions.h"
#include "trustplane/pki/serial_number.h"

namespace trustplane::pki {
namespace {

struct PreparedProfile {
  std::string name;  // for messages; "default" for signing.default
  const SigningProfile* profile = nullptr;
  ProfileExtensions extensions;
};

// The issuing side of one issuance.
struct IssuerSide {
  const X509_NAME* name = nullptr;  // nullptr: self-signed, the issuer is the subject
  EVP_PKEY* key = nullptr;
  const EVP_MD* md = nullptr;  // nullptr for Ed25519
  // key and md set up for signing once; each certificate signs with a copy,
  // which skips the per-signature algorithm fetches of EVP_DigestSignInit.
  // nullptr: sign with X509_sign.
  const EVP_MD_CTX* sign_template = nullptr;
  std::optional<IssuerFacts> facts;
  std::string key_id_hex;
};

Result<PreparedProfile> Prepare(const std::string& name, const SigningProfile& profile,
                                const std::string& issuer_key_id) {
  auto extensions = BuildProfileExtensions(profile, issuer_key_id);
  if (!extensions.ok()) return extensions.status().WithContext("signing profile '" + name + "'");
  return PreparedProfile{name, &profile, std::move(extensions).value()};
}

std::vector<std::string> Values(const X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = -1; (i = X509_NAME_get_index_by_NID(name, nid, i)) >= 0;) {
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (n >= 0) out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
    OPENSSL_free(utf8);
  }
  return out;
}

// cfssl's PopulateSubjectFromCSR: the override's fields, the CSR's where the override has none.
Subject FillSubject(const Subject& override_subject, const X509_NAME* csr_name) {
  using Field = std::string NameEntry::*;
  struct Attribute {
    Field field;
    int nid;
  };
  static constexpr Attribute kAttributes[] = {{&NameEntry::c, NID_countryName},
                                              {&NameEntry::st, NID_stateOrProvinceName},
                                              {&NameEntry::l, NID_localityName},
                                              {&NameEntry::o, NID_organizationName},
                                              {&NameEntry::ou, NID_organizationalUnitName}};
  Subject out;
  out.cn = override_subject.cn;
  out.serial_number = override_subject.serial_number;
  if (csr_name != nullptr) {
    if (out.cn.empty()) out.cn = CommonNameOf(csr_name);
    if (out.serial_number.empty() && !Values(csr_name, NID_serialNumber).empty()) {
      out.serial_number = Values(csr_name, NID_serialNumber).front();
    }
  }
  for (const auto& a : kAttributes) {
    std::vector<std::string> values;
    for (const auto& n : override_subject.names) {
      if (!(n.*a.field).empty()) values.push_back(n.*a.field);
    }
    if (values.empty() && csr_name != nullptr) values = Values(csr_name, a.nid);
    if (out.names.size() < values.size()) out.names.resize(values.size());
    for (size_t i = 0; i < values.size(); ++i) out.names[i].*a.field = values[i];
  }
  for (const auto& n : override_subject.names) {
    if (!n.e.empty() || !n.oid.empty()) out.names.push_back(NameEntry{{}, {}, {}, {}, {}, n.e, n.oid});
  }
  return out;
}

// Copies the CSR's SubjectPublicKeyInfo into the certificate as it is:
// X509_set_pubkey would re-encode the key through OpenSSL 3's encoders,
// which costs more than signing. Returns the SHA-1 key identifier of the
// key bits (RFC 5280 4.2.1.2, method 1).
Result<std::string> CopyPublicKey(X509_REQ* req, X509* cert) {
  const X509_PUBKEY* from = X509_REQ_get_X509_PUBKEY(req);
  TP_RETURN_IF_ERROR(CopyPublicKeyInfo(from, X509_get_X509_PUBKEY(cert), "the CSR's public key"));
  const unsigned char* bits = nullptr;
  int len = 0;
  X509_PUBKEY_get0_param(nullptr, &bits, &len, nullptr, from);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(bits, static_cast<size_t>(len), digest);
  return std::string(reinterpret_cast<char*>(digest), sizeof digest);
}

Status AddAll(X509* cert, const std::vector<ExtensionPtr>& extensions) {
  for (const auto& ext : extensions) {
    if (X509_add_ext(cert, ext.get(), -1) != 1) return Status::Internal(OpenSslError("cannot add an extension"));
  }
  return Status::Ok();
}

Status CheckNames(const PreparedProfile& prof, const std::string& cn, const SubjectAltNameSet& sans) {
  const SigningProfile& p = *prof.profile;
  if (!p.name_whitelist_regex) return Status::Ok();
  const auto refuse = [&](const char* kind, const std::string& name) {
    return Status::Policy("name_whitelist '" + p.name_whitelist + "' of signing profile '" + prof.name +
                          "' does not match the whole " + kind + " '" + name + "'");
  };
  if (!cn.empty() && !p.NameAllowed(cn)) return refuse("CN", cn);
  for (const auto& n : sans.dns) {
    if (!p.NameAllowed(n)) return refuse("DNS name", n);
  }
  for (const auto& n : sans.email) {
    if (!p.NameAllowed(n)) return refuse("email", n);
  }
  for (const auto& n : sans.uri) {
    if (!p.NameAllowed(n)) return refuse("URI", n);
  }
  return Status::Ok();
}

Result<std::string> ChooseSerial(const PreparedProfile& prof, const SignOptions& options) {
  const bool client_chooses = prof.profile->client_provides_serial_numbers;
  if (options.serial && !client_chooses) {
    return Status::Policy("signing profile '" + prof.name +
                          "' does not let clients choose serial numbers (ClientProvidesSerialNumbers)");
  }
  if (!options.serial && client_chooses) {
    return Status::InvalidArgument("signing profile '" + prof.name +
                                   "' needs a serial number from the client (ClientProvidesSerialNumbers)");
  }
  return options.serial ? *options.serial : RandomSerialNumber();
}

Result<SignedCertificate> Issue(const IssuerSide& issuer, const PreparedProfile& prof, const Csr& csr,
                                const SignOptions& options) {
  const SigningProfile& p = *prof.profile;
  if (!p.remote.empty()) {
    return Status::Policy("signing profile '" + prof.name + "' is signed by remote '" + p.remote +
                          "'; trustplane signs locally only");
  }
  if (csr.requests_ca() && !p.ca_constraint.is_ca) {
    return Status::Policy("the CSR asks for a CA certificate (CA:TRUE) but signing profile '" +
                          prof.name + "' is not a CA profile (ca_constraint.is_ca)");
  }
  X509_REQ* req = NativeCsr::Of(csr);
  const std::optional<CsrWhitelist>& allow = p.csr_whitelist;

  // Subject: the CSR's (unless the whitelist withholds it), under any override.
  const X509_NAME* csr_name = (!allow || allow->subject) ? X509_REQ_get_subject_name(req) : nullptr;
  NamePtr built_name;
  if (options.subject) {
    TP_ASSIGN_OR_RETURN(built_name, BuildName(FillSubject(*options.subject, csr_name)));
  } else if (csr_name == nullptr) {
    built_name.reset(X509_NAME_new());
  }
  const X509_NAME* subject = built_name ? built_name.get() : csr_name;
  const bool subject_empty = X509_NAME_entry_count(subject) == 0;

  // SANs: the CSR's extension is copied as is when nothing filters it.
  X509_EXTENSION* csr_san = NativeCsr::SanExtension(csr);
  bool copy_csr_san = false;
  SubjectAltNameSet sans;
  if (options.hosts) {
    sans = ClassifyHosts(*options.hosts);
  } else {
    sans = csr.sans();
    if (allow) {
      if (!allow->dns_names) sans.dns.clear();
      if (!allow->ip_addresses) sans.ip.clear();
      if (!allow->email_addresses) sans.email.clear();
      if (!allow->uris) sans.uri.clear();
    }
    copy_csr_san = csr_san != nullptr && !csr.has_other_sans() &&
                   (!allow || (allow->dns_names && allow->ip_addresses && allow->email_addresses &&
                               allow->uris)) &&
                   (!subject_empty || X509_EXTENSION_get_critical(csr_san) == 1);
  }
  if (p.ca_constraint.is_ca && !(sans.dns.empty() && sans.email.empty() && sans.uri.empty())) {
    // As cfssl: a CA certificate names no DNS, email or URI.
    sans.dns.clear();
    sans.email.clear();
    sans.uri.clear();
    copy_csr_san = false;
  }
  const std::string cn = CommonNameOf(subject);
  TP_RETURN_IF_ERROR(CheckNames(prof, cn, sans));
  TP_ASSIGN_OR_RETURN(std::string serial, ChooseSerial(prof, options));

  const UnixSeconds now = options.now != 0 ? options.now : NowUnix();
  SigningProfile::Validity validity = p.ValidityAt(now);
  bool clamped = false;
  // Clamped rather than refused: a certificate cannot be valid past its
  // issuer anyway, and cfssl users expect a long profile under a shorter CA
  // to work (cfssl issue #225). The lint below checks the result.
  if (issuer.facts && validity.not_after > issuer.facts->not_after) {
    validity.not_after = issuer.facts->not_after;
    clamped = true;
  }

  IssuancePlan plan;
  plan.subject_empty = subject_empty;
  plan.common_name = cn;
  plan.sans = sans;
  plan.has_name_constraints = p.name_constraints.has_value();
  plan.is_ca = p.ca_constraint.is_ca;
  plan.path_len = p.ca_constraint.PathLen();
  plan.usages = p.usages;
  plan.not_before = validity.not_before;
  plan.not_after = validity.not_after;
  plan.serial = serial;
  plan.subject_key = csr.public_key();
  plan.issuer = issuer.facts;
  plan.now = now;
  TP_RETURN_IF_ERROR(LintIssuance(plan));

  X509Ptr cert(X509_new());
  const std::string_view magnitude = std::string_view(serial).substr(serial.find_first_not_of('\0'));
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      ASN1_STRING_set(X509_get_serialNumber(cert.get()), magnitude.data(),
                      static_cast<int>(magnitude.size())) != 1 ||
      X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_issuer_name(cert.get(), issuer.name ? issuer.name : subject) != 1 ||
      !ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(validity.not_before)) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(validity.not_after))) {
    return Status::Internal(OpenSslError("cannot build the certificate"));
  }
  TP_ASSIGN_OR_RETURN(const std::string key_id, CopyPublicKey(req, cert.get()));

  const ProfileExtensions& ext = prof.extensions;
  TP_RETURN_IF_ERROR(AddAll(cert.get(), ext.before_ski));
  OpenSslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> ski(ASN1_OCTET_STRING_new());
  ASN1_OCTET_STRING_set(ski.get(), reinterpret_cast<const unsigned char*>(key_id.data()),
                        static_cast<int>(key_id.size()));
  if (X509_add1_ext_i2d(cert.get(), NID_subject_key_identifier, ski.get(), 0, X509V3_ADD_APPEND) != 1) {
    return Status::Internal(OpenSslError("cannot add the subject key identifier"));
  }
  TP_RETURN_IF_ERROR(AddAll(cert.get(), ext.before_san));
  if (copy_csr_san) {
    if (X509_add_ext(cert.get(), csr_san, -1) != 1) return Status::Internal(OpenSslError("cannot copy the SANs"));
  } else if (!sans.empty()) {
    // With an empty subject the SANs carry the identity: RFC 5280 4.2.1.6 wants them critical.
    TP_ASSIGN_OR_RETURN(ExtensionPtr san, BuildSanExtension(sans, subject_empty));
    if (X509_add_ext(cert.get(), san.get(), -1) != 1) return Status::Internal(OpenSslError("cannot add the SANs"));
  }
  TP_RETURN_IF_ERROR(AddAll(cert.get(), ext.after_san));

  bool signed_ok = false;
  if (issuer.sign_template != nullptr) {
    OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free> ctx(EVP_MD_CTX_new());
    signed_ok = ctx && EVP_MD_CTX_copy_ex(ctx.get(), issuer.sign_template) == 1 &&
                X509_sign_ctx(cert.get(), ctx.get()) > 0;
    if (!signed_ok) ERR_clear_error();  // X509_sign below says what is wrong, if anything
  }
  if (!signed_ok && X509_sign(cert.get(), issuer.key, issuer.md) <= 0) {
    return Status::Internal(OpenSslError("signing failed"));
  }
  SignedCertificate out;
  out.der = ToDer<X509, i2d_X509>(cert.get());
  if (out.der.empty()) return Status::Internal(OpenSslError("cannot encode the certificate"));
  out.serial = std::move(serial);
  out.not_before = validity.not_before;
  out.not_after = validity.not_after;
  out.not_after_clamped = clamped;
  out.subject_key_id = HexEncode(key_id);
  out.authority_key_id = issuer.key_id_hex;
  out.common_name = cn;
  out.sans = std::move(sans);
  return out;
}

}  // namespace

struct Signer::State {
  State(const x509::Certificate& ca_cert, NativeIssuer issuer, SigningConfig signing)
      : ca(ca_cert), native(std::move(issuer)), config(std::move(signing)) {}
  x509::Certificate ca;
  NativeIssuer native;
  SigningConfig config;
  IssuerSide issuer;
  OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free> sign_template;
  std::map<std::string, PreparedProfile> profiles;  // "" = signing.default
};

std::string SignedCertificate::ToPem() const { return PemEncode("CERTIFICATE", der); }
std::string SignedCertificate::serial_hex() const { return SerialHex(serial); }
std::string SignedCertificate::serial_decimal() const { return SerialDecimal(serial); }

Result<Signer> Signer::Create(const x509::Certificate& ca, const PrivateKey& ca_key, SigningConfig config,
                              const std::vector<x509::Certificate>& chain) {
  TP_RETURN_IF_ERROR(LintIssuer(ca));
  TP_ASSIGN_OR_RETURN(NativeIssuer native, NativeIssuer::Load(ca, ca_key));
  auto s = std::make_shared<State>(ca, std::move(native), std::move(config));
  const std::string& key_id = s->native.key_id;
  s->issuer.name = X509_get_subject_name(s->native.cert.get());
  s->issuer.key = s->native.pkey();
  s->issuer.md = s->native.md.get();
  if (s->issuer.md != nullptr) {
    // Ed25519 (no md) signs one-shot and keeps X509_sign; so does a key
    // whose provider cannot set up (or later copy) a signing context.
    s->sign_template.reset(EVP_MD_CTX_new());
    if (s->sign_template &&
        EVP_DigestSignInit(s->sign_template.get(), nullptr, s->issuer.md, nullptr, s->issuer.key) == 1) {
      s->issuer.sign_template = s->sign_template.get();
    } else {
      s->sign_template.reset();
      ERR_clear_error();
    }
  }
  s->issuer.facts = IssuerFacts{ca.subject(), ca.not_after(), ca.basic_constraints().path_len,
                                ReadNameConstraints(s->native.cert.get()), {}};
  X509* below = s->native.cert.get();
  std::vector<X509Ptr> above;  // keeps `below` alive
  for (const x509::Certificate& c : chain) {
    X509Ptr up = NativeCopy(c);
    if (!up || X509_check_issued(up.get(), below) != X509_V_OK) break;
    if (auto constraints = ReadNameConstraints(up.get())) {
      s->issuer.facts->ancestor_name_constraints.emplace_back(c.subject(), std::move(*constraints));
    }
    below = above.emplace_back(std::move(up)).get();
  }
  ERR_clear_error();
  s->issuer.key_id_hex = HexEncode(key_id);
  TP_ASSIGN_OR_RETURN(s->profiles[""], Prepare("default", s->config.default_profile, key_id));
  for (const auto& [name, profile] : s->config.profiles) {
    TP_ASSIGN_OR_RETURN(s->profiles[name], Prepare(name, profile, key_id));
  }
  return Signer(std::move(s));
}

Result<SignedCertificate> Signer::Sign(const Csr& csr, const SignOptions& options) const {
  auto it = state_->profiles.find(options.profile);
  if (it == state_->profiles.end()) return state_->config.Profile(options.profile).status();
  return Issue(state_->issuer, it->second, csr, options);
}

const x509::Certificate& Signer::ca_certificate() const { return state_->ca; }
const SigningConfig& Signer::config() const { return state_->config; }

Result<SignedCertificate> SelfSign(const Csr& csr, const PrivateKey& key, const SigningProfile& profile,
                                   UnixSeconds now) {
  EVP_PKEY* pkey = NativeKey::Of(key);
  // A parsed CSR's X509_REQ may carry no decoded key (Csr's fast path keeps
  // it elsewhere); decode a copy then, as this runs once per CA.
  X509ReqPtr decoded;
  EVP_PKEY* csr_key = X509_REQ_get0_pubkey(NativeCsr::Of(csr));
  if (csr_key == nullptr) {
    ERR_clear_error();
    const auto* p = reinterpret_cast<const unsigned char*>(csr.der().data());
    decoded.reset(d2i_X509_REQ(nullptr, &p, static_cast<long>(csr.der().size())));
    csr_key = decoded ? X509_REQ_get0_pubkey(decoded.get()) : nullptr;
  }
  if (csr_key == nullptr || EVP_PKEY_eq(csr_key, pkey) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("the key does not belong to the CSR");
  }
  TP_ASSIGN_OR_RETURN(EvpMdPtr md, FetchSignatureDigest(pkey));
  TP_ASSIGN_OR_RETURN(PreparedProfile prepared, Prepare("ca", profile, ""));
  IssuerSide self;
  self.key = pkey;
  self.md = md.get();
  SignOptions options;
  options.now = now;
  return Issue(self, prepared, csr, options);
}

}  // namespace trustplane::pki
