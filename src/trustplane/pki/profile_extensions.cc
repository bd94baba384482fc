#include "trustplane/pki/profile_extensions.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/objects.h>

namespace trustplane::pki {
namespace {

using BitStringPtr = OpenSslPtr<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;
using InfoAccessPtr = OpenSslPtr<AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free>;
using DistPointsPtr = OpenSslPtr<CRL_DIST_POINTS, CRL_DIST_POINTS_free>;
using PoliciesPtr = OpenSslPtr<CERTIFICATEPOLICIES, CERTIFICATEPOLICIES_free>;
using NameConstraintsPtr = OpenSslPtr<NAME_CONSTRAINTS, NAME_CONSTRAINTS_free>;
void FreeObjects(EXTENDED_KEY_USAGE* s) { sk_ASN1_OBJECT_pop_free(s, ASN1_OBJECT_free); }
using ExtKeyUsagePtr = OpenSslPtr<EXTENDED_KEY_USAGE, FreeObjects>;

Result<ExtensionPtr> Encode(int nid, bool critical, void* value) {
  ExtensionPtr ext(X509V3_EXT_i2d(nid, critical ? 1 : 0, value));
  if (!ext) return Status::Internal(OpenSslError(std::string("cannot encode ") + OBJ_nid2sn(nid)));
  return ext;
}

GENERAL_NAME* UriName(const std::string& uri) {
  GENERAL_NAME* gn = GENERAL_NAME_new();
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  ASN1_STRING_set(text, uri.data(), static_cast<int>(uri.size()));
  GENERAL_NAME_set0_value(gn, GEN_URI, text);
  return gn;
}

Result<ExtensionPtr> KeyUsageExtension(int bits) {
  BitStringPtr bs(ASN1_BIT_STRING_new());
  // KU_* flags: bit n of RFC 5280's KeyUsage is 0x80 >> n for n < 8, decipherOnly (8) is 0x8000.
  for (int n = 0; n < 9; ++n) {
    const int flag = n < 8 ? (0x80 >> n) : 0x8000;
    if ((bits & flag) != 0) ASN1_BIT_STRING_set_bit(bs.get(), n, 1);
  }
  return Encode(NID_key_usage, true, bs.get());
}

Result<ExtensionPtr> ExtKeyUsageExtension(const std::vector<int>& nids) {
  ExtKeyUsagePtr eku(sk_ASN1_OBJECT_new_null());
  for (int nid : nids) sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(nid));
  return Encode(NID_ext_key_usage, false, eku.get());
}

Result<ExtensionPtr> BasicConstraintsExtension(const CaConstraint& c) {
  BasicConstraintsPtr bc(BASIC_CONSTRAINTS_new());
  bc->ca = c.is_ca ? 0xff : 0;
  if (c.is_ca && c.PathLen()) {
    bc->pathlen = ASN1_INTEGER_new();
    ASN1_INTEGER_set(bc->pathlen, *c.PathLen());
  }
  return Encode(NID_basic_constraints, true, bc.get());
}

Result<ExtensionPtr> AuthorityKeyIdExtension(const std::string& key_id) {
  AuthorityKeyIdPtr akid(AUTHORITY_KEYID_new());
  akid->keyid = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(akid->keyid, reinterpret_cast<const unsigned char*>(key_id.data()),
                        static_cast<int>(key_id.size()));
  return Encode(NID_authority_key_identifier, false, akid.get());
}

Result<ExtensionPtr> InfoAccessExtension(const SigningProfile& p) {
  InfoAccessPtr aia(sk_ACCESS_DESCRIPTION_new_null());
  const auto add = [&](int method, const std::string& uri) {
    ACCESS_DESCRIPTION* ad = ACCESS_DESCRIPTION_new();
    ad->method = OBJ_nid2obj(method);
    GENERAL_NAME_free(ad->location);
    ad->location = UriName(uri);
    sk_ACCESS_DESCRIPTION_push(aia.get(), ad);
  };
  if (!p.ocsp_url.empty()) add(NID_ad_OCSP, p.ocsp_url);
  for (const auto& url : p.issuer_urls) add(NID_ad_ca_issuers, url);
  return Encode(NID_info_access, false, aia.get());
}

Result<ExtensionPtr> CrlDistributionPointExtension(const std::string& url) {
  DistPointsPtr points(sk_DIST_POINT_new_null());
  DIST_POINT* point = DIST_POINT_new();
  point->distpoint = DIST_POINT_NAME_new();
  point->distpoint->type = 0;  // fullName
  point->distpoint->name.fullname = GENERAL_NAMES_new();
  sk_GENERAL_NAME_push(point->distpoint->name.fullname, UriName(url));
  sk_DIST_POINT_push(points.get(), point);
  return Encode(NID_crl_distribution_points, false, points.get());
}

Result<ExtensionPtr> PoliciesExtension(const std::vector<CertificatePolicy>& policies) {
  PoliciesPtr list(sk_POLICYINFO_new_null());
  for (const auto& policy : policies) {
    POLICYINFO* info = POLICYINFO_new();
    sk_POLICYINFO_push(list.get(), info);
    info->policyid = OBJ_txt2obj(policy.oid.c_str(), 1);
    if (info->policyid == nullptr) return Status::InvalidArgument(OpenSslError("policy OID " + policy.oid));
    if (policy.cps_uris.empty() && policy.user_notices.empty()) continue;
    info->qualifiers = sk_POLICYQUALINFO_new_null();
    for (const auto& uri : policy.cps_uris) {
      POLICYQUALINFO* q = POLICYQUALINFO_new();
      q->pqualid = OBJ_nid2obj(NID_id_qt_cps);
      q->d.cpsuri = ASN1_IA5STRING_new();
      ASN1_STRING_set(q->d.cpsuri, uri.data(), static_cast<int>(uri.size()));
      sk_POLICYQUALINFO_push(info->qualifiers, q);
    }
    for (const auto& text : policy.user_notices) {
      POLICYQUALINFO* q = POLICYQUALINFO_new();
      q->pqualid = OBJ_nid2obj(NID_id_qt_unotice);
      q->d.usernotice = USERNOTICE_new();
      q->d.usernotice->exptext = ASN1_UTF8STRING_new();
      ASN1_STRING_set(q->d.usernotice->exptext, text.data(), static_cast<int>(text.size()));
      sk_POLICYQUALINFO_push(info->qualifiers, q);
    }
  }
  return Encode(NID_certificate_policies, false, list.get());
}

// id-pkix-ocsp-nocheck: its value is an ASN.1 NULL (RFC 6960 4.2.2.2.1).
Result<ExtensionPtr> OcspNoCheckExtension() {
  static const unsigned char kNull[] = {0x05, 0x00};
  OpenSslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> value(ASN1_OCTET_STRING_new());
  ASN1_OCTET_STRING_set(value.get(), kNull, sizeof kNull);
  ExtensionPtr ext(X509_EXTENSION_create_by_NID(nullptr, NID_id_pkix_OCSP_noCheck, 0, value.get()));
  if (!ext) return Status::Internal(OpenSslError("cannot encode OCSP no-check"));
  return ext;
}

GENERAL_NAME* TextName(int type, const std::string& text) {
  GENERAL_NAME* gn = GENERAL_NAME_new();
  ASN1_IA5STRING* value = ASN1_IA5STRING_new();
  ASN1_STRING_set(value, text.data(), static_cast<int>(text.size()));
  GENERAL_NAME_set0_value(gn, type, value);
  return gn;
}

// An iPAddress subtree: the address followed by its mask (RFC 5280 4.2.1.10).
GENERAL_NAME* CidrName(const std::string& cidr) {
  const size_t slash = cidr.find('/');
  const std::string host = cidr.substr(0, slash);
  const int prefix = std::stoi(cidr.substr(slash + 1));
  unsigned char bytes[32] = {};
  int len = 4;
  if (inet_pton(AF_INET, host.c_str(), bytes) != 1) {
    inet_pton(AF_INET6, host.c_str(), bytes);
    len = 16;
  }
  for (int bit = 0; bit < prefix; ++bit) bytes[len + bit / 8] |= static_cast<unsigned char>(0x80 >> (bit % 8));
  GENERAL_NAME* gn = GENERAL_NAME_new();
  ASN1_OCTET_STRING* value = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(value, bytes, 2 * len);
  GENERAL_NAME_set0_value(gn, GEN_IPADD, value);
  return gn;
}

Status AddSubtrees(STACK_OF(GENERAL_SUBTREE) * *list, const NameSubtrees& names, const char* which) {
  struct Kind {
    const char* name;
    const std::vector<std::string>* entries;
    int type;
  };
  const Kind kinds[] = {{"dns", &names.dns, GEN_DNS},
                        {"ip", &names.ip, GEN_IPADD},
                        {"email", &names.email, GEN_EMAIL},
                        {"uri", &names.uri, GEN_URI}};
  for (const Kind& kind : kinds) {
    for (const std::string& entry : *kind.entries) {
      if (std::string why = NameConstraintEntryError(kind.name, entry); !why.empty()) {
        return Status::InvalidArgument(std::string("name_constraints.") + which + "." + kind.name + ": '" + entry +
                                       "' " + why);
      }
      if (*list == nullptr) *list = sk_GENERAL_SUBTREE_new_null();
      GENERAL_SUBTREE* subtree = GENERAL_SUBTREE_new();
      GENERAL_NAME_free(subtree->base);
      subtree->base = kind.type == GEN_IPADD ? CidrName(entry) : TextName(kind.type, entry);
      sk_GENERAL_SUBTREE_push(*list, subtree);
    }
  }
  return Status::Ok();
}

std::string CidrText(const ASN1_OCTET_STRING* value) {
  const int len = ASN1_STRING_length(value) / 2;
  const unsigned char* bytes = ASN1_STRING_get0_data(value);
  if (len != 4 && len != 16) return "";
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(len == 4 ? AF_INET : AF_INET6, bytes, text, sizeof text);
  int prefix = 0;
  for (int bit = 0; bit < len * 8 && ((bytes[len + bit / 8] >> (7 - bit % 8)) & 1); ++bit) ++prefix;
  return std::string(text) + "/" + std::to_string(prefix);
}

void ReadSubtrees(const STACK_OF(GENERAL_SUBTREE) * list, NameSubtrees* out) {
  for (int i = 0; i < sk_GENERAL_SUBTREE_num(list); ++i) {
    const GENERAL_NAME* base = sk_GENERAL_SUBTREE_value(list, i)->base;
    const auto text = [&](const ASN1_STRING* s) {
      return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                         static_cast<size_t>(ASN1_STRING_length(s)));
    };
    switch (base->type) {
      case GEN_DNS: out->dns.push_back(text(base->d.dNSName)); break;
      case GEN_EMAIL: out->email.push_back(text(base->d.rfc822Name)); break;
      case GEN_URI: out->uri.push_back(text(base->d.uniformResourceIdentifier)); break;
      case GEN_IPADD:
        if (std::string cidr = CidrText(base->d.iPAddress); !cidr.empty()) out->ip.push_back(cidr);
        break;
      default: break;
    }
  }
}

}  // namespace

Result<ExtensionPtr> NameConstraintsExtension(const NameConstraints& nc) {
  NameConstraintsPtr value(NAME_CONSTRAINTS_new());
  TP_RETURN_IF_ERROR(AddSubtrees(&value->permittedSubtrees, nc.permitted, "permitted"));
  TP_RETURN_IF_ERROR(AddSubtrees(&value->excludedSubtrees, nc.excluded, "excluded"));
  return Encode(NID_name_constraints, nc.critical, value.get());
}

std::optional<NameConstraints> ReadNameConstraints(const X509* cert) {
  int critical = 0;
  NameConstraintsPtr value(
      static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(cert, NID_name_constraints, &critical, nullptr)));
  if (!value) {
    ERR_clear_error();
    return std::nullopt;
  }
  NameConstraints out;
  out.critical = critical == 1;
  ReadSubtrees(value->permittedSubtrees, &out.permitted);
  ReadSubtrees(value->excludedSubtrees, &out.excluded);
  return out;
}

Result<ProfileExtensions> BuildProfileExtensions(const SigningProfile& p,
                                                 const std::string& issuer_key_id) {
  ProfileExtensions out;
  const auto add = [](std::vector<ExtensionPtr>& list, Result<ExtensionPtr> ext) -> Status {
    if (!ext.ok()) return ext.status();
    list.push_back(std::move(ext).value());
    return Status::Ok();
  };
  if (p.usages.key_usage != 0) TP_RETURN_IF_ERROR(add(out.before_ski, KeyUsageExtension(p.usages.key_usage)));
  if (!p.usages.ext_key_usage.empty()) {
    TP_RETURN_IF_ERROR(add(out.before_ski, ExtKeyUsageExtension(p.usages.ext_key_usage)));
  }
  TP_RETURN_IF_ERROR(add(out.before_ski, BasicConstraintsExtension(p.ca_constraint)));
  if (!issuer_key_id.empty()) TP_RETURN_IF_ERROR(add(out.before_san, AuthorityKeyIdExtension(issuer_key_id)));
  if (!p.ocsp_url.empty() || !p.issuer_urls.empty()) {
    TP_RETURN_IF_ERROR(add(out.before_san, InfoAccessExtension(p)));
  }
  if (!p.crl_url.empty()) TP_RETURN_IF_ERROR(add(out.after_san, CrlDistributionPointExtension(p.crl_url)));
  if (!p.policies.empty()) TP_RETURN_IF_ERROR(add(out.after_san, PoliciesExtension(p.policies)));
  if (p.name_constraints) TP_RETURN_IF_ERROR(add(out.after_san, NameConstraintsExtension(*p.name_constraints)));
  if (p.ocsp_no_check) TP_RETURN_IF_ERROR(add(out.after_san, OcspNoCheckExtension()));
  return out;
}

}  // namespace trustplane::pki
