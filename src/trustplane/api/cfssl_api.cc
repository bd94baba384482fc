#include "trustplane/api/cfssl_api.h"

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <variant>
#include <vector>

#include "trustplane/api/cfssl_certinfo.h"
#include "trustplane/api/cfssl_bundle.h"
#include "trustplane/api/cfssl_envelope.h"
#include "trustplane/api/ocsp_http.h"
#include "trustplane/api/remote_certificate.h"
#include "trustplane/api/replay_guard.h"
#include "trustplane/base/encoding.h"
#include "trustplane/base/time.h"
#include "trustplane/pki/auth_key.h"
#include "trustplane/pki/certificate_request.h"
#include "trustplane/pki/crl.h"
#include "trustplane/pki/csr.h"
#include "trustplane/pki/go_duration.h"
#include "trustplane/x509/revocation_reason.h"
#include "trustplane/pki/serial_number.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::api {

using Json = nlohmann::json;
using net::HttpRequest;
using net::HttpResponder;
using net::HttpResponse;

namespace {

constexpr std::string_view kApiPrefix = "/api/v1/cfssl/";

// cfssl error codes only this file uses: DialError (6000) and OCSPError's
// InvalidStatus (8200), which shares its number with a failed verification.
constexpr int kDialFailed = 6000;
constexpr int kOcspInvalidStatus = 8200;
constexpr int kOcspVerifyFailed = 8200;

// certinfo {"domain"}: connect and TLS handshake together (cfssl allows 10 s to connect).
constexpr std::chrono::milliseconds kCertInfoDomainTimeout{5000};

struct CachedCrl {
  std::vector<std::tuple<std::string, UnixSeconds, int>> entries;
  std::string der;
  UnixSeconds next_update = 0;
};

}  // namespace

namespace {

// An issued certificate whose answer waits until its certdb row is durable.
struct PendingIssue {
  pki::SignedCertificate cert;
  std::string label;
  std::optional<pki::OcspRecord> ocsp;  // its first OCSP answer, stored in the same transaction
  HttpResponse success;                 // sent once the row is durable
};

// What a route handler produces: the answer, or a certificate to record first.
using Reply = std::variant<HttpResponse, PendingIssue>;

struct QueuedIssue {
  PendingIssue issue;
  HttpResponder respond;
  Result<pki::CertificateRecord> result = Status::Internal("not recorded");
};

}  // namespace

struct CfsslApi::State {
  CfsslApiOptions o;
  std::mutex db_mu;  // every certdb access
  // Group commit: issued certificates queue here while a commit is in
  // flight; the committer thread writes all of them in one transaction, so
  // N concurrent requests pay for one durable commit (one fsync) instead of
  // N, and no io thread waits for the disk. Each request is answered only
  // after its own row is committed.
  std::mutex group_mu;
  std::condition_variable group_cv;
  std::vector<QueuedIssue> group_queue;  // guarded by group_mu
  bool group_stopping = false;           // guarded by group_mu
  std::thread committer;                 // with a certdb
  std::unique_ptr<ReplayGuard> replay;
  std::mutex crl_mu;
  std::map<int64_t, CachedCrl> crls;  // by lifetime
};

namespace {

using State = CfsslApi::State;

// A request failed with this cfssl error; handlers return it or a response.
struct Failure {
  CfsslError error;
};

template <typename T>
using Or = std::variant<T, Failure>;

#define API_ASSIGN(lhs, expr)                                                       \
  auto API_TMP_##lhs = (expr);                                                      \
  if (auto* f = std::get_if<Failure>(&API_TMP_##lhs)) return CfsslFailure(f->error); \
  auto lhs = std::move(std::get<0>(API_TMP_##lhs))

#define API_ASSIGN_OR(lhs, expr)                                  \
  auto API_TMP_##lhs = (expr);                                    \
  if (auto* f = std::get_if<Failure>(&API_TMP_##lhs)) return *f; \
  auto lhs = std::move(std::get<0>(API_TMP_##lhs))

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// A field by name as Go's JSON decoder finds it: exact, else case-insensitive.
const Json* Field(const Json& obj, std::string_view name) {
  auto exact = obj.find(std::string(name));
  if (exact != obj.end()) return exact->is_null() ? nullptr : &*exact;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (IEquals(it.key(), name)) return it->is_null() ? nullptr : &*it;
  }
  return nullptr;
}

Or<std::string> StringField(const Json& obj, std::string_view name) {
  const Json* f = Field(obj, name);
  if (!f) return std::string();
  if (!f->is_string()) return Failure{BadRequest("field '" + std::string(name) + "' must be a string")};
  return f->get<std::string>();
}

Or<Json> ParseObject(std::string_view body, const std::string& what) {
  try {
    Json j = Json::parse(body);
    if (!j.is_object()) return Failure{BadRequest(what + ": the body must be a JSON object")};
    return j;
  } catch (const Json::exception& e) {
    return Failure{BadRequest(what + ": " + e.what())};
  }
}

// cfssl's signer.SplitHosts: "" is no list at all.
std::optional<std::vector<std::string>> SplitHosts(const std::string& list) {
  if (list.empty()) return std::nullopt;
  std::vector<std::string> hosts;
  size_t start = 0;
  while (true) {
    size_t comma = list.find(',', start);
    hosts.push_back(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return hosts;
}

std::string GoDuration(int64_t seconds) {
  const int64_t h = seconds / 3600, m = seconds % 3600 / 60, s = seconds % 60;
  if (h) return std::to_string(h) + "h" + std::to_string(m) + "m" + std::to_string(s) + "s";
  if (m) return std::to_string(m) + "m" + std::to_string(s) + "s";
  return std::to_string(s) + "s";
}

struct SignFields {
  std::string csr_pem;
  pki::SignOptions options;
  std::string label;
  bool bundle = false;
  std::optional<int64_t> timestamp;  // inside the (authenticated) request
};

Or<pki::Subject> ParseSubject(const Json& s) {
  if (!s.is_object()) return Failure{BadRequest("field 'subject' must be an object")};
  Json as_request = Json::object();
  if (const Json* cn = Field(s, "CN")) as_request["CN"] = *cn;
  if (const Json* names = Field(s, "names")) as_request["names"] = *names;
  if (const Json* serial = Field(s, "SerialNumber")) as_request["serialnumber"] = *serial;
  if (as_request.empty()) return pki::Subject{};
  auto parsed = pki::ParseCertificateRequest(as_request.dump());
  if (!parsed.ok()) return Failure{BadRequest("subject: " + parsed.status().message())};
  return parsed->subject;
}

// jsonSignRequest of cfssl's signhandler.
Or<SignFields> ParseSignFields(const Json& j) {
  SignFields out;
  API_ASSIGN_OR(csr, StringField(j, "certificate_request"));
  out.csr_pem = std::move(csr);
  API_ASSIGN_OR(hostname, StringField(j, "hostname"));
  if (!hostname.empty()) {
    out.options.hosts = SplitHosts(hostname);
  } else if (const Json* hosts = Field(j, "hosts")) {
    if (!hosts->is_array()) return Failure{BadRequest("field 'hosts' must be a list of strings")};
    std::vector<std::string> list;
    for (const auto& h : *hosts) {
      if (!h.is_string()) return Failure{BadRequest("field 'hosts' must be a list of strings")};
      list.push_back(h.get<std::string>());
    }
    out.options.hosts = std::move(list);  // [] clears the CSR's SANs, as in cfssl
  }
  if (const Json* subject = Field(j, "subject")) {
    API_ASSIGN_OR(parsed, ParseSubject(*subject));
    if (!parsed.empty()) out.options.subject = std::move(parsed);
  }
  API_ASSIGN_OR(profile, StringField(j, "profile"));
  out.options.profile = std::move(profile);
  API_ASSIGN_OR(label, StringField(j, "label"));
  out.label = std::move(label);
  if (const Json* serial = Field(j, "serial")) {
    std::string text;
    if (serial->is_number_unsigned() || (serial->is_number_integer() && serial->get<int64_t>() > 0)) {
      text = std::to_string(serial->get<uint64_t>());
    } else if (serial->is_string()) {
      text = serial->get<std::string>();
    } else {
      return Failure{BadRequest("field 'serial' must be a positive integer (up to 2^64) or a decimal string")};
    }
    auto magnitude = pki::ParseSerialNumber(text);
    if (!magnitude.ok()) return Failure{BadRequest("serial: " + magnitude.status().message())};
    out.options.serial = *magnitude;
  }
  if (const Json* bundle = Field(j, "bundle")) {
    if (!bundle->is_boolean()) return Failure{BadRequest("field 'bundle' must be true or false")};
    out.bundle = bundle->get<bool>();
  }
  if (const Json* ext = Field(j, "extensions"); ext && !(ext->is_array() && ext->empty())) {
    return Failure{BadRequest("sign request field 'extensions' is not supported by trustplane")};
  }
  API_ASSIGN_OR(crl_override, StringField(j, "crl_override"));
  if (!crl_override.empty()) {
    return Failure{BadRequest("sign request field 'crl_override' is not supported by trustplane")};
  }
  if (const Json* ts = Field(j, "timestamp")) {
    if (!ts->is_number_integer()) return Failure{BadRequest("field 'timestamp' must be unix seconds")};
    out.timestamp = ts->get<int64_t>();
  }
  return out;
}

// {token, request} of cfssl's auth.AuthenticatedRequest, decoded.
struct Authenticated {
  std::string token;
  std::string request;
};

Or<Authenticated> ParseAuthenticated(const Json& j) {
  Authenticated out;
  for (auto [name, target] : {std::pair{"token", &out.token}, std::pair{"request", &out.request}}) {
    const Json* f = Field(j, name);
    if (!f) continue;
    if (!f->is_string()) {
      return Failure{BadRequest(std::string("field '") + name +
                                "' must be a base64 string (for 'request': base64 of the exact JSON sign "
                                "request bytes the token was computed over)")};
    }
    auto decoded = Base64Decode(f->get<std::string>());
    if (!decoded.ok()) return Failure{BadRequest(std::string("field '") + name + "' is not valid base64")};
    *target = std::move(decoded).value();
  }
  return out;
}

Or<const pki::SigningProfile*> LookupProfile(const pki::Signer& signer, const std::string& name) {
  auto profile = signer.config().Profile(name);
  if (!profile.ok()) return Failure{FromSignStatus(profile.status())};
  return *profile;
}

// cfssl's "standard" provider: the current auth key, then prev_auth_key.
bool TokenValid(const pki::SigningConfig& config, const pki::SigningProfile& profile, const Authenticated& a) {
  bool ok = false;
  for (const std::string* name : {&profile.auth_key, &profile.prev_auth_key}) {
    if (name->empty()) continue;
    auto key = config.auth_keys.find(*name);
    // Both keys are always checked, so timing does not tell which one matched.
    if (key != config.auth_keys.end() && pki::VerifyStandardAuthToken(key->second.key, a.request, a.token)) {
      ok = true;
    }
  }
  return ok;
}

CfsslError NoCa() { return HttpError(404, "this server has no CA: start it with -ca and -ca-key"); }
CfsslError NoCertDb(const std::string& endpoint) {
  return HttpError(404, "endpoint '" + endpoint + "' needs the certdb: start the server with -db-config");
}

Or<pki::Csr> ParseCsr(const std::string& pem) {
  auto csr = pki::Csr::FromPem(pem);
  if (csr.ok()) return *csr;
  const bool pem_block = pem.find("-----BEGIN") != std::string::npos;
  return Failure{Categorized(pem_block ? cfssl_code::kCsrParseFailed : cfssl_code::kCsrDecodeFailed,
                             csr.status().message())};
}

// An exception must not escape a group commit (it would strand the waiters).
Result<pki::CertificateRecord> RecordOne(State& s, const PendingIssue& p) {
  try {
    auto recorded = s.o.record_issued(*s.o.certdb, p.cert, p.label);
    // Without the stored answer the responder signs on the first request:
    // not worth refusing the certificate for.
    if (recorded.ok() && p.ocsp) (void)s.o.certdb->UpsertOCSP(*p.ocsp);
    return recorded;
  } catch (const std::exception& e) {
    return Status::Internal(e.what());
  }
}

// Writes one batch of rows; called with db_mu held. All rows (certificates
// and their OCSP answers) go in one transaction, so one durable commit. If
// any row fails (a duplicate serial, say) or the commit does, the batch is
// rolled back and each row is retried on its own, so one bad row never
// costs the others their certificate and every error is its own.
void RecordBatch(State& s, std::vector<QueuedIssue>& batch) {
  pki::CertDb& db = *s.o.certdb;
  if (db.Begin().ok()) {
    bool all_ok = true;
    for (QueuedIssue& q : batch) {
      q.result = RecordOne(s, q.issue);
      if (!q.result.ok()) {
        all_ok = false;
        break;
      }
    }
    if (all_ok && db.Commit().ok()) return;
    (void)db.Rollback();  // no-op error if COMMIT already ended it
  }
  for (QueuedIssue& q : batch) q.result = RecordOne(s, q.issue);
}

HttpResponse AnswerRecorded(QueuedIssue& q) {
  if (q.result.ok()) return std::move(q.issue.success);
  return CfsslFailure(CfsslError{500, cfssl_code::kCertStoreInsertFailed,
                                 "the certificate was not issued: recording it in the certdb failed: " +
                                     q.result.status().message()});
}

// The committer thread: records whatever queued while the last commit ran,
// then answers those requests. Drains the queue before it stops.
void CommitLoop(State& s) {
  std::unique_lock lock(s.group_mu);
  for (;;) {
    s.group_cv.wait(lock, [&] { return !s.group_queue.empty() || s.group_stopping; });
    if (s.group_queue.empty()) return;
    std::vector<QueuedIssue> batch;
    batch.swap(s.group_queue);
    lock.unlock();
    {
      std::lock_guard db_lock(s.db_mu);
      RecordBatch(s, batch);
    }
    for (QueuedIssue& q : batch) q.respond(AnswerRecorded(q));
    lock.lock();
  }
}

void QueueForCommit(State& s, PendingIssue issue, HttpResponder respond) {
  {
    std::lock_guard lock(s.group_mu);
    s.group_queue.push_back(QueuedIssue{std::move(issue), std::move(respond)});
  }
  s.group_cv.notify_one();
}

Or<pki::SignedCertificate> SignCsr(State& s, const pki::Csr& csr, const pki::SignOptions& options) {
  auto cert = s.o.signer->Sign(csr, options);
  if (!cert.ok()) return Failure{FromSignStatus(cert.status())};
  return std::move(cert).value();
}

// With a certdb, `success` waits until the certificate's row is durable
// (every certificate handed out is on record); without one it is the answer.
Reply AfterRecording(State& s, pki::SignedCertificate cert, const std::string& label, HttpResponse success) {
  if (!s.o.certdb) return success;
  PendingIssue pending{std::move(cert), label, std::nullopt, std::move(success)};
  // A "good" answer ready before the first client asks, signed before the
  // group commit so it is stored with the certificate; a failure here only
  // means the responder signs on demand.
  if (s.o.ocsp) {
    pki::CertificateRecord about;
    about.serial_number = pending.cert.serial_decimal();
    about.authority_key_identifier = pending.cert.authority_key_id;
    about.expiry = pending.cert.not_after;
    if (auto presigned = s.o.ocsp->PresignForIssue(about); presigned.ok()) pending.ocsp = std::move(*presigned);
  }
  return pending;
}

Json BundleMessages(bool bundle) {
  Json messages = Json::array();
  if (bundle) {
    messages.push_back({{"code", cfssl_code::kInvalidRequest},
                        {"message", "This request requires a bundler, but one is not initialized for the API server."}});
  }
  return messages;
}

Reply IssueFromFields(State& s, const SignFields& f) {
  if (f.csr_pem.empty()) return CfsslFailure(BadRequest("missing parameter 'certificate_request'"));
  API_ASSIGN(csr, ParseCsr(f.csr_pem));
  API_ASSIGN(cert, SignCsr(s, csr, f.options));
  HttpResponse success = CfsslSuccess({{"certificate", cert.ToPem()}}, BundleMessages(f.bundle));
  return AfterRecording(s, std::move(cert), f.label, std::move(success));
}

Status CheckReplay(State& s, std::optional<int64_t> timestamp, const std::string& token) {
  if (!s.replay) return Status::Ok();
  return s.replay->Check(timestamp, token, NowUnix());
}

Reply Sign(State& s, const HttpRequest& r) {
  if (!s.o.signer) return CfsslFailure(NoCa());
  API_ASSIGN(j, ParseObject(r.body, "Unable to parse sign request"));
  API_ASSIGN(f, ParseSignFields(j));
  if (f.csr_pem.empty()) return CfsslFailure(BadRequest("missing parameter 'certificate_request'"));
  API_ASSIGN(profile, LookupProfile(*s.o.signer, f.options.profile));
  if (!profile->auth_key.empty()) {
    return CfsslFailure(BadRequest("authentication required: signing profile '" + f.options.profile +
                                   "' has an auth key; use authsign"));
  }
  return IssueFromFields(s, f);
}

Reply AuthSign(State& s, const HttpRequest& r) {
  if (!s.o.signer) return CfsslFailure(NoCa());
  API_ASSIGN(outer, ParseObject(r.body, "Unable to parse authenticated request"));
  API_ASSIGN(a, ParseAuthenticated(outer));
  API_ASSIGN(inner, ParseObject(a.request, "Unable to parse authenticated sign request"));
  API_ASSIGN(f, ParseSignFields(inner));
  API_ASSIGN(profile, LookupProfile(*s.o.signer, f.options.profile));
  if (profile->auth_key.empty()) return CfsslFailure(BadRequest("no authentication provider"));
  if (!TokenValid(s.o.signer->config(), *profile, a)) return CfsslFailure(BadRequest("invalid token"));
  if (Status st = CheckReplay(s, f.timestamp, a.token); !st.ok()) return CfsslFailure(BadRequest(st.message()));
  return IssueFromFields(s, f);
}

Or<pki::CertificateRequest> ParseGenerateRequest(const Json& request) {
  if (!request.is_object()) return Failure{BadRequest("field 'request' must be a CSR JSON object")};
  auto parsed = pki::ParseCertificateRequest(request.dump());
  if (!parsed.ok()) return Failure{BadRequest(parsed.status().message())};
  if (parsed->ca) return Failure{BadRequest("ca section only permitted in initca")};
  return std::move(parsed).value();
}

struct Generated {
  pki::PrivateKey key;
  pki::Csr csr;
};

Or<Generated> Generate(const pki::CertificateRequest& request) {
  auto key = pki::PrivateKey::Generate(request.key);
  if (!key.ok()) return Failure{BadRequest(key.status().message())};
  auto csr = pki::Csr::Generate(request, *key);
  if (!csr.ok()) return Failure{BadRequest(csr.status().message())};
  return Generated{*key, *csr};
}

HttpResponse NewKey(State&, const HttpRequest& r) {
  API_ASSIGN(j, ParseObject(r.body, "Unable to parse CSR JSON"));
  API_ASSIGN(request, ParseGenerateRequest(j));
  API_ASSIGN(g, Generate(request));
  return CfsslSuccess({{"private_key", g.key.ToPem()},
                       {"certificate_request", g.csr.ToPem()},
                       {"sums", {{"certificate_request", DerSums(g.csr.der())}}}});
}

Reply NewCert(State& s, const HttpRequest& r) {
  if (!s.o.signer) return CfsslFailure(NoCa());
  API_ASSIGN(outer, ParseObject(r.body, "Unable to parse newcert request"));
  // An authsign-style envelope carries the newcert request for profiles with
  // an auth key (cfssl's newcert has no authentication at all).
  std::optional<Authenticated> auth;
  Json inner = outer;
  if (Field(outer, "token")) {
    API_ASSIGN(a, ParseAuthenticated(outer));
    API_ASSIGN(parsed, ParseObject(a.request, "Unable to parse authenticated newcert request"));
    inner = std::move(parsed);
    auth = std::move(a);
  }
  const Json* request_json = Field(inner, "request");
  if (!request_json) return CfsslFailure(BadRequest("missing request section"));
  API_ASSIGN(profile_name, StringField(inner, "profile"));
  API_ASSIGN(label, StringField(inner, "label"));
  API_ASSIGN(hostname, StringField(inner, "hostname"));
  bool bundle = false;
  if (const Json* b = Field(inner, "bundle"); b && b->is_boolean()) bundle = b->get<bool>();
  API_ASSIGN(profile, LookupProfile(*s.o.signer, profile_name));
  if (!profile->auth_key.empty()) {
    if (!auth) {
      return CfsslFailure(BadRequest("authentication required: signing profile '" + profile_name +
                                     "' has an auth key; send {\"token\", \"request\"} as for authsign"));
    }
    if (!TokenValid(s.o.signer->config(), *profile, *auth)) return CfsslFailure(BadRequest("invalid token"));
    std::optional<int64_t> ts;
    if (const Json* t = Field(inner, "timestamp"); t && t->is_number_integer()) ts = t->get<int64_t>();
    if (Status st = CheckReplay(s, ts, auth->token); !st.ok()) return CfsslFailure(BadRequest(st.message()));
  } else if (auth) {
    return CfsslFailure(BadRequest("no authentication provider"));
  }
  API_ASSIGN(request, ParseGenerateRequest(*request_json));
  API_ASSIGN(g, Generate(request));
  pki::SignOptions options;
  options.profile = profile_name;
  options.hosts = SplitHosts(hostname);
  API_ASSIGN(cert, SignCsr(s, g.csr, options));
  HttpResponse success =
      CfsslSuccess({{"private_key", g.key.ToPem()},
                    {"certificate_request", g.csr.ToPem()},
                    {"certificate", cert.ToPem()},
                    {"sums", {{"certificate_request", DerSums(g.csr.der())}, {"certificate", DerSums(cert.der)}}}},
                   BundleMessages(bundle));
  return AfterRecording(s, std::move(cert), label, std::move(success));
}

HttpResponse Info(State& s, const HttpRequest& r) {
  if (!s.o.signer) return CfsslFailure(NoCa());
  Json j = Json::object();
  if (!r.body.empty()) {
    API_ASSIGN(parsed, ParseObject(r.body, "Unable to parse info request"));
    j = std::move(parsed);
  }
  API_ASSIGN(profile_name, StringField(j, "profile"));
  API_ASSIGN(profile, LookupProfile(*s.o.signer, profile_name));
  return CfsslSuccess({{"certificate", s.o.signer->ca_certificate().ToPem()},
                       {"usages", profile->usage_names},
                       {"expiry", GoDuration(profile->expiry_seconds)}});
}

// "AB:CD:.." or "abcd..": certdb's lowercase hex without colons.
Or<std::string> NormalizeKeyId(const std::string& text) {
  std::string hex;
  for (char c : text) {
    if (c != ':') hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hex.empty() || !HexDecode(hex).ok()) {
    return Failure{BadRequest("authority_key_id '" + text + "' is not a hex key identifier")};
  }
  return hex;
}

// The certificate the TLS server at host[:port] presents, with cfssl's errors.
Or<x509::Certificate> ServerCertificate(const std::string& host) {
  auto cert = FetchServerCertificate(host, kCertInfoDomainTimeout);
  if (cert.ok()) return std::move(cert).value();
  if (cert.status().is(ErrorCode::kInvalidArgument)) return Failure{BadRequest(cert.status().message())};
  return Failure{Categorized(kDialFailed, cert.status().message())};
}

HttpResponse CertInfo(State& s, const HttpRequest& r) {
  API_ASSIGN(j, ParseObject(r.body, "Unable to parse certinfo request"));
  API_ASSIGN(pem, StringField(j, "certificate"));
  API_ASSIGN(domain, StringField(j, "domain"));
  API_ASSIGN(serial_text, StringField(j, "serial"));
  API_ASSIGN(aki_text, StringField(j, "authority_key_id"));
  if (!pem.empty()) {
    auto bundle = x509::ParseBundle(pem);
    if (!bundle.ok()) {
      return CfsslFailure(Categorized(cfssl_code::kCertificateDecodeFailed, bundle.status().message()));
    }
    return CfsslSuccess(CertInfoJson(bundle->certificates.front()));
  }
  if (!domain.empty()) {
    API_ASSIGN(cert, ServerCertificate(domain));
    return CfsslSuccess(CertInfoJson(cert));
  }
  if (serial_text.empty() || aki_text.empty()) return CfsslFailure(BadRequest("no valid parameter sets found"));
  if (!s.o.certdb) return CfsslFailure(NoCertDb("certinfo"));
  auto serial = pki::ParseSerialNumber(serial_text);
  if (!serial.ok()) return CfsslFailure(BadRequest(serial.status().message()));
  API_ASSIGN(aki, NormalizeKeyId(aki_text));
  Result<pki::CertificateRecord> rec = Status::Internal("unset");
  {
    std::lock_guard lock(s.db_mu);
    rec = s.o.certdb->GetCertificate(pki::SerialDecimal(*serial), aki);
  }
  if (!rec.ok()) {
    if (rec.status().is(ErrorCode::kNotFound)) {
      return CfsslFailure(Categorized(cfssl_code::kCertStoreRecordNotFound,
                                      "no certificate with serial " + serial_text + " and AKI " + aki));
    }
    return CfsslFailure(HttpError(500, rec.status().message()));
  }
  auto bundle = x509::ParseBundle(rec->pem);
  if (!bundle.ok()) return CfsslFailure(HttpError(500, "certdb PEM: " + bundle.status().message()));
  return CfsslSuccess(CertInfoJson(bundle->certificates.front()));
}

// cfssl's bundle endpoint: the chain from "certificate" (or the one the
// TLS server at "domain" presents) to a root of -ca-bundle.
HttpResponse Bundle(State& s, const HttpRequest& r) {
  API_ASSIGN(j, ParseObject(r.body, "Unable to parse bundle request"));
  API_ASSIGN(pem, StringField(j, "certificate"));
  API_ASSIGN(private_key, StringField(j, "private_key"));
  API_ASSIGN(flavor, StringField(j, "flavor"));
  API_ASSIGN(domain, StringField(j, "domain"));
  API_ASSIGN(ip, StringField(j, "ip"));
  if (!s.o.bundle_trust) {
    return CfsslFailure(HttpError(404, "this server has no roots to bundle to: start it with -ca-bundle"));
  }
  BundleRequest request;
  request.flavor = flavor;
  request.ip = ip;
  if (!pem.empty()) {
    auto certs = x509::ParseBundle(pem);
    if (!certs.ok()) return CfsslFailure(Categorized(cfssl_code::kCertificateDecodeFailed, certs.status().message()));
    request.certificates = std::move(certs->certificates);
    request.domain = domain;
  } else if (!domain.empty()) {
    // As cfssl: the certificate of the server at "ip" (else "domain"), checked against "domain".
    API_ASSIGN(cert, ServerCertificate(ip.empty() ? domain : ip));
    request.certificates.push_back(std::move(cert));
    // The name to check is the host, without a ":port".
    auto host = SplitDomain(domain);
    if (!host.ok()) return CfsslFailure(BadRequest(host.status().message()));
    request.domain = host->host;
    request.ip.clear();
  } else {
    return CfsslFailure(BadRequest("bundle needs \"certificate\" or \"domain\""));
  }
  if (!private_key.empty()) {
    // Checked, never sent back: the result's "key" stays empty.
    auto matches = KeyMatchesCertificate(private_key, request.certificates.front());
    if (!matches.ok()) {
      return CfsslFailure(Categorized(cfssl_code::kPrivateKeyDecodeFailed, matches.status().message()));
    }
    if (!*matches) {
      return CfsslFailure(Categorized(cfssl_code::kPrivateKeyMismatch,
                                      "the private key does not match the certificate's public key"));
    }
  }
  auto bundled = BundleJson(request, *s.o.bundle_trust, NowUnix());
  if (!bundled.ok()) {
    if (bundled.status().is(ErrorCode::kInvalidArgument)) return CfsslFailure(BadRequest(bundled.status().message()));
    return CfsslFailure(Categorized(cfssl_code::kCertificateVerifyFailed, bundled.status().message()));
  }
  return CfsslSuccess(std::move(bundled).value());
}

// Any of the config's auth keys (each one tried, so timing does not tell which matched).
bool TokenValidForAnyKey(const pki::SigningConfig& config, const Authenticated& a) {
  bool ok = false;
  for (const auto& [name, key] : config.auth_keys) {
    if (pki::VerifyStandardAuthToken(key.key, a.request, a.token)) ok = true;
  }
  return ok;
}

// cfssl's ocspsign "revoked_at": "" or "now", else a date (2006-01-02);
// an RFC 3339 time is accepted too.
Or<UnixSeconds> ParseRevokedAt(const std::string& text) {
  if (text.empty() || text == "now") return NowUnix();
  auto t = ParseRfc3339(text.size() == 10 ? text + "T00:00:00Z" : text);
  if (!t.ok()) {
    return Failure{BadRequest("Malformed revocation time: '" + text + "' is not a date (2006-01-02) or an RFC 3339 time")};
  }
  return *t;
}

Or<int> ParseOcspReason(const Json& j) {
  const Json* f = Field(j, "reason");
  if (!f) return 0;
  Result<int> reason = Status::InvalidArgument("");
  if (f->is_number_integer()) {
    reason = x509::ParseRevocationReason(std::to_string(f->get<int64_t>()));
  } else if (f->is_string()) {
    reason = x509::ParseRevocationReason(f->get<std::string>());
  } else {
    return Failure{BadRequest("field 'reason' must be an RFC 5280 reason code or name")};
  }
  if (!reason.ok()) return Failure{BadRequest("reason: " + reason.status().message())};
  return *reason;
}

// cfssl's ocspsign: a response saying what the request says about one
// certificate. It signs with the responder key, so unlike cfssl it needs a
// token (made with any of the config's auth keys) when the config has any.
HttpResponse OcspSign(State& s, const HttpRequest& r) {
  if (!s.o.ocsp || !s.o.signer) {
    return CfsslFailure(HttpError(404, "endpoint 'ocspsign' needs the OCSP responder: start the server with "
                                       "-responder and -responder-key"));
  }
  API_ASSIGN(outer, ParseObject(r.body, "Unable to parse sign request"));
  Json j = outer;
  const pki::SigningConfig& config = s.o.signer->config();
  if (!config.auth_keys.empty()) {
    if (!Field(outer, "token")) {
      return CfsslFailure(BadRequest("authentication required: this server has auth keys; send {\"token\", "
                                     "\"request\"} as for authsign, the token made with one of them"));
    }
    API_ASSIGN(a, ParseAuthenticated(outer));
    API_ASSIGN(inner, ParseObject(a.request, "Unable to parse authenticated ocspsign request"));
    if (!TokenValidForAnyKey(config, a)) return CfsslFailure(BadRequest("invalid token"));
    std::optional<int64_t> ts;
    if (const Json* t = Field(inner, "timestamp"); t && t->is_number_integer()) ts = t->get<int64_t>();
    if (Status st = CheckReplay(s, ts, a.token); !st.ok()) return CfsslFailure(BadRequest(st.message()));
    j = std::move(inner);
  } else if (Field(outer, "token")) {
    return CfsslFailure(BadRequest("no authentication provider"));
  }
  API_ASSIGN(pem, StringField(j, "certificate"));
  API_ASSIGN(status_text, StringField(j, "status"));
  API_ASSIGN(revoked_at_text, StringField(j, "revoked_at"));
  API_ASSIGN(issuer_hash, StringField(j, "issuer_hash"));
  if (pem.empty()) return CfsslFailure(BadRequest("Malformed certificate: field 'certificate' (PEM) is missing"));
  auto bundle = x509::ParseBundle(pem);
  if (!bundle.ok()) return CfsslFailure(BadRequest("Malformed certificate: " + bundle.status().message()));
  const x509::Certificate& cert = bundle->certificates.front();
  pki::OcspStatement statement;
  if (!status_text.empty()) statement.status = status_text;  // cfssl's default is "good"
  if (statement.status != "good" && statement.status != "revoked" && statement.status != "unknown") {
    return CfsslFailure(Categorized(kOcspInvalidStatus,
                                    "Invalid revocation status '" + statement.status + "' (good, revoked or unknown)"));
  }
  if (statement.status == "revoked") {
    API_ASSIGN(reason, ParseOcspReason(j));
    API_ASSIGN(revoked_at, ParseRevokedAt(revoked_at_text));
    statement.reason = reason;
    statement.revoked_at = revoked_at;
  }
  if (!issuer_hash.empty()) {
    static const std::set<std::string> kHashes = {"MD5", "SHA1", "SHA256", "SHA384", "SHA512"};
    if (kHashes.count(issuer_hash) == 0) {
      return CfsslFailure(BadRequest("Unsupported hash algorithm in request: '" + issuer_hash +
                                     "' (MD5, SHA1, SHA256, SHA384, SHA512)"));
    }
    statement.issuer_hash = issuer_hash;
  }
  const x509::Certificate& ca = s.o.signer->ca_certificate();
  if (cert.issuer() != ca.subject()) {
    return CfsslFailure(Categorized(cfssl_code::kOcspIssuerMismatch,
                                    "Certificate not issued by this issuer: its issuer is " + cert.issuer() +
                                        ", this CA is " + ca.subject()));
  }
  if (!cert.IsSignedBy(ca)) {
    return CfsslFailure(Categorized(kOcspVerifyFailed,
                                    "the certificate's signature does not verify with the CA " + ca.subject()));
  }
  auto der = s.o.ocsp->SignStatement(cert, statement);
  if (!der.ok()) {
    if (der.status().is(ErrorCode::kInvalidArgument)) return CfsslFailure(BadRequest(der.status().message()));
    return CfsslFailure(HttpError(500, der.status().message()));
  }
  return CfsslSuccess({{"ocspResponse", Base64Encode(*der)}});
}

HttpResponse Revoke(State& s, const HttpRequest& r) {
  if (!s.o.certdb) return CfsslFailure(NoCertDb("revoke"));
  API_ASSIGN(j, ParseObject(r.body, "Unable to parse revoke request"));
  API_ASSIGN(serial_text, StringField(j, "serial"));
  API_ASSIGN(aki_text, StringField(j, "authority_key_id"));
  API_ASSIGN(reason_text, StringField(j, "reason"));
  if (serial_text.empty() || aki_text.empty()) {
    return CfsslFailure(BadRequest("serial and authority_key_id are required"));
  }
  auto serial = pki::ParseSerialNumber(serial_text);
  if (!serial.ok()) return CfsslFailure(BadRequest(serial.status().message()));
  API_ASSIGN(aki, NormalizeKeyId(aki_text));
  int reason = 0;
  if (!reason_text.empty()) {
    auto parsed = x509::ParseRevocationReason(reason_text);
    if (!parsed.ok()) return CfsslFailure(BadRequest(parsed.status().message()));
    reason = *parsed;
  }
  const std::string decimal = pki::SerialDecimal(*serial);
  Result<pki::CertificateRecord> rec = Status::Internal("unset");
  {
    std::lock_guard lock(s.db_mu);
    Status revoked = s.o.certdb->RevokeCertificate(decimal, aki, reason);
    if (!revoked.ok()) {
      if (revoked.is(ErrorCode::kNotFound)) {
        return CfsslFailure(Categorized(cfssl_code::kCertStoreRecordNotFound,
                                        "no certificate with serial " + decimal + " and AKI " + aki));
      }
      return CfsslFailure(HttpError(500, revoked.message()));
    }
    if (s.o.ocsp) rec = s.o.certdb->GetCertificate(decimal, aki);
  }
  Json messages = Json::array();
  if (s.o.ocsp) {
    // A fresh "revoked" response now, rather than at the next refresh.
    Status refreshed = rec.ok() ? s.o.ocsp->Refresh(*rec) : rec.status();
    if (!refreshed.ok()) {
      messages.push_back({{"code", 8000}, {"message", "OCSP response not refreshed: " + refreshed.message()}});
    }
  }
  return CfsslSuccess(Json::object(), messages);
}

// The CA's CRL, signed again only when the revoked set changed or half its
// lifetime has passed, so polling clients do not burn CRL numbers.
Or<std::string> CurrentCrl(State& s, int64_t lifetime) {
  const auto& ca = s.o.signer->ca_certificate();
  const std::string aki = ca.subject_key_id();
  const UnixSeconds now = NowUnix();
  std::lock_guard crl_lock(s.crl_mu);
  std::lock_guard db_lock(s.db_mu);
  auto revoked = s.o.certdb->GetRevokedAndUnexpiredCertificatesByAki(aki);
  if (!revoked.ok()) return Failure{HttpError(500, revoked.status().message())};
  pki::CrlSpec spec;
  spec.this_update = now;
  spec.next_update = now + lifetime;
  std::vector<std::tuple<std::string, UnixSeconds, int>> key;
  for (const auto& rec : *revoked) {
    auto serial = pki::ParseSerialNumber(rec.serial_number);
    if (!serial.ok()) return Failure{HttpError(500, "certdb serial: " + serial.status().message())};
    spec.entries.push_back({*serial, rec.revoked_at.value_or(now), static_cast<int>(rec.reason)});
    key.emplace_back(*serial, rec.revoked_at.value_or(0), static_cast<int>(rec.reason));
  }
  auto cached = s.crls.find(lifetime);
  if (cached != s.crls.end() && cached->second.entries == key && cached->second.next_update - now > lifetime / 2) {
    return cached->second.der;
  }
  auto number = s.o.certdb->NextCrlNumber(aki);
  if (!number.ok()) return Failure{HttpError(500, number.status().message())};
  spec.number = *number;
  auto der = pki::SignCrl(ca, *s.o.ca_key, spec);
  if (!der.ok()) return Failure{FromSignStatus(der.status())};
  s.crls[lifetime] = CachedCrl{std::move(key), *der, spec.next_update};
  return std::move(der).value();
}

Or<int64_t> CrlLifetime(const State& s, std::string_view query) {
  // cfssl's only parameter: ?expiry=<Go duration>.
  for (size_t start = 0; start <= query.size();) {
    size_t amp = query.find('&', start);
    std::string_view pair = query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (pair.rfind("expiry=", 0) == 0) {
      auto seconds = pki::ParseGoDurationSeconds(pair.substr(7));
      if (!seconds.ok()) return Failure{BadRequest(seconds.status().message())};
      if (*seconds <= 0) return Failure{BadRequest("expiry must be positive")};
      return *seconds;
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return s.o.crl_default_expiry_seconds;
}

Or<std::string> CrlFor(State& s, const HttpRequest& r) {
  if (!s.o.signer || !s.o.ca_key) return Failure{NoCa()};
  if (!s.o.certdb) return Failure{NoCertDb("crl")};
  auto lifetime = CrlLifetime(s, r.query());
  if (auto* f = std::get_if<Failure>(&lifetime)) return *f;
  return CurrentCrl(s, std::get<int64_t>(lifetime));
}

HttpResponse Crl(State& s, const HttpRequest& r) {
  API_ASSIGN(der, CrlFor(s, r));
  return CfsslSuccess(Base64Encode(der));
}

HttpResponse CrlDer(State& s, const HttpRequest& r) {
  API_ASSIGN(der, CrlFor(s, r));
  return {200, "application/pkix-crl", std::move(der), {}};
}

HttpResponse Health(State&, const HttpRequest&) { return CfsslSuccess({{"healthy", true}}); }

HttpResponse Ocsp(State& s, const HttpRequest& r) {
  if (!s.o.ocsp) return CfsslFailure(HttpError(404, "this server has no OCSP responder: start it with -responder"));
  return OcspHttpResponse(r, s.o.ocsp->Respond(OcspRequestOf(r)), NowUnix());
}

struct Route {
  const char* method;
  Reply (*handle)(State&, const HttpRequest&);
};

// A route whose answer never waits for the certdb.
template <HttpResponse (*Handler)(State&, const HttpRequest&)>
Reply Now(State& s, const HttpRequest& r) {
  return Handler(s, r);
}

const std::map<std::string, Route, std::less<>>& ApiRoutes() {
  static const std::map<std::string, Route, std::less<>> routes = {
      {"sign", {"POST", Sign}},
      {"authsign", {"POST", AuthSign}},
      {"newcert", {"POST", NewCert}},
      {"newkey", {"POST", Now<NewKey>}},
      {"info", {"POST", Now<Info>}},
      {"certinfo", {"POST", Now<CertInfo>}},
      {"bundle", {"POST", Now<Bundle>}},
      {"revoke", {"POST", Now<Revoke>}},
      {"crl", {"GET", Now<Crl>}},
      {"health", {"GET", Now<Health>}},
      {"ocspsign", {"POST", Now<OcspSign>}},
  };
  return routes;
}

HttpResponse MethodNotAllowed(const std::string& method) {
  return CfsslFailure(HttpError(405, "Method is not allowed:\"" + method + "\""));
}

Reply Dispatch(State& s, const HttpRequest& r) {
  std::string_view path = r.path();
  if (path.rfind(kApiPrefix, 0) == 0) {
    std::string_view name = path.substr(kApiPrefix.size());
    auto it = ApiRoutes().find(name);
    if (it == ApiRoutes().end()) {
      return CfsslFailure(HttpError(404, "endpoint '" + std::string(name) + "' is not available in trustplane"));
    }
    if (r.method != it->second.method) return MethodNotAllowed(r.method);
    return it->second.handle(s, r);
  }
  if (path == "/ocsp" || path.rfind("/ocsp/", 0) == 0) {
    if (r.method != "GET" && r.method != "POST") return MethodNotAllowed(r.method);
    return Ocsp(s, r);
  }
  if (path == "/crl") {
    if (r.method != "GET") return MethodNotAllowed(r.method);
    return CrlDer(s, r);
  }
  return CfsslFailure(HttpError(404, "no such endpoint: " + std::string(path)));
}

}  // namespace

Result<std::unique_ptr<CfsslApi>> CfsslApi::Create(CfsslApiOptions options) {
  if (options.certdb && !options.record_issued) {
    return Status::InvalidArgument("a certdb needs a record_issued function");
  }
  if (options.ca_key && !options.signer) return Status::InvalidArgument("a CA key needs the signer of its CA");
  if (options.replay_window_seconds < 0) return Status::InvalidArgument("the replay window cannot be negative");
  auto state = std::make_unique<State>();
  if (options.replay_window_seconds > 0) {
    state->replay = std::make_unique<ReplayGuard>(options.replay_window_seconds);
  }
  state->o = std::move(options);
  if (state->o.certdb) state->committer = std::thread([raw = state.get()] { CommitLoop(*raw); });
  return std::unique_ptr<CfsslApi>(new CfsslApi(std::move(state)));
}

CfsslApi::CfsslApi(std::unique_ptr<State> state) : state_(std::move(state)) {}

CfsslApi::~CfsslApi() {
  if (!state_->committer.joinable()) return;
  {
    std::lock_guard lock(state_->group_mu);
    state_->group_stopping = true;
  }
  state_->group_cv.notify_one();
  state_->committer.join();
}

void CfsslApi::HandleAsync(HttpRequest request, HttpResponder respond) const {
  Reply reply;
  try {
    reply = Dispatch(*state_, request);
  } catch (const std::exception& e) {
    reply = CfsslFailure(HttpError(500, std::string("internal error: ") + e.what()));
  } catch (...) {
    reply = CfsslFailure(HttpError(500, "internal error"));
  }
  if (auto* pending = std::get_if<PendingIssue>(&reply)) {
    return QueueForCommit(*state_, std::move(*pending), std::move(respond));
  }
  respond(std::move(std::get<HttpResponse>(reply)));
}

HttpResponse CfsslApi::Handle(const HttpRequest& request) const {
  std::promise<HttpResponse> answer;
  std::future<HttpResponse> answered = answer.get_future();
  HandleAsync(request, [&answer](HttpResponse r) { answer.set_value(std::move(r)); });
  return answered.get();
}

HttpResponse CfsslApi::ServerError(int status, const std::string& message) {
  return CfsslFailure(HttpError(status, message));
}

}  // namespace trustplane::api
