#include "trustplane/gateway/revocation_checker.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

// clang-format off
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format on
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>

#include "trustplane/base/encoding.h"
#include "trustplane/base/openssl_ptr.h"
#include "trustplane/x509/revocation_reason.h"

namespace trustplane::gateway {

namespace {

using X509Ptr = OpenSslPtr<X509, X509_free>;
using CrlPtr = OpenSslPtr<X509_CRL, X509_CRL_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free_all>;
using CertIdPtr = OpenSslPtr<OCSP_CERTID, OCSP_CERTID_free>;
using OcspRequestPtr = OpenSslPtr<OCSP_REQUEST, OCSP_REQUEST_free>;
using OcspResponsePtr = OpenSslPtr<OCSP_RESPONSE, OCSP_RESPONSE_free>;
using BasicResponsePtr = OpenSslPtr<OCSP_BASICRESP, OCSP_BASICRESP_free>;
using StorePtr = OpenSslPtr<X509_STORE, X509_STORE_free>;

void FreeX509Stack(STACK_OF(X509) * s) {
  sk_X509_free(s);  // the certificates stay with their owners
}
using X509StackPtr = OpenSslPtr<STACK_OF(X509), FreeX509Stack>;

constexpr int64_t kClockSkewSeconds = 300;
constexpr size_t kMaxCrlBytes = size_t{64} << 20;
constexpr size_t kMaxOcspBytes = size_t{1} << 20;

std::string OpenSslReason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

// Seconds since the epoch of an ASN1_TIME; 0 when absent or malformed.
UnixSeconds UnixOf(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<UnixSeconds>(timegm(&tm));
}

// The form Certificate::serial_hex() uses: lowercase hex of the magnitude.
std::string SerialHexOf(const ASN1_INTEGER* serial) {
  const auto* data = reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial));
  std::string magnitude(data, static_cast<size_t>(ASN1_STRING_length(serial)));
  return (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER ? "-" : "") +
         (magnitude.empty() ? std::string("00") : HexEncode(magnitude));
}

std::string NameDer(const X509_NAME* name) {
  unsigned char* out = nullptr;
  const int n = i2d_X509_NAME(name, &out);
  if (n <= 0) return "";
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return der;
}

std::string NameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "?";
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

X509Ptr ParseX509(const x509::Certificate& c) {
  const auto* p = reinterpret_cast<const unsigned char*>(c.der().data());
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(c.der().size())));
}

std::string CertName(const x509::Certificate& c) {
  return c.subject() + " (serial " + c.serial_hex() + ")";
}

bool IsUrl(const std::string& s) {
  return s.find("://") != std::string::npos;
}

// Every CRL in `bytes`: one DER CRL, or any number of PEM "X509 CRL" blocks.
Result<std::vector<CrlPtr>> ParseCrls(const std::string& bytes) {
  std::vector<CrlPtr> out;
  if (bytes.find("-----BEGIN") != std::string::npos) {
    BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    while (bio) {
      X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
      if (crl == nullptr) break;
      out.emplace_back(crl);
    }
    ERR_clear_error();  // the end of the input reads as an error
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes.size())));
    if (crl && p != reinterpret_cast<const unsigned char*>(bytes.data()) + bytes.size()) {
      return Status::InvalidArgument("trailing bytes after the DER CRL");
    }
    if (crl) out.push_back(std::move(crl));
  }
  if (out.empty()) return Status::InvalidArgument("no CRL (PEM X509 CRL or DER) in it");
  return out;
}

struct RevokedEntry {
  UnixSeconds at = 0;
  int reason = -1;  // CRLReason; -1 when the entry has none
};

// The CRLReason for a detail line; -1 (an entry without one) and codes
// RFC 5280 does not define read "no reason given".
std::string ReasonName(int reason) {
  return x509::RevocationReasonName(reason, "no reason given");
}

}  // namespace

std::string_view RevocationStatusName(RevocationStatus s) {
  switch (s) {
    case RevocationStatus::kGood:
      return "good";
    case RevocationStatus::kRevoked:
      return "revoked";
    case RevocationStatus::kUnknown:
      return "unknown";
    case RevocationStatus::kNotChecked:
      break;
  }
  return "not_checked";
}

// One CRL source as last read.
struct LoadedCrl {
  std::string source;
  std::shared_ptr<X509_CRL> crl;  // null: never read successfully
  std::string error;              // the last read's failure, "" when it worked
  std::string issuer_der, issuer_text;
  UnixSeconds this_update = 0, next_update = 0;           // next_update 0: none given
  std::unordered_map<std::string, RevokedEntry> revoked;  // by serial hex
};

struct RevocationChecker::CrlSet {
  std::vector<LoadedCrl> crls;
  // Signature checks done so far: (index in crls, issuer sha256) -> verified.
  mutable std::mutex mu;
  mutable std::map<std::pair<size_t, std::string>, bool> verified;

  bool VerifiedBy(size_t index, const x509::Certificate& issuer) const {
    const auto key = std::make_pair(index, issuer.sha256_hex());
    {
      std::lock_guard lock(mu);
      if (auto it = verified.find(key); it != verified.end()) return it->second;
    }
    X509Ptr x = ParseX509(issuer);
    EVP_PKEY* pkey = x ? X509_get0_pubkey(x.get()) : nullptr;
    const bool ok = pkey != nullptr && X509_CRL_verify(crls[index].crl.get(), pkey) == 1;
    ERR_clear_error();
    std::lock_guard lock(mu);
    verified.emplace(key, ok);
    return ok;
  }
};

namespace {

Status FillCrl(LoadedCrl& out, CrlPtr parsed) {
  X509_CRL* crl = parsed.get();
  out.issuer_der = NameDer(X509_CRL_get_issuer(crl));
  out.issuer_text = NameText(X509_CRL_get_issuer(crl));
  out.this_update = UnixOf(X509_CRL_get0_lastUpdate(crl));
  out.next_update = UnixOf(X509_CRL_get0_nextUpdate(crl));
  if (out.this_update == 0) return Status::InvalidArgument("the CRL has no readable thisUpdate");
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
    RevokedEntry e;
    e.at = UnixOf(X509_REVOKED_get0_revocationDate(r));
    int crit = 0;
    auto* reason =
        static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, nullptr));
    if (reason != nullptr) {
      e.reason = static_cast<int>(ASN1_ENUMERATED_get(reason));
      ASN1_ENUMERATED_free(reason);
    }
    // removeFromCRL only means something in a delta CRL, which we do not read.
    if (e.reason == 8) continue;
    out.revoked.emplace(SerialHexOf(X509_REVOKED_get0_serialNumber(r)), e);
  }
  out.crl.reset(parsed.release(), X509_CRL_free);
  return Status::Ok();
}

}  // namespace

RevocationChecker::RevocationChecker(RevocationSettings settings, Options options)
    : settings_(std::move(settings)), options_(std::move(options)) {}

std::shared_ptr<RevocationChecker> RevocationChecker::Create(const RevocationSettings& settings,
                                                             Options options) {
  if (!settings.enabled()) return nullptr;
  std::shared_ptr<RevocationChecker> checker(new RevocationChecker(settings, std::move(options)));
  checker->crls_.store(std::make_shared<const CrlSet>());
  if (!settings.crls.empty()) {
    checker->RefreshCrls();
    if (checker->options_.refresh_thread) {
      checker->refresher_ = std::thread([raw = checker.get()] { raw->RefreshLoop(); });
    }
  }
  return checker;
}

std::shared_ptr<RevocationChecker> RevocationChecker::Reuse(
    std::shared_ptr<RevocationChecker> previous, const RevocationSettings& settings) {
  if (previous && previous->settings() == settings) return previous;
  return Create(settings);
}

RevocationChecker::~RevocationChecker() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  // A fetch in flight notices stopping_ within 50 ms.
  if (refresher_.joinable()) refresher_.join();
}

void RevocationChecker::RefreshLoop() {
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, std::chrono::seconds(settings_.refresh_seconds),
                      [this] { return stopping_.load(); });
    if (stopping_) return;
    lock.unlock();
    RefreshCrls();
    lock.lock();
  }
}

Result<std::string> RevocationChecker::Fetch(const FetchRequest& request) const {
  if (options_.fetch) return options_.fetch(request);
  return net::HttpFetch(request, &stopping_);
}

std::vector<std::string> RevocationChecker::RefreshCrls() {
  std::lock_guard refresh_lock(refresh_mu_);
  const std::shared_ptr<const CrlSet> previous = crls_.load();
  auto next = std::make_shared<CrlSet>();
  std::vector<std::string> problems;
  for (const std::string& source : settings_.crls) {
    Result<std::string> bytes = Status::Internal("not read");
    if (IsUrl(source)) {
      FetchRequest req;
      req.url = source;
      req.timeout = std::chrono::seconds(options_.crl_fetch_timeout_seconds);
      req.max_bytes = kMaxCrlBytes;
      bytes = Fetch(req);
    } else {
      std::ifstream in(source, std::ios::binary);
      if (in) {
        bytes = std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      } else {
        bytes = Status::NotFound("cannot read the file");
      }
    }
    Result<std::vector<CrlPtr>> parsed = bytes.ok() ? ParseCrls(*bytes) : bytes.status();
    std::vector<LoadedCrl> loaded;
    Status st = parsed.status();
    if (parsed.ok()) {
      for (CrlPtr& c : *parsed) {
        LoadedCrl l;
        l.source = source;
        st = FillCrl(l, std::move(c));
        if (!st.ok()) break;
        loaded.push_back(std::move(l));
      }
    }
    if (st.ok()) {
      for (auto& l : loaded) next->crls.push_back(std::move(l));
      continue;
    }
    // Keep serving what this source gave last time, until its nextUpdate.
    const std::string why = "CRL " + source + ": " + st.message();
    problems.push_back(why);
    bool kept = false;
    for (const LoadedCrl& old : previous->crls) {
      if (old.source != source || !old.crl) continue;
      LoadedCrl copy = old;
      copy.error = st.message();
      next->crls.push_back(std::move(copy));
      kept = true;
    }
    if (!kept) {
      LoadedCrl failed;
      failed.source = source;
      failed.error = st.message();
      next->crls.push_back(std::move(failed));
    }
  }
  if (options_.log != nullptr) {
    for (const auto& p : problems) {
      std::fprintf(options_.log, "trustplane gateway: revocation: %s\n", p.c_str());
    }
  }
  crls_.store(std::move(next));
  version_.fetch_add(1, std::memory_order_acq_rel);
  return problems;
}

std::vector<std::string> RevocationChecker::DescribeCrls() const {
  std::vector<std::string> out;
  for (const LoadedCrl& l : crls_.load()->crls) {
    std::string line = l.source + ": ";
    if (l.crl) {
      line += "issuer " + l.issuer_text + ", " + std::to_string(l.revoked.size()) +
              " revoked, next update " +
              (l.next_update != 0 ? FormatRfc3339(l.next_update) : std::string("none"));
      if (!l.error.empty()) line += " (last refresh failed: " + l.error + ")";
    } else {
      line += "unavailable: " + l.error;
    }
    out.push_back(std::move(line));
  }
  return out;
}

namespace {

struct CrlAnswer {
  RevocationStatus status = RevocationStatus::kNotChecked;
  std::string detail;
};

}  // namespace

RevocationResult RevocationChecker::Check(const std::vector<x509::Certificate>& chain,
                                          UnixSeconds now) {
  RevocationResult result;
  const std::shared_ptr<const CrlSet> set = crls_.load();
  bool any_good = false;
  std::string unknown_detail;
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    const x509::Certificate& cert = chain[i];
    const x509::Certificate& issuer = chain[i + 1];

    CrlAnswer crl;
    std::string crl_problem;
    bool unread_source = false;
    for (size_t k = 0; k < set->crls.size() && crl.status != RevocationStatus::kRevoked; ++k) {
      const LoadedCrl& l = set->crls[k];
      if (!l.crl) {  // never read: it may be this issuer's
        unread_source = true;
        if (crl_problem.empty()) crl_problem = "CRL " + l.source + " unavailable: " + l.error;
        continue;
      }
      if (l.issuer_der != issuer.subject_der()) continue;
      if (!set->VerifiedBy(k, issuer)) {
        crl_problem = "CRL " + l.source + " is not signed by " + issuer.subject();
        continue;
      }
      if (l.this_update > now + kClockSkewSeconds) {
        crl_problem = "CRL " + l.source + " is not valid before " + FormatRfc3339(l.this_update);
        continue;
      }
      if (l.next_update != 0 && now > l.next_update) {
        crl_problem =
            "CRL " + l.source + " expired at its nextUpdate " + FormatRfc3339(l.next_update);
        continue;
      }
      if (auto it = l.revoked.find(cert.serial_hex()); it != l.revoked.end()) {
        crl.status = RevocationStatus::kRevoked;
        crl.detail = CertName(cert) + " revoked at " + FormatRfc3339(it->second.at) + " (" +
                     ReasonName(it->second.reason) + ") by CRL " + l.source;
      } else {
        crl.status = RevocationStatus::kGood;
      }
    }
    if (crl.status == RevocationStatus::kNotChecked && (!crl_problem.empty() || unread_source)) {
      crl.status = RevocationStatus::kUnknown;
      crl.detail = crl_problem;
    }
    if (crl.status == RevocationStatus::kRevoked) {
      result.status = RevocationStatus::kRevoked;
      result.detail = crl.detail;
      return result;
    }

    OcspAnswer ocsp;
    if (i == 0 && settings_.ocsp) ocsp = Ocsp(cert, issuer, now);
    if (ocsp.status == RevocationStatus::kRevoked) {
      result.status = RevocationStatus::kRevoked;
      result.detail = ocsp.detail;
      return result;
    }
    if (crl.status == RevocationStatus::kGood || ocsp.status == RevocationStatus::kGood) {
      any_good = true;
    } else if (crl.status == RevocationStatus::kUnknown ||
               ocsp.status == RevocationStatus::kUnknown) {
      if (unknown_detail.empty()) {
        unknown_detail = CertName(cert) + ": ";
        if (!crl.detail.empty()) unknown_detail += crl.detail;
        if (!crl.detail.empty() && !ocsp.detail.empty()) unknown_detail += "; ";
        unknown_detail += ocsp.detail;
      }
    }
  }
  if (!unknown_detail.empty()) {
    result.status = RevocationStatus::kUnknown;
    result.detail = std::move(unknown_detail);
  } else if (any_good) {
    result.status = RevocationStatus::kGood;
  }
  return result;
}

RevocationChecker::OcspAnswer RevocationChecker::Ocsp(const x509::Certificate& leaf,
                                                      const x509::Certificate& issuer,
                                                      UnixSeconds now) {
  const std::string key = issuer.sha256_hex() + ":" + leaf.serial_hex();
  {
    std::lock_guard lock(ocsp_mu_);
    if (auto it = ocsp_cache_.find(key); it != ocsp_cache_.end() && now < it->second.until) {
      return it->second;
    }
  }
  // Two handshakes of one client may both ask; that is rare and harmless.
  OcspAnswer answer = QueryOcsp(leaf, issuer, now);
  std::lock_guard lock(ocsp_mu_);
  if (ocsp_cache_.size() >= options_.ocsp_cache_capacity) ocsp_cache_.clear();
  ocsp_cache_[key] = answer;
  if (answer.status == RevocationStatus::kRevoked) version_.fetch_add(1, std::memory_order_acq_rel);
  return answer;
}

RevocationChecker::OcspAnswer RevocationChecker::QueryOcsp(const x509::Certificate& leaf,
                                                           const x509::Certificate& issuer,
                                                           UnixSeconds now) {
  OcspAnswer a;
  auto fail = [&](std::string why) {
    a.status = RevocationStatus::kUnknown;
    a.detail = "OCSP: " + std::move(why);
    a.until = now + options_.failure_ttl_seconds;
    ERR_clear_error();
    return a;
  };
  X509Ptr leaf_x = ParseX509(leaf);
  X509Ptr issuer_x = ParseX509(issuer);
  if (!leaf_x || !issuer_x) return fail("cannot decode the certificates");

  std::string url = settings_.ocsp_responder;
  if (url.empty()) {
    STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(leaf_x.get());
    if (urls != nullptr && sk_OPENSSL_STRING_num(urls) > 0) url = sk_OPENSSL_STRING_value(urls, 0);
    X509_email_free(urls);
    if (url.empty()) {
      // No source for this certificate; remembered like an answer.
      a.status = RevocationStatus::kNotChecked;
      a.until = now + options_.ocsp_max_age_seconds;
      return a;
    }
  }

  CertIdPtr id(OCSP_cert_to_id(nullptr, leaf_x.get(), issuer_x.get()));
  OcspRequestPtr req(OCSP_REQUEST_new());
  CertIdPtr id_copy(id ? OCSP_CERTID_dup(id.get()) : nullptr);
  if (!id || !req || !id_copy || OCSP_request_add0_id(req.get(), id_copy.get()) == nullptr) {
    return fail("cannot build the request: " + OpenSslReason());
  }
  id_copy.release();  // owned by req now
  unsigned char* der = nullptr;
  const int der_len = i2d_OCSP_REQUEST(req.get(), &der);
  if (der_len <= 0) return fail("cannot encode the request");
  FetchRequest fetch;
  fetch.url = url;
  fetch.body.assign(reinterpret_cast<char*>(der), static_cast<size_t>(der_len));
  OPENSSL_free(der);
  fetch.content_type = "application/ocsp-request";
  fetch.timeout = std::chrono::seconds(settings_.ocsp_timeout_seconds);
  fetch.max_bytes = kMaxOcspBytes;
  ocsp_fetches_.fetch_add(1, std::memory_order_relaxed);
  Result<std::string> body = Fetch(fetch);
  if (!body.ok()) return fail(body.status().message());

  const auto* p = reinterpret_cast<const unsigned char*>(body->data());
  OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(body->size())));
  if (!resp) return fail(url + " did not answer with an OCSP response");
  const int rs = OCSP_response_status(resp.get());
  if (rs != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return fail(url + " answered " + OCSP_response_status_str(rs));
  }
  BasicResponsePtr basic(OCSP_response_get1_basic(resp.get()));
  if (!basic) return fail("the response has no basic response");

  // Who signed: the issuer itself, or a responder the issuer certified for
  // OCSP signing. Certificates the response carries are candidates only.
  X509* signer = nullptr;
  X509StackPtr issuer_only(sk_X509_new_null());
  if (!issuer_only || sk_X509_push(issuer_only.get(), issuer_x.get()) <= 0) {
    return fail("out of memory");
  }
  if (OCSP_resp_get0_signer(basic.get(), &signer, issuer_only.get()) != 1 || signer == nullptr) {
    return fail("the responder's certificate is neither the issuer nor in the response");
  }
  if (X509_cmp(signer, issuer_x.get()) != 0) {
    const time_t t = static_cast<time_t>(now);
    const bool delegated =
        X509_check_issued(issuer_x.get(), signer) == X509_V_OK &&
        X509_verify(signer, X509_get0_pubkey(issuer_x.get())) == 1 &&
        (X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) != 0 &&
        (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN) != 0 &&
        X509_cmp_time(X509_get0_notBefore(signer), const_cast<time_t*>(&t)) < 0 &&
        X509_cmp_time(X509_get0_notAfter(signer), const_cast<time_t*>(&t)) > 0;
    if (!delegated) {
      return fail("signed by " + NameText(X509_get_subject_name(signer)) +
                  ", not by the issuer or a responder it delegated OCSP signing to");
    }
  }
  // Signature only: the signer's standing was settled above.
  X509StackPtr signer_only(sk_X509_new_null());
  StorePtr store(X509_STORE_new());
  if (!signer_only || !store || sk_X509_push(signer_only.get(), signer) <= 0) {
    return fail("out of memory");
  }
  if (OCSP_basic_verify(basic.get(), signer_only.get(), store.get(),
                        OCSP_NOINTERN | OCSP_TRUSTOTHER | OCSP_NOVERIFY | OCSP_NOCHECKS) != 1) {
    return fail("the response's signature does not verify: " + OpenSslReason());
  }

  int status = -1, reason = -1;
  ASN1_GENERALIZEDTIME *revoked_at = nullptr, *this_update = nullptr, *next_update = nullptr;
  if (OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked_at, &this_update,
                            &next_update) != 1) {
    return fail("the response does not answer for " + CertName(leaf));
  }
  if (OCSP_check_validity(this_update, next_update, kClockSkewSeconds, -1) != 1) {
    return fail("the response is outside its thisUpdate..nextUpdate");
  }
  const UnixSeconds next = UnixOf(next_update);
  if (status == V_OCSP_CERTSTATUS_UNKNOWN) return fail(url + " does not know " + CertName(leaf));
  a.until = now + options_.ocsp_max_age_seconds;
  if (next != 0) a.until = std::min(a.until, next);
  if (status == V_OCSP_CERTSTATUS_REVOKED) {
    a.status = RevocationStatus::kRevoked;
    a.detail = CertName(leaf) + " revoked at " + FormatRfc3339(UnixOf(revoked_at)) + " (" +
               ReasonName(reason) + ") by OCSP " + url;
  } else {
    a.status = RevocationStatus::kGood;
  }
  return a;
}

}  // namespace trustplane::gateway
