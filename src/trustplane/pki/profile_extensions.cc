#include "trustplane/pki/profile_extensions.h"

#include <openssl/objects.h>

namespace trustplane::pki {
namespace {

using BitStringPtr = OpenSslPtr<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;
using InfoAccessPtr = OpenSslPtr<AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free>;
using DistPointsPtr = OpenSslPtr<CRL_DIST_POINTS, CRL_DIST_POINTS_free>;
using PoliciesPtr = OpenSslPtr<CERTIFICATEPOLICIES, CERTIFICATEPOLICIES_free>;
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

}  // namespace

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
  if (p.ocsp_no_check) TP_RETURN_IF_ERROR(add(out.after_san, OcspNoCheckExtension()));
  return out;
}

}  // namespace trustplane::pki
