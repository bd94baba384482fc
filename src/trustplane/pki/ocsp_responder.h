// OcspResponder: RFC 6960 answers from the certdb, signed by the CA or by a
// delegated OCSP signing certificate the CA issued (id-kp-OCSPSigning).
//
// A request without a nonce for one certificate is answered from the
// pre-signed response in ocsp_responses while that response still says what
// the certdb says and is not within `refresh_before` of its nextUpdate;
// otherwise a response is signed now (and, without a nonce, stored for the
// next asker). Status comes from the certdb on every request, so a revocation
// another process records is answered at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "trustplane/base/status.h"
#include "trustplane/base/time.h"
#include "trustplane/pki/certdb.h"
#include "trustplane/pki/private_key.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::pki {

struct OcspResponderOptions {
  int64_t validity_seconds = 4 * 3600;  // nextUpdate - thisUpdate
  int64_t refresh_before = 3600;        // re-sign when nextUpdate is this close
};

// What cfssl's `ocspsign` asks a response to say about one certificate.
struct OcspStatement {
  std::string status = "good";  // "good", "revoked" or "unknown"
  int reason = 0;               // RFC 5280 reason code, for "revoked"
  UnixSeconds revoked_at = 0;   // for "revoked"
  std::string issuer_hash = "SHA1";  // CertID hash: MD5, SHA1, SHA256, SHA384, SHA512
};

// One answer to an OCSP request. A `cacheable` one is the pre-signed
// response that every client asking about that certificate gets until it is
// re-signed, so an HTTP cache may keep it until next_update (RFC 5019 6.2)
// and revalidate it by `etag`. Answers signed for one request (nonce, several
// certificates, a non-SHA-1 CertID) and error statuses are not cacheable.
struct OcspAnswer {
  std::string der;
  bool cacheable = false;
  UnixSeconds this_update = 0;
  UnixSeconds next_update = 0;
  std::string etag;  // SHA-256 of der, lowercase hex
};

// Thread-safe: Respond and Refresh may run on many threads; certdb access is
// serialized inside, signing is not.
class OcspResponder {
 public:
  // `certdb` must outlive the responder. kInvalidArgument when the key does
  // not match the responder certificate, or a delegated responder certificate
  // was not issued by `ca` or lacks id-kp-OCSPSigning.
  static Result<OcspResponder> Create(const x509::Certificate& ca, const x509::Certificate& responder,
                                      const PrivateKey& responder_key, CertDb* certdb,
                                      OcspResponderOptions options = {});

  // Always a DER OCSPResponse: successful, or malformedRequest for bytes that
  // are not an OCSP request, unauthorized for a certificate of another
  // issuer, internalError when the certdb fails.
  OcspAnswer Respond(std::string_view request_der) const;

  // Signs and stores (upserts) the response for one certdb record; used at
  // issue, at revoke and by `ca ocsp-refresh`.
  Status Refresh(const CertificateRecord& record) const;
  // The pre-signed "good" response for a certificate about to be recorded,
  // as the `ocsp_responses` row to write in the same transaction as its
  // `certificates` row (one durable commit for both). kInvalidArgument for
  // a certificate of another CA.
  Result<OcspRecord> PresignForIssue(const CertificateRecord& record) const;
  // cfssl's `ocspsign`: a response for `cert` saying exactly `statement`,
  // whatever the certdb says; nothing is stored. kInvalidArgument for a
  // certificate this CA did not issue, an unknown status or hash, or a
  // reason outside RFC 5280's codes.
  Result<std::string> SignStatement(const x509::Certificate& cert, const OcspStatement& statement) const;

  // Refresh for every unexpired certificate of this CA whose stored response
  // is missing, stale or due; returns how many were signed.
  Result<size_t> RefreshAll() const;

  struct State;

 private:
  explicit OcspResponder(std::shared_ptr<State> s) : state_(std::move(s)) {}
  std::shared_ptr<State> state_;
};

}  // namespace trustplane::pki
