#include "trustplane/pki/certificate_issuer.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "trustplane/base/encoding.h"
#include "trustplane/base/openssl_ptr.h"

namespace trustplane::pki {
namespace {

using X509Ptr = OpenSslPtr<X509, X509_free>;
using X509ReqPtr = OpenSslPtr<X509_REQ, X509_REQ_free>;
using NamePtr = OpenSslPtr<X509_NAME, X509_NAME_free>;
using ExtensionPtr = OpenSslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using BignumPtr = OpenSslPtr<BIGNUM, BN_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free_all>;
using AkidPtr = OpenSslPtr<AUTHORITY_KEYID, AUTHORITY_KEYID_free>;

// Frees the stack only; its extensions are owned elsewhere.
void FreeExtensionStack(STACK_OF(X509_EXTENSION) * s) { sk_X509_EXTENSION_free(s); }
using ExtensionStackPtr = OpenSslPtr<STACK_OF(X509_EXTENSION), FreeExtensionStack>;
// Frees the stack and the extensions it owns.
void FreeOwnedExtensions(STACK_OF(X509_EXTENSION) * s) {
  sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
}
using OwnedExtensionsPtr = OpenSslPtr<STACK_OF(X509_EXTENSION), FreeOwnedExtensions>;

std::string OpenSslError(const char* what) {
  const char* reason = ERR_reason_error_string(ERR_peek_last_error());
  std::string out = std::string(what) + ": " + (reason ? reason : "unknown OpenSSL error");
  ERR_clear_error();
  return out;
}

Result<NamePtr> SubjectName(const CertificateRequest& req) {
  NamePtr name(X509_NAME_new());
  auto add = [&](const char* field, const std::string& value) {
    return value.empty() ||
           X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.c_str()), -1,
                                      -1, 0) == 1;
  };
  for (const auto& n : req.names) {
    if (!add("C", n.c) || !add("ST", n.st) || !add("L", n.l) || !add("O", n.o) || !add("OU", n.ou)) {
      return Status::InvalidArgument(OpenSslError("bad subject name entry"));
    }
  }
  if (!add("CN", req.cn)) return Status::InvalidArgument(OpenSslError("bad common name"));
  return name;
}

std::string SanConfig(const SubjectAltNameSet& sans) {
  std::string out;
  auto append = [&](const char* type, const std::vector<std::string>& values) {
    for (const auto& v : values) out += (out.empty() ? "" : ",") + std::string(type) + ":" + v;
  };
  append("DNS", sans.dns);
  append("IP", sans.ip);
  append("email", sans.email);
  append("URI", sans.uri);
  return out;
}

bool HasCommaOrControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return c == ',' || static_cast<unsigned char>(c) < 0x20; });
}

Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return Status::InvalidArgument(OpenSslError(("cannot encode " + std::string(OBJ_nid2sn(nid)) +
                                                 " = " + value).c_str()));
  }
  return Status::Ok();
}

Result<std::string> KeyIdentifier(EVP_PKEY* key) {
  X509_PUBKEY* raw = nullptr;
  if (X509_PUBKEY_set(&raw, key) != 1) return Status::Internal(OpenSslError("cannot encode the public key"));
  OpenSslPtr<X509_PUBKEY, X509_PUBKEY_free> pub(raw);
  const unsigned char* bits = nullptr;
  int len = 0;
  X509_PUBKEY_get0_param(nullptr, &bits, &len, nullptr, pub.get());
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(bits, static_cast<size_t>(len), digest);
  return std::string(reinterpret_cast<char*>(digest), sizeof digest);
}

Status AddOctetExtension(X509* cert, int nid, const std::string& value) {
  OpenSslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> octets(ASN1_OCTET_STRING_new());
  ASN1_OCTET_STRING_set(octets.get(), reinterpret_cast<const unsigned char*>(value.data()),
                        static_cast<int>(value.size()));
  if (X509_add1_ext_i2d(cert, nid, octets.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return Status::Internal(OpenSslError("cannot add a key identifier"));
  }
  return Status::Ok();
}

const EVP_MD* DigestFor(EVP_PKEY* signing_key) {
  if (EVP_PKEY_get_base_id(signing_key) == EVP_PKEY_ED25519) return nullptr;
  if (EVP_PKEY_get_base_id(signing_key) == EVP_PKEY_EC) {
    int bits = EVP_PKEY_get_bits(signing_key);
    if (bits > 384) return EVP_sha512();
    if (bits > 256) return EVP_sha384();
  }
  return EVP_sha256();
}

Status Lint(const IssueRequest& r, const SubjectAltNameSet& sans, const UsageBits& bits) {
  const bool cert_sign =
      std::find(bits.key_usage.begin(), bits.key_usage.end(), "keyCertSign") != bits.key_usage.end();
  const bool no_subject = r.subject_name_der.empty()
                              ? r.subject->cn.empty() && r.subject->names.empty()
                              : r.subject_name_der.size() <= 2;  // an empty SEQUENCE
  if (no_subject && sans.empty()) {
    return Status::Policy("lint empty-subject-no-san: the certificate would have neither a subject nor a SAN");
  }
  if (r.profile.is_ca && !cert_sign) {
    return Status::Policy("lint ca-without-keycertsign: a CA certificate needs the \"cert sign\" usage");
  }
  if (!r.profile.is_ca && cert_sign) {
    return Status::Policy("lint leaf-with-keycertsign: only CA profiles may have the \"cert sign\" usage");
  }
  if (r.issuer && !r.issuer->certificate.basic_constraints().is_ca) {
    return Status::Policy("lint issuer-not-ca: " + r.issuer->certificate.subject() + " is not a CA");
  }
  for (const auto* list : {&sans.dns, &sans.email, &sans.uri}) {
    for (const auto& v : *list) {
      if (HasCommaOrControl(v)) return Status::InvalidArgument("host '" + v + "' has a comma or control character");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<x509::Certificate> IssueCertificate(const IssueRequest& r) {
  if (!r.subject || !r.public_key || (!r.issuer && !r.self_key)) {
    return Status::Internal("IssueCertificate needs a subject, a public key and a signer");
  }
  const UnixSeconds now = r.now ? r.now : NowUnix();
  const SubjectAltNameSet sans = r.subject->Sans();
  TP_ASSIGN_OR_RETURN(UsageBits bits, UsageBitsFor(r.profile.usages));
  TP_RETURN_IF_ERROR(Lint(r, sans, bits));

  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  unsigned char serial[20];
  if (RAND_bytes(serial, sizeof serial) != 1) return Status::Internal("random serial failed");
  serial[0] &= 0x7f;
  serial[0] |= 0x01;  // keep all 20 octets significant and the number positive
  BignumPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));

  NamePtr subject;
  if (!r.subject_name_der.empty()) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(r.subject_name_der.data());
    subject.reset(d2i_X509_NAME(nullptr, &p, static_cast<long>(r.subject_name_der.size())));
    if (!subject) return Status::InvalidArgument("the CSR's subject name cannot be decoded");
  } else {
    TP_ASSIGN_OR_RETURN(subject, SubjectName(*r.subject));
  }
  X509_set_subject_name(cert.get(), subject.get());
  if (r.issuer) {
    const std::string& der = r.issuer->certificate.subject_der();
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    NamePtr issuer_name(d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size())));
    if (!issuer_name) return Status::Internal("cannot decode the issuer's name");
    X509_set_issuer_name(cert.get(), issuer_name.get());
  } else {
    X509_set_issuer_name(cert.get(), subject.get());
  }

  UnixSeconds not_after = now + r.profile.expiry_seconds;
  if (r.issuer) not_after = std::min(not_after, r.issuer->certificate.not_after());
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(now - r.profile.backdate_seconds));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(not_after));
  if (X509_set_pubkey(cert.get(), r.public_key) != 1) return Status::Internal(OpenSslError("cannot set key"));

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  std::string bc = r.profile.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
  if (r.profile.is_ca && r.profile.max_path_len_zero) bc += ",pathlen:0";
  else if (r.profile.is_ca && r.profile.max_path_len >= 0) bc += ",pathlen:" + std::to_string(r.profile.max_path_len);
  TP_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_basic_constraints, bc));
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
  };
  if (!bits.key_usage.empty()) {
    TP_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_key_usage, "critical," + join(bits.key_usage)));
  }
  if (!bits.ext_key_usage.empty()) {
    TP_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_ext_key_usage, join(bits.ext_key_usage)));
  }
  // Key identifiers: SHA-1 of the subject public key (RFC 5280 4.2.1.2
  // method 1); the authority key id is the issuer's (our own for a root).
  TP_ASSIGN_OR_RETURN(std::string ski, KeyIdentifier(r.public_key));
  TP_RETURN_IF_ERROR(AddOctetExtension(cert.get(), NID_subject_key_identifier, ski));
  std::string aki = ski;
  if (r.issuer) {
    TP_ASSIGN_OR_RETURN(aki, HexDecode(r.issuer->certificate.subject_key_id()));
  }
  if (!aki.empty()) {
    AkidPtr akid(AUTHORITY_KEYID_new());
    akid->keyid = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(akid->keyid, reinterpret_cast<const unsigned char*>(aki.data()),
                          static_cast<int>(aki.size()));
    if (X509_add1_ext_i2d(cert.get(), NID_authority_key_identifier, akid.get(), 0,
                          X509V3_ADD_DEFAULT) != 1) {
      return Status::Internal(OpenSslError("cannot add the authority key id"));
    }
  }
  if (!sans.empty()) {
    TP_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_subject_alt_name, SanConfig(sans)));
  }

  EVP_PKEY* signer = r.issuer ? r.issuer->key.get() : r.self_key->get();
  if (X509_sign(cert.get(), signer, DigestFor(signer)) <= 0) {
    return Status::Internal(OpenSslError("signing failed"));
  }
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  if (len <= 0) return Status::Internal(OpenSslError("cannot encode the certificate"));
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  auto issued = x509::Certificate::FromDer(out);
  if (issued.ok() && r.issuer && !issued->IsSignedBy(r.issuer->certificate)) {
    return Status::InvalidArgument("the CA key does not belong to the CA certificate " +
                                   r.issuer->certificate.subject());
  }
  return issued;
}

Result<std::string> CreateCsrPem(const CertificateRequest& subject, const PrivateKey& key) {
  X509ReqPtr req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  TP_ASSIGN_OR_RETURN(NamePtr name, SubjectName(subject));
  X509_REQ_set_subject_name(req.get(), name.get());
  X509_REQ_set_pubkey(req.get(), key.get());
  const std::string san = SanConfig(subject.Sans());
  if (!san.empty()) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, nullptr, nullptr, req.get(), nullptr, 0);
    ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str()));
    if (!ext) return Status::InvalidArgument(OpenSslError("bad hosts"));
    ExtensionStackPtr exts(sk_X509_EXTENSION_new_null());
    sk_X509_EXTENSION_push(exts.get(), ext.get());
    X509_REQ_add_extensions(req.get(), exts.get());
  }
  if (X509_REQ_sign(req.get(), key.get(), DigestFor(key.get())) <= 0) {
    return Status::Internal(OpenSslError("CSR signing failed"));
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<SignedCsr> ReadCsrPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) return Status::InvalidArgument(OpenSslError("not a PEM certificate signing request"));
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr || X509_REQ_verify(req.get(), key) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("the CSR's signature does not verify with its own key");
  }
  SignedCsr csr;
  EVP_PKEY_up_ref(key);
  csr.public_key = std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
  unsigned char* der = nullptr;
  int len = i2d_X509_NAME(X509_REQ_get_subject_name(req.get()), &der);
  if (len <= 0) return Status::InvalidArgument("the CSR's subject cannot be encoded");
  csr.subject_name_der.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  OwnedExtensionsPtr exts(X509_REQ_get_extensions(req.get()));
  for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts.get()); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts.get(), i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name) continue;
    OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free> names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext)));
    for (int k = 0; names && k < sk_GENERAL_NAME_num(names.get()); ++k) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), k);
      if (gn->type == GEN_DNS || gn->type == GEN_EMAIL || gn->type == GEN_URI) {
        const ASN1_IA5STRING* s = gn->d.ia5;
        csr.hosts.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                               static_cast<size_t>(ASN1_STRING_length(s)));
      } else if (gn->type == GEN_IPADD) {
        char text[64] = {};
        const ASN1_OCTET_STRING* ip = gn->d.ip;
        int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
        if (inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof text)) csr.hosts.push_back(text);
      }
    }
  }
  return csr;
}

}  // namespace trustplane::pki
