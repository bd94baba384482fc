#include "trustplane/pki/native.h"

#include <arpa/inet.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/sha.h>

#include <utility>

#include "trustplane/base/encoding.h"

namespace trustplane::pki {
namespace {

using Ia5Ptr = OpenSslPtr<ASN1_IA5STRING, ASN1_IA5STRING_free>;
using GeneralNamePtr = OpenSslPtr<GENERAL_NAME, GENERAL_NAME_free>;
using ObjectPtr = OpenSslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;

std::string AsString(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

// Appends value as an attribute; `same_rdn` joins the previous RDN (Go puts
// every value of one attribute type into one multi-valued RDN).
Status AddAttribute(X509_NAME* name, const ASN1_OBJECT* type, const char* field,
                    const std::string& value, bool same_rdn) {
  if (X509_NAME_add_entry_by_OBJ(name, type, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, same_rdn ? -1 : 0) == 1) {
    return Status::Ok();
  }
  return Status::InvalidArgument(
      OpenSslError(std::string("subject ") + field + " '" + value +
                   "' cannot be encoded (RFC 5280 bounds: C is 2 letters; CN, O, OU, "
                   "serialnumber at most 64 characters; L, ST 128)"));
}

Status AddAttributes(X509_NAME* name, int nid, const char* field,
                     const std::vector<std::string>& values) {
  const ASN1_OBJECT* type = OBJ_nid2obj(nid);
  for (size_t i = 0; i < values.size(); ++i) {
    TP_RETURN_IF_ERROR(AddAttribute(name, type, field, values[i], i > 0));
  }
  return Status::Ok();
}

Status PushString(GENERAL_NAMES* names, int type, const std::string& value) {
  Ia5Ptr text(ASN1_IA5STRING_new());
  GeneralNamePtr gen(GENERAL_NAME_new());
  if (!text || !gen || ASN1_STRING_set(text.get(), value.data(), static_cast<int>(value.size())) != 1) {
    return Status::Internal(OpenSslError("cannot encode a subjectAltName"));
  }
  GENERAL_NAME_set0_value(gen.get(), type, text.release());
  if (sk_GENERAL_NAME_push(names, gen.get()) <= 0) return Status::Internal("out of memory");
  gen.release();
  return Status::Ok();
}

// The curve's NID from the group name a provider key reports.
int CurveNid(EVP_PKEY* key) {
  char group[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1) {
    return NID_undef;
  }
  const int nid = OBJ_sn2nid(group);
  return nid != NID_undef ? nid : EC_curve_nist2nid(group);
}

// Algorithm, parameters and bits into a new X509_PUBKEY; takes `bits`.
X509PubkeyPtr AssemblePublicKeyInfo(int algorithm, int param_type, void* param, unsigned char* bits, size_t len) {
  X509PubkeyPtr info(X509_PUBKEY_new());
  if (!info || X509_PUBKEY_set0_param(info.get(), OBJ_nid2obj(algorithm), param_type, param, bits,
                                      static_cast<int>(len)) != 1) {
    OPENSSL_free(bits);
    return nullptr;
  }
  return info;
}

}  // namespace

std::string OpenSslError(std::string_view what) {
  const char* reason = ERR_reason_error_string(ERR_peek_last_error());
  std::string out = std::string(what) + ": " + (reason ? reason : "unknown OpenSSL error");
  ERR_clear_error();
  return out;
}

const char* SignatureDigestName(const EVP_PKEY* key) {
  const int bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_ED25519:
    case EVP_PKEY_ED448:
      return nullptr;
    case EVP_PKEY_EC:
      return bits > 384 ? "SHA512" : bits > 256 ? "SHA384" : "SHA256";
    default:
      return bits >= 4096 ? "SHA512" : bits >= 3072 ? "SHA384" : "SHA256";
  }
}

Result<EvpMdPtr> FetchSignatureDigest(const EVP_PKEY* key) {
  const char* name = SignatureDigestName(key);
  if (name == nullptr) return EvpMdPtr();
  EvpMdPtr md(EVP_MD_fetch(nullptr, name, nullptr));
  if (!md) return Status::Internal(OpenSslError(std::string("cannot fetch ") + name));
  return md;
}

X509Ptr NativeCopy(const x509::Certificate& cert) {
  const auto* p = reinterpret_cast<const unsigned char*>(cert.der().data());
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(cert.der().size())));
}

Result<NativeIssuer> NativeIssuer::Load(const x509::Certificate& ca, const PrivateKey& key) {
  X509Ptr cert = NativeCopy(ca);
  if (!cert) return Status::Internal(OpenSslError("cannot decode the CA certificate"));
  if (EVP_PKEY_eq(X509_get0_pubkey(cert.get()), NativeKey::Of(key)) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("the CA key does not belong to the CA certificate " + ca.subject());
  }
  TP_ASSIGN_OR_RETURN(EvpMdPtr md, FetchSignatureDigest(NativeKey::Of(key)));
  std::string key_id;
  if (!ca.subject_key_id().empty()) {
    TP_ASSIGN_OR_RETURN(key_id, HexDecode(ca.subject_key_id()));
  } else {
    const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(cert.get());
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(ASN1_STRING_get0_data(bits), static_cast<size_t>(ASN1_STRING_length(bits)), digest);
    key_id.assign(reinterpret_cast<char*>(digest), sizeof digest);
  }
  return NativeIssuer{std::move(cert), key, std::move(md), std::move(key_id)};
}

x509::PublicKeyInfo DescribeKey(const EVP_PKEY* key) {
  x509::PublicKeyInfo info;
  info.bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      info.type = x509::KeyType::kRsa;
      info.description = "RSA " + std::to_string(info.bits);
      break;
    case EVP_PKEY_EC: {
      info.type = x509::KeyType::kEc;
      char group[64] = {};
      size_t len = 0;
      EVP_PKEY_get_group_name(key, group, sizeof group, &len);
      const std::string g(group, len);
      info.curve = g == "prime256v1" ? "P-256" : g == "secp384r1" ? "P-384" : g == "secp521r1" ? "P-521" : g;
      info.description = "ECDSA " + info.curve;
      break;
    }
    case EVP_PKEY_ED25519:
      info.type = x509::KeyType::kEd25519;
      info.description = "Ed25519";
      break;
    case EVP_PKEY_ED448:
      info.type = x509::KeyType::kEd448;
      info.description = "Ed448";
      break;
    case EVP_PKEY_DSA:
      info.type = x509::KeyType::kDsa;
      info.description = "DSA " + std::to_string(info.bits);
      break;
    default:
      info.description = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
  }
  return info;
}

X509PubkeyPtr PublicKeyInfoOf(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC")) {
    const int curve = CurveNid(key);
    size_t len = 0;
    if (curve != NID_undef &&
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0, &len) == 1) {
      auto* bits = static_cast<unsigned char*>(OPENSSL_malloc(len));
      if (bits != nullptr &&
          EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, bits, len, &len) == 1) {
        return AssemblePublicKeyInfo(NID_X9_62_id_ecPublicKey, V_ASN1_OBJECT, OBJ_nid2obj(curve), bits, len);
      }
      OPENSSL_free(bits);
    }
  } else if (EVP_PKEY_is_a(key, "ED25519")) {
    size_t len = 0;
    if (EVP_PKEY_get_raw_public_key(key, nullptr, &len) == 1) {
      auto* bits = static_cast<unsigned char*>(OPENSSL_malloc(len));
      if (bits != nullptr && EVP_PKEY_get_raw_public_key(key, bits, &len) == 1) {
        return AssemblePublicKeyInfo(NID_ED25519, V_ASN1_UNDEF, nullptr, bits, len);
      }
      OPENSSL_free(bits);
    }
  }
  ERR_clear_error();
  X509_PUBKEY* info = nullptr;
  if (X509_PUBKEY_set(&info, key) != 1) return nullptr;
  return X509PubkeyPtr(info);
}

Status SetPublicKeyInfo(const X509_ALGOR* algorithm, const unsigned char* bits, int len, X509_PUBKEY* to,
                        std::string_view what) {
  const ASN1_OBJECT* oid = nullptr;
  int param_type = V_ASN1_UNDEF;
  const void* param = nullptr;
  X509_ALGOR_get0(&oid, &param_type, &param, algorithm);
  void* param_copy = nullptr;
  if (param_type == V_ASN1_OBJECT) {
    param_copy = OBJ_dup(static_cast<const ASN1_OBJECT*>(param));
  } else if (param != nullptr && param_type != V_ASN1_NULL && param_type != V_ASN1_UNDEF) {
    param_copy = ASN1_STRING_dup(static_cast<const ASN1_STRING*>(param));
  }
  auto* key_bits = static_cast<unsigned char*>(OPENSSL_memdup(bits, static_cast<size_t>(len)));
  if (X509_PUBKEY_set0_param(to, OBJ_dup(oid), param_type, param_copy, key_bits, len) != 1) {
    return Status::Internal(OpenSslError("cannot copy " + std::string(what)));
  }
  return Status::Ok();
}

Status CopyPublicKeyInfo(const X509_PUBKEY* from, X509_PUBKEY* to, std::string_view what) {
  const unsigned char* bits = nullptr;
  int len = 0;
  X509_ALGOR* algorithm = nullptr;
  if (X509_PUBKEY_get0_param(nullptr, &bits, &len, &algorithm, from) != 1) {
    return Status::InvalidArgument(OpenSslError(std::string(what) + " cannot be read"));
  }
  return SetPublicKeyInfo(algorithm, bits, len, to, what);
}

Result<NamePtr> BuildName(const Subject& subject) {
  std::vector<std::string> c, st, l, o, ou;
  for (const auto& n : subject.names) {
    for (auto [list, value] : {std::pair{&c, &n.c}, {&st, &n.st}, {&l, &n.l}, {&o, &n.o}, {&ou, &n.ou}}) {
      if (!value->empty()) list->push_back(*value);
    }
  }
  NamePtr name(X509_NAME_new());
  if (!name) return Status::Internal("out of memory");
  TP_RETURN_IF_ERROR(AddAttributes(name.get(), NID_countryName, "C", c));
  TP_RETURN_IF_ERROR(AddAttributes(name.get(), NID_stateOrProvinceName, "ST", st));
  TP_RETURN_IF_ERROR(AddAttributes(name.get(), NID_localityName, "L", l));
  TP_RETURN_IF_ERROR(AddAttributes(name.get(), NID_organizationName, "O", o));
  TP_RETURN_IF_ERROR(AddAttributes(name.get(), NID_organizationalUnitName, "OU", ou));
  if (!subject.cn.empty()) TP_RETURN_IF_ERROR(AddAttributes(name.get(), NID_commonName, "CN", {subject.cn}));
  if (!subject.serial_number.empty()) {
    TP_RETURN_IF_ERROR(
        AddAttributes(name.get(), NID_serialNumber, "serialnumber", {subject.serial_number}));
  }
  for (const auto& n : subject.names) {
    for (const auto& [oid, value] : n.oid) {
      ObjectPtr type(OBJ_txt2obj(oid.c_str(), 1));
      if (!type) {
        ERR_clear_error();
        return Status::InvalidArgument("names[].OID key '" + oid + "' is not a dotted OID");
      }
      TP_RETURN_IF_ERROR(AddAttribute(name.get(), type.get(), oid.c_str(), value, false));
    }
    if (!n.e.empty()) {
      TP_RETURN_IF_ERROR(AddAttribute(name.get(), OBJ_nid2obj(NID_pkcs9_emailAddress), "E", n.e, false));
    }
  }
  return name;
}

std::string NameOneLine(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : "";
}

std::string CommonNameOf(const X509_NAME* name) {
  int idx = -1, last = -1;
  while ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0) last = idx;
  if (last < 0) return "";
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last)));
  std::string out = n > 0 ? std::string(reinterpret_cast<char*>(utf8), static_cast<size_t>(n)) : "";
  OPENSSL_free(utf8);
  return out;
}

Result<ExtensionPtr> BuildSanExtension(const SubjectAltNameSet& sans, bool critical) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return Status::Internal("out of memory");
  // Go's order (DNS, email, IP, URI), so certificates match cfssl's.
  for (const auto& v : sans.dns) TP_RETURN_IF_ERROR(PushString(names.get(), GEN_DNS, v));
  for (const auto& v : sans.email) TP_RETURN_IF_ERROR(PushString(names.get(), GEN_EMAIL, v));
  for (const auto& v : sans.ip) {
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(v.c_str());
    if (ip == nullptr) {
      ERR_clear_error();
      return Status::InvalidArgument("'" + v + "' is not an IP address");
    }
    GeneralNamePtr gen(GENERAL_NAME_new());
    GENERAL_NAME_set0_value(gen.get(), GEN_IPADD, ip);
    if (sk_GENERAL_NAME_push(names.get(), gen.get()) <= 0) return Status::Internal("out of memory");
    gen.release();
  }
  for (const auto& v : sans.uri) TP_RETURN_IF_ERROR(PushString(names.get(), GEN_URI, v));
  ExtensionPtr ext(X509V3_EXT_i2d(NID_subject_alt_name, critical ? 1 : 0, names.get()));
  if (!ext) return Status::Internal(OpenSslError("cannot encode the subjectAltName extension"));
  return ext;
}

SubjectAltNameSet ReadGeneralNames(const GENERAL_NAMES* names, bool* other) {
  SubjectAltNameSet sans;
  *other = false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    switch (gn->type) {
      case GEN_DNS: sans.dns.push_back(AsString(gn->d.dNSName)); break;
      case GEN_EMAIL: sans.email.push_back(AsString(gn->d.rfc822Name)); break;
      case GEN_URI: sans.uri.push_back(AsString(gn->d.uniformResourceIdentifier)); break;
      case GEN_IPADD: {
        char text[INET6_ADDRSTRLEN] = {};
        const int len = ASN1_STRING_length(gn->d.iPAddress);
        const int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : -1;
        if (family > 0 && inet_ntop(family, ASN1_STRING_get0_data(gn->d.iPAddress), text, sizeof text)) {
          sans.ip.push_back(text);
        } else {
          *other = true;  // an address with a mask belongs in name constraints, not here
        }
        break;
      }
      default: *other = true;
    }
  }
  return sans;
}

}  // namespace trustplane::pki
