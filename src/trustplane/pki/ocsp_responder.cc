#include "trustplane/pki/ocsp_responder.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "trustplane/base/digest.h"
#include "trustplane/base/encoding.h"
#include "trustplane/pki/native.h"
#include "trustplane/pki/serial_number.h"

namespace trustplane::pki {
namespace {

using OcspRequestPtr = OpenSslPtr<OCSP_REQUEST, OCSP_REQUEST_free>;
using OcspResponsePtr = OpenSslPtr<OCSP_RESPONSE, OCSP_RESPONSE_free>;
using BasicResponsePtr = OpenSslPtr<OCSP_BASICRESP, OCSP_BASICRESP_free>;
using CertIdPtr = OpenSslPtr<OCSP_CERTID, OCSP_CERTID_free>;
using TimePtr = OpenSslPtr<ASN1_TIME, ASN1_TIME_free>;
using MdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using BignumPtr = OpenSslPtr<BIGNUM, BN_free>;

// Lets the request map be searched with the string_view of a request body.
struct BytesHash {
  using is_transparent = void;
  size_t operator()(std::string_view bytes) const { return std::hash<std::string_view>{}(bytes); }
};

constexpr size_t kMaxRememberedRequests = 100000;

OcspAnswer ResponseWithStatus(int status) {
  OcspResponsePtr resp(OCSP_response_create(status, nullptr));
  return OcspAnswer{resp ? ToDer<OCSP_RESPONSE, i2d_OCSP_RESPONSE>(resp.get()) : ""};
}

// What the certdb says about one certificate.
struct CertStatus {
  int status = V_OCSP_CERTSTATUS_UNKNOWN;
  int reason = OCSP_REVOKED_STATUS_NOSTATUS;
  UnixSeconds revoked_at = 0;
  bool operator==(const CertStatus&) const = default;
};

CertStatus StatusOf(const CertificateRecord& rec) {
  CertStatus s;
  if (rec.status == "revoked") {
    s.status = V_OCSP_CERTSTATUS_REVOKED;
    // RFC 6960 4.2.1: the reason is optional; unspecified (0) is left out, as in CRLs.
    s.reason = rec.reason == 0 ? OCSP_REVOKED_STATUS_NOSTATUS : static_cast<int>(rec.reason);
    s.revoked_at = rec.revoked_at.value_or(0);
  } else {
    s.status = V_OCSP_CERTSTATUS_GOOD;
  }
  return s;
}

// What a signed single-certificate response says, and until when.
struct ResponseFacts {
  CertStatus status;
  UnixSeconds this_update = 0;
  UnixSeconds next_update = 0;
};

// A signed response kept in memory, valid while the certdb status is unchanged.
struct CachedResponse {
  ResponseFacts facts;
  std::string der;
  std::string etag;  // hashed once here, not per request

  CachedResponse(const ResponseFacts& f, std::string response)
      : facts(f), der(std::move(response)), etag(Sha256Hex(der)) {}

  OcspAnswer Answer() const { return OcspAnswer{der, true, facts.this_update, facts.next_update, etag}; }
};

std::optional<UnixSeconds> UnixOf(const ASN1_GENERALIZEDTIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return timegm(&tm);
}

// What a stored (pre-signed) single-certificate response says.
std::optional<ResponseFacts> ReadStored(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!resp || OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    ERR_clear_error();
    return std::nullopt;
  }
  BasicResponsePtr basic(OCSP_response_get1_basic(resp.get()));
  OCSP_SINGLERESP* single = basic ? OCSP_resp_get0(basic.get(), 0) : nullptr;
  if (!single) return std::nullopt;
  int reason = OCSP_REVOKED_STATUS_NOSTATUS;
  ASN1_GENERALIZEDTIME *revoked = nullptr, *this_update = nullptr, *next_update = nullptr;
  ResponseFacts out;
  out.status.status = OCSP_single_get0_status(single, &reason, &revoked, &this_update, &next_update);
  out.status.reason = revoked ? reason : OCSP_REVOKED_STATUS_NOSTATUS;
  out.status.revoked_at = UnixOf(revoked).value_or(0);
  const std::optional<UnixSeconds> this_time = UnixOf(this_update), next_time = UnixOf(next_update);
  if (!this_time || !next_time) return std::nullopt;
  out.this_update = *this_time;
  out.next_update = *next_time;
  return out;
}

}  // namespace

struct OcspResponder::State {
  State(X509Ptr ca_cert, NativeIssuer signer) : ca(std::move(ca_cert)), responder(std::move(signer)) {}
  X509Ptr ca;              // the issuer whose certificates are answered for
  NativeIssuer responder;  // who signs: the CA itself or its delegated OCSP signer
  bool delegated = false;
  std::string aki;  // the CA's key identifier, lowercase hex, as the certdb keys rows
  CertDb* certdb = nullptr;
  OcspResponderOptions options;

  // The CA's name and key hashes as a SHA-1 CertID carries them, computed
  // once: nearly every request uses SHA-1 (RFC 5019), and building a CertID
  // per request to compare costs two digests and several allocations.
  std::string sha1_name_hash, sha1_key_hash;

  std::mutex db_mu;  // CertDb is one connection
  mutable std::shared_mutex cache_mu;
  std::unordered_map<std::string, CachedResponse> cache;  // by decimal serial

  // The decimal serial that a request for one certificate, without a nonce
  // and with a SHA-1 CertID of this CA, asks about, by the request's bytes:
  // clients repeat the same request (openssl, browsers and RFC 5019 clients
  // send exactly these), and knowing its bytes spares decoding them, the
  // issuer check and the decimal conversion (over half of the responder's
  // own time per answer). The bytes alone decide the serial, so an entry never
  // goes stale; the status is still read from the certdb on every request.
  mutable std::shared_mutex requests_mu;
  std::unordered_map<std::string, std::string, BytesHash, std::equal_to<>> serial_by_request;

  std::optional<std::string> RememberedSerial(std::string_view request_der) const {
    std::shared_lock lock(requests_mu);
    auto it = serial_by_request.find(request_der);
    if (it == serial_by_request.end()) return std::nullopt;
    return it->second;
  }

  void Remember(std::string_view request_der, const std::string& serial_decimal) {
    std::unique_lock lock(requests_mu);
    if (serial_by_request.size() >= kMaxRememberedRequests) serial_by_request.clear();
    serial_by_request.emplace(request_der, serial_decimal);
  }

  // The CA's CertID for `serial` under `md` (SHA-1 for pre-signed responses).
  CertIdPtr CertIdFor(const EVP_MD* md, const ASN1_INTEGER* serial) const {
    return CertIdPtr(OCSP_cert_id_new(md, X509_get_subject_name(ca.get()), X509_get0_pubkey_bitstr(ca.get()),
                                      serial));
  }

  // Only the columns an answer needs (status-only lookup, cached in CertDb).
  Result<CertificateRecord> Lookup(const std::string& serial_decimal) {
    Result<CertificateStatus> st = [&] {
      std::lock_guard lock(db_mu);
      return certdb->GetCertificateStatus(serial_decimal, aki);
    }();
    if (!st.ok()) return st.status();
    CertificateRecord rec;
    rec.serial_number = serial_decimal;
    rec.authority_key_identifier = aki;
    rec.status = std::move(st->status);
    rec.reason = st->reason;
    rec.expiry = st->expiry;
    rec.revoked_at = st->revoked_at;
    return rec;
  }

  // One signed response for the given single requests (CertIDs and statuses).
  Result<std::string> Sign(const std::vector<std::pair<OCSP_CERTID*, CertStatus>>& answers,
                           const OCSP_REQUEST* nonce_from, UnixSeconds now) const {
    BasicResponsePtr basic(OCSP_BASICRESP_new());
    TimePtr this_update(ASN1_GENERALIZEDTIME_set(nullptr, now));
    TimePtr next_update(ASN1_GENERALIZEDTIME_set(nullptr, now + options.validity_seconds));
    if (!basic || !this_update || !next_update) return Status::Internal(OpenSslError("OCSP response"));
    for (const auto& [id, st] : answers) {
      TimePtr revoked(st.status == V_OCSP_CERTSTATUS_REVOKED ? ASN1_GENERALIZEDTIME_set(nullptr, st.revoked_at)
                                                             : nullptr);
      if (!OCSP_basic_add1_status(basic.get(), id, st.status, st.reason, revoked.get(), this_update.get(),
                                  next_update.get())) {
        return Status::Internal(OpenSslError("cannot add an OCSP single response"));
      }
    }
    if (nonce_from && OCSP_copy_nonce(basic.get(), const_cast<OCSP_REQUEST*>(nonce_from)) <= 0) {
      return Status::Internal(OpenSslError("cannot copy the OCSP nonce"));
    }
    MdCtxPtr ctx(EVP_MD_CTX_new());
    // By key hash: smaller than by name; a delegated signer's certificate rides along.
    const unsigned long flags = OCSP_RESPID_KEY | (delegated ? 0 : OCSP_NOCERTS);
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, responder.md.get(), nullptr, responder.pkey()) != 1 ||
        OCSP_basic_sign_ctx(basic.get(), responder.cert.get(), ctx.get(), nullptr, flags) != 1) {
      return Status::Internal(OpenSslError("cannot sign the OCSP response"));
    }
    OcspResponsePtr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
    std::string der = resp ? ToDer<OCSP_RESPONSE, i2d_OCSP_RESPONSE>(resp.get()) : "";
    if (der.empty()) return Status::Internal(OpenSslError("cannot encode the OCSP response"));
    return der;
  }

  // Signs (SHA-1 CertID, no nonce) and stores the response for one record.
  // Signs the answer for rec's status and keeps it in memory (the caller stores it).
  Result<CachedResponse> SignFor(const CertificateRecord& rec, UnixSeconds now) {
    TP_ASSIGN_OR_RETURN(std::string magnitude, ParseSerialNumber(rec.serial_number));
    BignumPtr bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(magnitude.data()),
                           static_cast<int>(magnitude.size()), nullptr));
    OpenSslPtr<ASN1_INTEGER, ASN1_INTEGER_free> serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
    CertIdPtr id(serial ? CertIdFor(EVP_sha1(), serial.get()) : CertIdPtr());
    if (!id) return Status::Internal(OpenSslError("cannot build an OCSP CertID"));
    const CertStatus st = StatusOf(rec);
    TP_ASSIGN_OR_RETURN(std::string der, Sign({{id.get(), st}}, nullptr, now));
    CachedResponse out({st, now, now + options.validity_seconds}, std::move(der));
    std::unique_lock lock(cache_mu);
    cache.insert_or_assign(rec.serial_number, out);
    return out;
  }

  Result<CachedResponse> Presign(const CertificateRecord& rec, UnixSeconds now) {
    TP_ASSIGN_OR_RETURN(CachedResponse out, SignFor(rec, now));
    std::lock_guard lock(db_mu);
    TP_RETURN_IF_ERROR(certdb->UpsertOCSP({rec.serial_number, aki, out.der, out.facts.next_update}));
    return out;
  }

  bool Fresh(const ResponseFacts& f, const CertStatus& st, UnixSeconds now) const {
    return f.status == st && f.next_update - options.refresh_before > now;
  }

  // The pre-signed answer for one SHA-1 CertID request: from memory, then the
  // certdb's stored response, else signed now and stored.
  Result<OcspAnswer> Presigned(const CertificateRecord& rec, UnixSeconds now) {
    const CertStatus st = StatusOf(rec);
    {
      std::shared_lock lock(cache_mu);
      auto it = cache.find(rec.serial_number);
      if (it != cache.end() && Fresh(it->second.facts, st, now)) return it->second.Answer();
    }
    std::optional<OcspRecord> stored;
    {
      std::lock_guard lock(db_mu);
      auto row = certdb->GetOCSP(rec.serial_number, aki);
      if (row.ok()) stored = std::move(row).value();
    }
    if (stored) {
      if (auto facts = ReadStored(stored->body); facts && Fresh(*facts, st, now)) {
        CachedResponse kept(*facts, std::move(stored->body));
        OcspAnswer answer = kept.Answer();
        std::unique_lock lock(cache_mu);
        cache.insert_or_assign(rec.serial_number, std::move(kept));
        return answer;
      }
    }
    TP_ASSIGN_OR_RETURN(CachedResponse fresh, Presign(rec, now));
    return fresh.Answer();
  }

  bool IssuedBySha1(const ASN1_OCTET_STRING* name_hash, const ASN1_OCTET_STRING* key_hash) const {
    auto same = [](const ASN1_OCTET_STRING* a, const std::string& b) {
      return a && static_cast<size_t>(ASN1_STRING_length(a)) == b.size() &&
             std::memcmp(ASN1_STRING_get0_data(a), b.data(), b.size()) == 0;
    };
    return same(name_hash, sha1_name_hash) && same(key_hash, sha1_key_hash);
  }

  // Any other hash algorithm: hash the CA's name and key with it and compare.
  bool IssuedBy(const ASN1_OBJECT* md_oid, const ASN1_INTEGER* serial, const OCSP_CERTID* id) const {
    const EVP_MD* md = md_oid ? EVP_get_digestbyobj(md_oid) : nullptr;
    CertIdPtr ours(md ? CertIdFor(md, serial) : CertIdPtr());
    return ours && OCSP_id_issuer_cmp(ours.get(), id) == 0;
  }

  OcspAnswer Respond(std::string_view request_der) {
    if (std::optional<std::string> serial = RememberedSerial(request_der)) {
      auto rec = Lookup(*serial);
      if (rec.ok()) {
        Result<OcspAnswer> answer = Presigned(*rec, NowUnix());
        return answer.ok() ? std::move(answer).value() : ResponseWithStatus(OCSP_RESPONSE_STATUS_INTERNALERROR);
      }
      if (rec.status().code() != ErrorCode::kNotFound) return ResponseWithStatus(OCSP_RESPONSE_STATUS_INTERNALERROR);
      // Gone from the certdb since: the full path answers "unknown".
    }
    const auto* p = reinterpret_cast<const unsigned char*>(request_der.data());
    OcspRequestPtr req(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(request_der.size())));
    const int count = req ? OCSP_request_onereq_count(req.get()) : 0;
    if (!req || count <= 0 || p != reinterpret_cast<const unsigned char*>(request_der.data()) + request_der.size()) {
      ERR_clear_error();
      return ResponseWithStatus(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    }
    const bool has_nonce = OCSP_REQUEST_get_ext_by_NID(req.get(), NID_id_pkix_OCSP_Nonce, -1) >= 0;
    const UnixSeconds now = NowUnix();
    std::vector<std::pair<OCSP_CERTID*, CertStatus>> answers;
    std::optional<CertificateRecord> single_record;
    bool sha1_ids = true;
    for (int i = 0; i < count; ++i) {
      OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req.get(), i));
      ASN1_OCTET_STRING *name_hash = nullptr, *key_hash = nullptr;
      ASN1_OBJECT* md_oid = nullptr;
      ASN1_INTEGER* serial = nullptr;
      OCSP_id_get0_info(&name_hash, &md_oid, &key_hash, &serial, id);
      const bool sha1 = md_oid && OBJ_obj2nid(md_oid) == NID_sha1;
      if (!serial || !(sha1 ? IssuedBySha1(name_hash, key_hash) : IssuedBy(md_oid, serial, id))) {
        ERR_clear_error();
        return ResponseWithStatus(OCSP_RESPONSE_STATUS_UNAUTHORIZED);
      }
      sha1_ids = sha1_ids && sha1;
      BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
      char* text = bn ? BN_bn2dec(bn.get()) : nullptr;
      const std::string decimal = text ? text : "";
      OPENSSL_free(text);
      auto rec = Lookup(decimal);
      if (!rec.ok() && rec.status().code() != ErrorCode::kNotFound) {
        return ResponseWithStatus(OCSP_RESPONSE_STATUS_INTERNALERROR);
      }
      // A serial the certdb never saw: "unknown" (RFC 6960 2.2).
      answers.emplace_back(id, rec.ok() ? StatusOf(*rec) : CertStatus{});
      if (count == 1 && rec.ok()) single_record = std::move(rec).value();
    }
    if (single_record && !has_nonce && sha1_ids) {
      Result<OcspAnswer> answer = Presigned(*single_record, now);
      if (!answer.ok()) return ResponseWithStatus(OCSP_RESPONSE_STATUS_INTERNALERROR);
      Remember(request_der, single_record->serial_number);
      return std::move(answer).value();
    }
    Result<std::string> der = Sign(answers, has_nonce ? req.get() : nullptr, now);
    return der.ok() ? OcspAnswer{std::move(der).value()} : ResponseWithStatus(OCSP_RESPONSE_STATUS_INTERNALERROR);
  }
};

Result<OcspResponder> OcspResponder::Create(const x509::Certificate& ca, const x509::Certificate& responder,
                                            const PrivateKey& responder_key, CertDb* certdb,
                                            OcspResponderOptions options) {
  if (options.validity_seconds <= 0 || options.refresh_before < 0 ||
      options.refresh_before >= options.validity_seconds) {
    return Status::InvalidArgument("OCSP validity must be positive and longer than the refresh margin");
  }
  const bool delegated = responder.der() != ca.der();
  if (delegated) {
    if (!responder.IsSignedBy(ca)) {
      return Status::InvalidArgument("the OCSP responder certificate " + responder.subject() +
                                     " was not issued by the CA " + ca.subject());
    }
    if (!responder.extended_key_usage().Has("OCSPSigning")) {
      return Status::InvalidArgument("the OCSP responder certificate " + responder.subject() +
                                     " lacks extendedKeyUsage OCSPSigning (RFC 6960 4.2.2.2)");
    }
  }
  X509Ptr ca_cert = NativeCopy(ca);
  if (!ca_cert) return Status::Internal(OpenSslError("cannot decode the CA certificate"));
  auto signer = NativeIssuer::Load(responder, responder_key);
  if (!signer.ok()) {
    return Status::InvalidArgument("the OCSP responder key does not belong to " + responder.subject());
  }
  auto s = std::make_shared<State>(std::move(ca_cert), std::move(signer).value());
  s->delegated = delegated;
  s->aki = ca.subject_key_id();
  if (s->aki.empty()) {
    return Status::InvalidArgument("the CA " + ca.subject() +
                                   " has no subjectKeyIdentifier, so the certdb cannot find its certificates");
  }
  {
    // Any serial will do: only the issuer hashes are kept.
    OpenSslPtr<ASN1_INTEGER, ASN1_INTEGER_free> one(ASN1_INTEGER_new());
    CertIdPtr id(one && ASN1_INTEGER_set(one.get(), 1) == 1 ? s->CertIdFor(EVP_sha1(), one.get()) : CertIdPtr());
    ASN1_OCTET_STRING *name_hash = nullptr, *key_hash = nullptr;
    if (id) OCSP_id_get0_info(&name_hash, nullptr, &key_hash, nullptr, id.get());
    if (!name_hash || !key_hash) return Status::Internal(OpenSslError("cannot hash the CA's name and key"));
    s->sha1_name_hash.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name_hash)),
                             static_cast<size_t>(ASN1_STRING_length(name_hash)));
    s->sha1_key_hash.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(key_hash)),
                            static_cast<size_t>(ASN1_STRING_length(key_hash)));
  }
  s->certdb = certdb;
  s->options = options;
  return OcspResponder(std::move(s));
}

OcspAnswer OcspResponder::Respond(std::string_view request_der) const { return state_->Respond(request_der); }

Status OcspResponder::Refresh(const CertificateRecord& record) const {
  if (record.authority_key_identifier != state_->aki) {
    return Status::InvalidArgument("certificate " + record.serial_number + " was issued by key " +
                                   record.authority_key_identifier + ", not by this responder's CA " + state_->aki);
  }
  return state_->Presign(record, NowUnix()).status();
}

Result<OcspRecord> OcspResponder::PresignForIssue(const CertificateRecord& record) const {
  if (record.authority_key_identifier != state_->aki) {
    return Status::InvalidArgument("certificate " + record.serial_number + " was issued by key " +
                                   record.authority_key_identifier + ", not by this responder's CA " + state_->aki);
  }
  TP_ASSIGN_OR_RETURN(auto out, state_->SignFor(record, NowUnix()));
  return OcspRecord{record.serial_number, state_->aki, std::move(out.der), out.facts.next_update};
}

Result<std::string> OcspResponder::SignStatement(const x509::Certificate& cert,
                                                 const OcspStatement& statement) const {
  CertStatus st;
  if (statement.status == "good") {
    st.status = V_OCSP_CERTSTATUS_GOOD;
  } else if (statement.status == "unknown") {
    st.status = V_OCSP_CERTSTATUS_UNKNOWN;
  } else if (statement.status == "revoked") {
    if (statement.reason < 0 || statement.reason > 10 || statement.reason == 7) {
      return Status::InvalidArgument("revocation reason " + std::to_string(statement.reason) +
                                     " is not an RFC 5280 reason code (0-10 without 7)");
    }
    st.status = V_OCSP_CERTSTATUS_REVOKED;
    st.reason = statement.reason == 0 ? OCSP_REVOKED_STATUS_NOSTATUS : statement.reason;
    st.revoked_at = statement.revoked_at;
  } else {
    return Status::InvalidArgument("status '" + statement.status + "' is not good, revoked or unknown");
  }
  static const std::map<std::string, const char*> kHashes = {
      {"MD5", "MD5"}, {"SHA1", "SHA1"}, {"SHA256", "SHA256"}, {"SHA384", "SHA384"}, {"SHA512", "SHA512"}};
  auto hash = kHashes.find(statement.issuer_hash);
  if (hash == kHashes.end()) {
    return Status::InvalidArgument("issuer hash '" + statement.issuer_hash +
                                   "' is not MD5, SHA1, SHA256, SHA384 or SHA512");
  }
  X509Ptr x = NativeCopy(cert);
  if (!x || X509_check_issued(state_->ca.get(), x.get()) != X509_V_OK ||
      X509_verify(x.get(), X509_get0_pubkey(state_->ca.get())) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("certificate " + cert.subject() + " was not issued by this responder's CA");
  }
  OpenSslPtr<EVP_MD, EVP_MD_free> md(EVP_MD_fetch(nullptr, hash->second, nullptr));
  CertIdPtr id(md ? state_->CertIdFor(md.get(), X509_get0_serialNumber(x.get())) : CertIdPtr());
  if (!id) return Status::Internal(OpenSslError("cannot build an OCSP CertID with " + statement.issuer_hash));
  return state_->Sign({{id.get(), st}}, nullptr, NowUnix());
}

Result<size_t> OcspResponder::RefreshAll() const {
  std::vector<CertificateRecord> certs;
  std::map<std::string, std::string> stored;  // serial -> body
  {
    std::lock_guard lock(state_->db_mu);
    TP_ASSIGN_OR_RETURN(certs, state_->certdb->GetUnexpiredCertificates());
    TP_ASSIGN_OR_RETURN(auto rows, state_->certdb->GetUnexpiredOCSPs());
    for (auto& row : rows) {
      if (row.authority_key_identifier == state_->aki) stored[row.serial_number] = std::move(row.body);
    }
  }
  const UnixSeconds now = NowUnix();
  size_t signed_count = 0;
  for (const CertificateRecord& rec : certs) {
    if (rec.authority_key_identifier != state_->aki) continue;
    auto it = stored.find(rec.serial_number);
    if (it != stored.end()) {
      auto facts = ReadStored(it->second);
      if (facts && state_->Fresh(*facts, StatusOf(rec), now)) continue;
    }
    TP_RETURN_IF_ERROR(state_->Presign(rec, now).status());
    ++signed_count;
  }
  return signed_count;
}

}  // namespace trustplane::pki
