// RevocationChecker: is any certificate of a verified client chain revoked?
// A trustplane extension (issue 4, item 7); the load balancer has none.
//
// Sources, per RevocationSettings:
//  * CRLs (files or http(s) URLs, PEM or DER), read at Create and every
//    `refresh` on a thread of the checker's own; the set is immutable and
//    swapped whole. A CRL counts for a certificate only when its issuer name
//    is the certificate's issuer's subject, its signature verifies with that
//    issuer's key (the next certificate of the verified chain, so an anchor
//    or intermediate of the trust set, or one the client sent that chains to
//    them) and it is between thisUpdate and nextUpdate. A CRL that fails any
//    of these is "unavailable", never "good". A source that fails to refresh
//    keeps serving the CRL it read last, until that one's nextUpdate.
//  * OCSP for the leaf (RFC 6960, POST), at the configured responder or the
//    leaf's AIA OCSP URL. The response must be signed by the issuer or by a
//    delegated responder the issuer certified for OCSPSigning, and be between
//    thisUpdate and nextUpdate (5 minutes of skew). No nonce is sent. Answers
//    are cached per (issuer, serial) until nextUpdate, at most max age;
//    failures for a short while, so a dead responder costs one timeout per
//    certificate per failure_ttl rather than one per handshake.
//
// Check runs on the handshake path: CRL lookups are hash lookups, an OCSP
// cache miss blocks the caller for at most the OCSP timeout. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/base/time.h"
#include "trustplane/gateway/gateway_config.h"
#include "trustplane/net/http_fetch.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::gateway {

enum class RevocationStatus {
  kNotChecked,  // no certificate of the chain has a CRL or OCSP source
  kGood,        // every certificate with a source was answered, none revoked
  kRevoked,     // a source says a certificate of the chain is revoked
  kUnknown,     // a certificate has a source that could not answer
};
std::string_view RevocationStatusName(RevocationStatus s);  // "good", "revoked", ...

struct RevocationResult {
  RevocationStatus status = RevocationStatus::kNotChecked;
  std::string detail;  // which certificate, which source, why
};

using net::FetchRequest;
// Returns the body of a 200 response; any other outcome is an error.
using Fetcher = std::function<Result<std::string>(const FetchRequest&)>;

class RevocationChecker {
 public:
  struct Options {
    Fetcher fetch;               // empty: net::HttpFetch (libcurl)
    bool refresh_thread = true;  // false: CRLs are re-read only by RefreshCrls()
    int64_t crl_fetch_timeout_seconds = 10;
    int64_t ocsp_max_age_seconds = 3600;  // an answer is asked again after this at most
    int64_t failure_ttl_seconds = 10;     // an OCSP failure is remembered this long
    size_t ocsp_cache_capacity = 10000;   // when full the cache starts over
    std::FILE* log = stderr;              // CRL load problems; nullptr: quiet
  };

  // nullptr when settings name no source. Reads every CRL source before
  // returning; a source that fails is logged and is unavailable until a
  // refresh reads it.
  static std::shared_ptr<RevocationChecker> Create(const RevocationSettings& settings,
                                                   Options options);
  static std::shared_ptr<RevocationChecker> Create(const RevocationSettings& settings) {
    return Create(settings, Options());
  }
  // `previous` itself when its settings equal `settings` (a config reload
  // keeps the CRLs and OCSP answers it has), else Create(settings).
  static std::shared_ptr<RevocationChecker> Reuse(std::shared_ptr<RevocationChecker> previous,
                                                  const RevocationSettings& settings);

  ~RevocationChecker();
  RevocationChecker(const RevocationChecker&) = delete;
  RevocationChecker& operator=(const RevocationChecker&) = delete;

  // chain: a verified chain, leaf first, trust anchor last. Every
  // certificate but the anchor is checked against the CRLs of its issuer;
  // the leaf also by OCSP when enabled.
  RevocationResult Check(const std::vector<x509::Certificate>& chain, UnixSeconds now);

  // Re-reads every CRL source now and publishes the new set; returns one
  // line per source that failed.
  std::vector<std::string> RefreshCrls();
  // One line per CRL source: where, issuer, entries, nextUpdate, or the error.
  std::vector<std::string> DescribeCrls() const;

  const RevocationSettings& settings() const { return settings_; }
  RevocationMode mode() const { return settings_.mode; }
  // OCSP exchanges attempted (cache misses).
  uint64_t ocsp_fetches() const { return ocsp_fetches_.load(std::memory_order_relaxed); }
  // Changes whenever a Check of an already admitted chain may answer
  // differently: a CRL set was published, or an OCSP answer said revoked.
  // Open connections compare it per request (a plain load) and re-check.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

  struct CrlSet;  // defined in the .cc: parsed CRLs, immutable once published

 private:
  RevocationChecker(RevocationSettings settings, Options options);
  Result<std::string> Fetch(const FetchRequest& request) const;
  void RefreshLoop();
  struct OcspAnswer {
    RevocationStatus status = RevocationStatus::kNotChecked;
    std::string detail;
    UnixSeconds until = 0;  // cached until
  };
  OcspAnswer Ocsp(const x509::Certificate& leaf, const x509::Certificate& issuer, UnixSeconds now);
  OcspAnswer QueryOcsp(const x509::Certificate& leaf, const x509::Certificate& issuer,
                       UnixSeconds now);

  const RevocationSettings settings_;
  const Options options_;
  std::atomic<std::shared_ptr<const CrlSet>> crls_;
  std::mutex refresh_mu_;  // one RefreshCrls at a time

  std::mutex ocsp_mu_;
  std::unordered_map<std::string, OcspAnswer> ocsp_cache_;  // issuer sha256 + serial
  std::atomic<uint64_t> ocsp_fetches_{0};
  std::atomic<uint64_t> version_{0};

  std::atomic<bool> stopping_{false};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::thread refresher_;
};

}  // namespace trustplane::gateway
