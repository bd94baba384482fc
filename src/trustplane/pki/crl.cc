#include "trustplane/pki/crl.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "trustplane/pki/native.h"

namespace trustplane::pki {
namespace {

using CrlPtr = OpenSslPtr<X509_CRL, X509_CRL_free>;
using RevokedPtr = OpenSslPtr<X509_REVOKED, X509_REVOKED_free>;
using TimePtr = OpenSslPtr<ASN1_TIME, ASN1_TIME_free>;
using IntegerPtr = OpenSslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;
using EnumeratedPtr = OpenSslPtr<ASN1_ENUMERATED, ASN1_ENUMERATED_free>;
using BignumPtr = OpenSslPtr<BIGNUM, BN_free>;
using MdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;

constexpr int kRemoveFromCrl = 8;

Result<IntegerPtr> SerialInteger(const std::string& magnitude) {
  BignumPtr bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(magnitude.data()),
                         static_cast<int>(magnitude.size()), nullptr));
  IntegerPtr out(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!out) return Status::Internal(OpenSslError("cannot encode a serial number"));
  return out;
}

Status AddEntry(X509_CRL* crl, const RevokedEntry& entry) {
  RevokedPtr revoked(X509_REVOKED_new());
  TP_ASSIGN_OR_RETURN(IntegerPtr serial, SerialInteger(entry.serial));
  TimePtr when(ASN1_TIME_set(nullptr, entry.revoked_at));
  if (!revoked || !when || X509_REVOKED_set_serialNumber(revoked.get(), serial.get()) != 1 ||
      X509_REVOKED_set_revocationDate(revoked.get(), when.get()) != 1) {
    return Status::Internal(OpenSslError("cannot build a CRL entry"));
  }
  if (entry.reason != 0) {
    EnumeratedPtr reason(ASN1_ENUMERATED_new());
    if (!reason || ASN1_ENUMERATED_set(reason.get(), entry.reason) != 1 ||
        X509_REVOKED_add1_ext_i2d(revoked.get(), NID_crl_reason, reason.get(), 0, 0) != 1) {
      return Status::Internal(OpenSslError("cannot encode a CRL reason code"));
    }
  }
  if (X509_CRL_add0_revoked(crl, revoked.get()) != 1) {
    return Status::Internal(OpenSslError("cannot add a CRL entry"));
  }
  revoked.release();
  return Status::Ok();
}

Status AddCrlExtensions(X509_CRL* crl, const NativeIssuer& issuer, int64_t number) {
  AuthorityKeyIdPtr akid(AUTHORITY_KEYID_new());
  akid->keyid = ASN1_OCTET_STRING_new();
  if (!akid->keyid ||
      ASN1_OCTET_STRING_set(akid->keyid, reinterpret_cast<const unsigned char*>(issuer.key_id.data()),
                            static_cast<int>(issuer.key_id.size())) != 1 ||
      X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid.get(), 0, 0) != 1) {
    return Status::Internal(OpenSslError("cannot encode the CRL's authority key identifier"));
  }
  IntegerPtr crl_number(ASN1_INTEGER_new());
  if (!crl_number || ASN1_INTEGER_set_int64(crl_number.get(), number) != 1 ||
      X509_CRL_add1_ext_i2d(crl, NID_crl_number, crl_number.get(), 0, 0) != 1) {
    return Status::Internal(OpenSslError("cannot encode the CRL number"));
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> SignCrl(const x509::Certificate& ca, const PrivateKey& ca_key, const CrlSpec& spec) {
  if (ca.key_usage().present && !ca.key_usage().crl_sign) {
    return Status::Policy("lint ca-without-crlsign: " + ca.subject() +
                          " may not sign CRLs: its keyUsage lacks cRLSign (RFC 5280 4.2.1.3)");
  }
  if (spec.next_update <= spec.this_update) {
    return Status::InvalidArgument("the CRL's nextUpdate must be after its thisUpdate");
  }
  if (spec.number < 0) return Status::InvalidArgument("a CRL number cannot be negative");
  TP_ASSIGN_OR_RETURN(NativeIssuer issuer, NativeIssuer::Load(ca, ca_key));

  CrlPtr crl(X509_CRL_new());
  TimePtr this_update(ASN1_TIME_set(nullptr, spec.this_update));
  TimePtr next_update(ASN1_TIME_set(nullptr, spec.next_update));
  if (!crl || !this_update || !next_update || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.cert.get())) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1) {
    return Status::Internal(OpenSslError("cannot build the CRL"));
  }
  for (const RevokedEntry& entry : spec.entries) {
    if (entry.reason == kRemoveFromCrl) continue;
    TP_RETURN_IF_ERROR(AddEntry(crl.get(), entry));
  }
  X509_CRL_sort(crl.get());
  TP_RETURN_IF_ERROR(AddCrlExtensions(crl.get(), issuer, spec.number));

  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, issuer.md.get(), nullptr, issuer.pkey()) != 1 ||
      X509_CRL_sign_ctx(crl.get(), ctx.get()) <= 0) {
    return Status::Internal(OpenSslError("cannot sign the CRL"));
  }
  std::string der = ToDer<X509_CRL, i2d_X509_CRL>(crl.get());
  if (der.empty()) return Status::Internal(OpenSslError("cannot encode the CRL"));
  return der;
}

}  // namespace trustplane::pki
