#include "trustplane/api/control_api.h"

#include <algorithm>
#include <charconv>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <vector>

#include "trustplane/api/rate_limiter.h"
#include "trustplane/audit/effective.h"
#include "trustplane/base/encoding.h"
#include "trustplane/base/time.h"
#include "trustplane/trust/bucket_layout.h"
#include "trustplane/trust/trust_config.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::api {

using Json = nlohmann::json;
using net::HttpRequest;
using net::HttpResponse;

struct ControlApi::State {
  ControlApiOptions o;
  // Writers hold it exclusively: TrustLifecycle and Revisions are not
  // thread-safe, and a publish must not interleave with an add.
  std::shared_mutex mu;
  RateLimiter limiter;
  explicit State(ControlApiOptions options)
      : o(std::move(options)), limiter(o.rate_per_second, o.rate_burst) {}
};

namespace {

using State = ControlApi::State;

HttpResponse ErrorResponse(int status, std::string_view code, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = Json{{"error", {{"code", code}, {"message", message}}}}.dump() + "\n";
  return r;
}

HttpResponse JsonResponse(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(2) + "\n";
  return r;
}

// A library error as an API error; the stable code follows the error class.
HttpResponse FromStatus(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kInvalidArgument: return ErrorResponse(400, "invalid_request", s.message());
    case ErrorCode::kNotFound: return ErrorResponse(404, "not_found", s.message());
    case ErrorCode::kConflict: return ErrorResponse(409, "conflict", s.message());
    case ErrorCode::kPolicy: return ErrorResponse(422, "policy_refused", s.message());
    default: return ErrorResponse(500, "internal", s.message());
  }
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  size_t i = 0;
  while (i <= query.size()) {
    size_t j = query.find('&', i);
    if (j == std::string_view::npos) j = query.size();
    std::string_view kv = query.substr(i, j - i);
    size_t eq = kv.find('=');
    if (kv.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string() : PercentDecode(kv.substr(eq + 1), /*plus_is_space=*/true);
    }
    i = j + 1;
  }
  return std::nullopt;
}

bool CanReadAll(Role r) { return r == Role::kViewer || r == Role::kOperator || r == Role::kAdmin; }
bool CanOperate(Role r) { return r == Role::kOperator || r == Role::kAdmin; }

// What a caller may see of a record: a tenant sees only its own claim, and
// who added a certificate only when no other tenant shares it.
Json RecordJson(const trust::TrustRecord& r, const Principal& who) {
  const bool tenant_view = who.role == Role::kTenant;
  const bool shared = tenant_view && !(r.tenants.size() == 1 && r.tenants[0] == who.tenant);
  Json j = {{"kind", trust::TrustKindName(r.kind)},
            {"sha256", r.sha256},
            {"tenants", tenant_view ? std::vector<std::string>{who.tenant} : r.tenants},
            {"subject", r.subject},
            {"issuer", r.issuer},
            {"serial_hex", r.serial_hex},
            {"not_before", FormatRfc3339(r.not_before)},
            {"not_after", FormatRfc3339(r.not_after)},
            {"added_by", shared ? "" : r.added_by},
            {"added_at", shared ? "" : r.added_at}};
  if (!tenant_view) j["object"] = r.object_name;
  return j;
}


Json EventsJson(const std::vector<audit::AuditEvent>& events, const std::string& only_tenant) {
  const auto effective = audit::EffectiveTimes(events);
  Json all = Json::array();
  for (size_t i = 0; i < events.size(); ++i) {
    if (!only_tenant.empty() && events[i].tenant != only_tenant) continue;
    Json j = Json::parse(audit::SerializeEvent(events[i]));
    if (audit::ChangesTrust(events[i])) {
      audit::AddEffectFields(effective[i], &j);
    }
    all.push_back(std::move(j));
  }
  return all;
}

class Router {
 public:
  Router(State& s, const HttpRequest& req, const Principal& who) : s_(s), req_(req), who_(who) {}

  HttpResponse Route(const std::vector<std::string_view>& seg) {
    // seg[0..1] are "api", "v1".
    const std::string& m = req_.method;
    const size_t n = seg.size();
    if (n == 3 && seg[2] == "whoami") {
      if (m != "GET") return MethodNotAllowed("GET");
      Json j = {{"actor", who_.actor}, {"role", RoleName(who_.role)}};
      if (!who_.tenant.empty()) j["tenant"] = who_.tenant;
      return JsonResponse(200, j);
    }
    if (n >= 5 && seg[2] == "tenants") {
      const std::string tenant(seg[3]);
      if (Status v = ValidateTenantName(tenant); !v.ok()) return FromStatus(v);
      if (who_.role == Role::kTenant && who_.tenant != tenant) {
        return ErrorResponse(403, "tenant_forbidden",
                             "actor " + who_.actor + " may act only for tenant " + who_.tenant);
      }
      if (seg[4] == "certificates" && n == 5) {
        if (m == "GET") return ListCertificates(tenant);
        if (m == "POST") return Upload(tenant);
        return MethodNotAllowed("GET, POST");
      }
      if (seg[4] == "certificates" && n == 6) {
        if (m == "GET") return GetCertificate(seg[5], tenant);
        if (m == "DELETE") return Remove(tenant, seg[5]);
        return MethodNotAllowed("GET, DELETE");
      }
      if (seg[4] == "audit" && n == 5) {
        if (m != "GET") return MethodNotAllowed("GET");
        return Audit(tenant);
      }
      return NotFound();
    }
    if (n >= 3 && seg[2] == "certificates" && n <= 4) {
      if (m != "GET") return MethodNotAllowed("GET");
      if (HttpResponse r; !RequireReadAll(&r)) return r;
      if (n == 4) return GetCertificate(seg[3], "");
      auto tenant = QueryParam(req_.query(), "tenant");
      return ListCertificates(tenant.value_or(""));
    }
    if (n >= 3 && seg[2] == "trust-config") {
      if (n == 3) {
        if (m != "GET") return MethodNotAllowed("GET");
        if (HttpResponse r; !RequireReadAll(&r)) return r;
        return ExportConfig();
      }
      if (n == 4 && seg[3] == "history") {
        if (m != "GET") return MethodNotAllowed("GET");
        if (HttpResponse r; !RequireReadAll(&r)) return r;
        return History();
      }
      if (n == 4 && (seg[3] == "publish" || seg[3] == "rollback")) {
        if (m != "POST") return MethodNotAllowed("POST");
        if (!CanOperate(who_.role)) return RoleForbidden("operator");
        return seg[3] == "publish" ? Publish() : Rollback();
      }
      return NotFound();
    }
    if (n == 3 && seg[2] == "audit") {
      if (m != "GET") return MethodNotAllowed("GET");
      if (HttpResponse r; !RequireReadAll(&r)) return r;
      return Audit("");
    }
    return NotFound();
  }

 private:
  HttpResponse NotFound() const {
    return ErrorResponse(404, "not_found", "no such endpoint: " + req_.method + " " + std::string(req_.path()));
  }
  HttpResponse MethodNotAllowed(const std::string& allow) const {
    auto r = ErrorResponse(405, "method_not_allowed", req_.method + " is not allowed here (" + allow + ")");
    r.headers.emplace_back("Allow", allow);
    return r;
  }
  HttpResponse RoleForbidden(const std::string& needed) const {
    return ErrorResponse(403, "forbidden",
                         "role " + std::string(RoleName(who_.role)) + " of actor " + who_.actor +
                             " may not do this (needs " + needed + ")");
  }
  bool RequireReadAll(HttpResponse* out) const {
    if (CanReadAll(who_.role)) return true;
    *out = RoleForbidden("viewer, operator or admin; tenants use /api/v1/tenants/" + who_.tenant + "/...");
    return false;
  }
  // Mutations by a viewer are refused; tenant paths are already checked.
  bool RequireWrite(HttpResponse* out) const {
    if (who_.role != Role::kViewer) return true;
    *out = RoleForbidden("tenant, operator or admin");
    return false;
  }

  HttpResponse ListCertificates(const std::string& tenant) {
    trust::ListFilter filter;
    if (!tenant.empty()) filter.tenant = tenant;
    if (auto kind = QueryParam(req_.query(), "kind"); kind && !kind->empty()) {
      auto k = trust::ParseTrustKind(*kind);
      if (!k.ok()) return FromStatus(k.status());
      filter.kind = *k;
    }
    std::shared_lock lock(s_.mu);
    auto records = s_.o.store->List(filter);
    if (!records.ok()) return FromStatus(records.status());
    Json all = Json::array();
    for (const auto& r : *records) all.push_back(RecordJson(r, who_));
    return JsonResponse(200, {{"certificates", all}});
  }

  // `tenant` set: the certificate must be claimed by that tenant, else it is
  // not found (the same answer as for a certificate nobody trusts).
  HttpResponse GetCertificate(std::string_view fp_text, const std::string& tenant) {
    auto fp = trust::NormalizeSha256Fingerprint(fp_text);
    if (!fp.ok()) return FromStatus(fp.status());
    std::shared_lock lock(s_.mu);
    auto tc = s_.o.store->Get(*fp);
    const std::string missing = "no certificate " + *fp + (tenant.empty() ? "" : " for tenant " + tenant);
    if (!tc.ok()) {
      return tc.status().is(ErrorCode::kNotFound) ? ErrorResponse(404, "not_found", missing)
                                                  : FromStatus(tc.status());
    }
    const auto& tenants = tc->record.tenants;
    if (!tenant.empty() && std::find(tenants.begin(), tenants.end(), tenant) == tenants.end()) {
      return ErrorResponse(404, "not_found", missing);
    }
    Json j = RecordJson(tc->record, who_);
    j["pem"] = tc->cert.ToPem();
    return JsonResponse(200, j);
  }

  HttpResponse Upload(const std::string& tenant) {
    if (HttpResponse r; !RequireWrite(&r)) return r;
    std::string_view body = req_.body;
    std::string pem_from_json;
    std::optional<trust::TrustKind> as;
    const size_t first = body.find_first_not_of(" \t\r\n");
    const bool json = req_.header("content-type").find("json") != std::string_view::npos ||
                      (first != std::string_view::npos && body[first] == '{');
    if (json) {
      Json j = Json::parse(body, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("pem") || !j["pem"].is_string()) {
        return ErrorResponse(400, "invalid_request", "expected a JSON object {\"pem\": \"...\", \"as\": \"anchor\"}");
      }
      pem_from_json = j["pem"].get<std::string>();
      body = pem_from_json;
      if (j.contains("as") && !j["as"].is_null()) {
        if (!j["as"].is_string()) return ErrorResponse(400, "invalid_request", "\"as\" must be a string");
        auto k = trust::ParseTrustKind(j["as"].get<std::string>());
        if (!k.ok()) return FromStatus(k.status());
        as = *k;
      }
    } else if (auto q = QueryParam(req_.query(), "as"); q && !q->empty()) {
      auto k = trust::ParseTrustKind(*q);
      if (!k.ok()) return FromStatus(k.status());
      as = *k;
    }
    auto bundle = x509::ParseBundle(body);
    if (!bundle.ok()) return ErrorResponse(400, "invalid_certificate", bundle.status().message());
    trust::AddRequest add;
    add.tenant = tenant;
    add.actor = who_.actor;
    for (auto& c : bundle->certificates) add.certificates.push_back({std::move(c), as, "request"});

    std::unique_lock lock(s_.mu);
    auto result = s_.o.lifecycle->Add(add);
    lock.unlock();
    if (!result.ok()) return FromStatus(result.status());
    Json certs = Json::array();
    bool added = false;
    for (const auto& c : result->certificates) {
      added = added || c.outcome == trust::Outcome::kAdded;
      certs.push_back({{"sha256", c.cert.sha256_hex()},
                       {"subject", c.cert.subject()},
                       {"kind", trust::TrustKindName(c.kind)},
                       {"result", trust::OutcomeName(c.outcome)},
                       {"message", c.message}});
    }
    if (result->rejected) {
      HttpResponse r = ErrorResponse(422, "certificate_rejected",
                                     "the onboarding policy refused a certificate; nothing was added");
      Json j = Json::parse(r.body);
      j["error"]["request_id"] = result->request_id;
      j["error"]["certificates"] = certs;
      r.body = j.dump(2) + "\n";
      return r;
    }
    return JsonResponse(added ? 201 : 200, {{"request_id", result->request_id}, {"tenant", tenant}, {"certificates", certs}});
  }

  HttpResponse Remove(const std::string& tenant, std::string_view fp_text) {
    if (HttpResponse r; !RequireWrite(&r)) return r;
    auto fp = trust::NormalizeSha256Fingerprint(fp_text);
    if (!fp.ok()) return FromStatus(fp.status());
    std::string reason = QueryParam(req_.query(), "reason").value_or("");
    if (reason.empty() && !req_.body.empty()) {
      Json j = Json::parse(req_.body, nullptr, false);
      if (j.is_object() && j.contains("reason") && j["reason"].is_string()) reason = j["reason"].get<std::string>();
    }
    if (reason.empty()) reason = "removed through the API";
    std::unique_lock lock(s_.mu);
    auto res = s_.o.lifecycle->Remove({*fp, tenant, reason, who_.actor});
    lock.unlock();
    if (!res.ok()) {
      // The lifecycle names the claiming tenants; a tenant must not learn them.
      if (res.status().is(ErrorCode::kNotFound)) {
        return ErrorResponse(404, "not_found", "no certificate " + *fp + " for tenant " + tenant);
      }
      return FromStatus(res.status());
    }
    Json j = {{"sha256", *fp}, {"tenant", tenant}, {"removed", true}};
    if (who_.role != Role::kTenant) {
      j["object_deleted"] = res->removed;
      j["remaining_tenants"] = res->remaining_tenants;
    }
    return JsonResponse(200, j);
  }

  HttpResponse Audit(const std::string& tenant) {
    uint64_t from = 1;
    if (auto f = QueryParam(req_.query(), "from"); f && !f->empty()) {
      auto [p, ec] = std::from_chars(f->data(), f->data() + f->size(), from);
      if (ec != std::errc() || p != f->data() + f->size() || from == 0) {
        return ErrorResponse(400, "invalid_request", "from must be a sequence number >= 1");
      }
    }
    std::shared_lock lock(s_.mu);
    // Effect is decided by later publishes, so read from the start and filter.
    auto events = s_.o.audit->Read(1, 0);
    if (!events.ok()) return FromStatus(events.status());
    Json all = EventsJson(*events, tenant);
    Json out = Json::array();
    for (auto& e : all) {
      if (e.value("seq", uint64_t{0}) >= from) out.push_back(std::move(e));
    }
    return JsonResponse(200, {{"events", out}});
  }

  HttpResponse ExportConfig() {
    const std::string format = QueryParam(req_.query(), "format").value_or("yaml");
    if (format != "yaml" && format != "json") {
      return ErrorResponse(400, "invalid_request", "format must be yaml or json");
    }
    std::shared_lock lock(s_.mu);
    auto model = s_.o.store->RenderModel(s_.o.trust_config_id);
    if (!model.ok()) return FromStatus(model.status());
    if (Status st = trust::CheckLimits(*model); !st.ok()) return FromStatus(st);
    HttpResponse r;
    r.content_type = format == "json" ? "application/json" : "application/yaml";
    r.body = format == "json" ? trust::RenderJson(*model) : trust::RenderYaml(*model);
    return r;
  }

  HttpResponse History() {
    std::shared_lock lock(s_.mu);
    auto revisions = s_.o.revisions->History(s_.o.trust_config_id);
    if (!revisions.ok()) return FromStatus(revisions.status());
    Json all = Json::array();
    for (const auto& r : *revisions) {
      all.push_back({{"revision", r.revision},
                     {"published_at", r.published_at},
                     {"published_by", r.published_by},
                     {"current", r.current}});
    }
    return JsonResponse(200, {{"id", s_.o.trust_config_id}, {"revisions", all}});
  }

  HttpResponse Publish() {
    std::unique_lock lock(s_.mu);
    auto res = s_.o.revisions->Publish(s_.o.trust_config_id, who_.actor);
    lock.unlock();
    if (!res.ok()) return FromStatus(res.status());
    return JsonResponse(res->changed ? 201 : 200, {{"id", s_.o.trust_config_id},
                                                   {"revision", res->revision},
                                                   {"previous_revision", res->previous_revision},
                                                   {"changed", res->changed},
                                                   {"covers_audit_seq", res->covers_seq}});
  }

  HttpResponse Rollback() {
    Json j = Json::parse(req_.body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("revision") || !j["revision"].is_string() ||
        !j.contains("reason") || !j["reason"].is_string() || j["reason"].get<std::string>().empty()) {
      return ErrorResponse(400, "invalid_request", "expected a JSON object {\"revision\": \"...\", \"reason\": \"...\"}");
    }
    std::unique_lock lock(s_.mu);
    auto res = s_.o.revisions->Rollback(s_.o.trust_config_id, j["revision"].get<std::string>(), who_.actor,
                                        j["reason"].get<std::string>());
    lock.unlock();
    if (!res.ok()) return FromStatus(res.status());
    return JsonResponse(200, {{"id", s_.o.trust_config_id},
                              {"revision", res->publish.revision},
                              {"re_added", res->re_added},
                              {"removed", res->removed}});
  }

  State& s_;
  const HttpRequest& req_;
  const Principal& who_;
};

std::string ClientHost(const std::string& remote) {
  const size_t colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}

HttpResponse RateLimited(const RateLimiter::Decision& d, const std::string& who) {
  auto r = ErrorResponse(429, "rate_limited", "too many requests from " + who + "; retry in " +
                                                  std::to_string(d.retry_after_seconds) + "s");
  r.headers.emplace_back("Retry-After", std::to_string(d.retry_after_seconds));
  return r;
}

HttpResponse HandleRequest(State& s, const HttpRequest& req) {
  const std::string_view path = req.path();
  if (path.rfind("/api/v1/", 0) != 0) {
    return ErrorResponse(404, "not_found", "no such endpoint: " + std::string(path));
  }
  const auto seg = SplitPath(path);
  if (seg.size() == 3 && seg[2] == "health") {
    return JsonResponse(200, {{"status", "ok"}});
  }

  Result<Principal> who = Status::NotFound("no credentials");
  const std::string_view authz = req.header("authorization");
  if (!authz.empty()) {
    constexpr std::string_view kBearer = "Bearer ";
    if (authz.size() <= kBearer.size() || authz.substr(0, kBearer.size()) != kBearer) {
      who = Status::NotFound("the Authorization header must be \"Bearer <token>\"");
    } else {
      who = s.o.auth->FromBearerToken(authz.substr(kBearer.size()));
    }
  } else if (!req.client_subject.empty()) {
    who = s.o.auth->FromClientSubject(req.client_subject);
  }
  if (!who.ok()) {
    // Failed attempts count against the client address, which slows down
    // guessing tokens.
    const std::string host = ClientHost(req.remote_address);
    if (auto d = s.limiter.Take("unauthenticated:" + host); !d.allowed) return RateLimited(d, host);
    if (!who.status().is(ErrorCode::kNotFound)) {
      // An unreadable credentials file is the server's fault, not the caller's.
      return ErrorResponse(500, "internal", "cannot check credentials: " + who.status().message());
    }
    auto r = ErrorResponse(401, "unauthenticated",
                           "authentication required: " + who.status().message() +
                               " (send Authorization: Bearer <token>, or a client certificate)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"trustplane\"");
    return r;
  }
  if (auto d = s.limiter.Take("actor:" + who->actor); !d.allowed) return RateLimited(d, who->actor);
  return Router(s, req, *who).Route(seg);
}

}  // namespace

ControlApi::ControlApi(std::unique_ptr<State> state) : state_(std::move(state)) {}
ControlApi::~ControlApi() = default;

Result<std::unique_ptr<ControlApi>> ControlApi::Create(ControlApiOptions options) {
  if (!options.store || !options.lifecycle || !options.revisions || !options.audit || !options.auth) {
    return Status::InvalidArgument("the control API needs a trust store, lifecycle, revisions, audit log and authenticator");
  }
  TP_RETURN_IF_ERROR(trust::ValidateTrustConfigId(options.trust_config_id));
  return std::unique_ptr<ControlApi>(new ControlApi(std::make_unique<State>(std::move(options))));
}

HttpResponse ControlApi::Handle(const HttpRequest& request) {
  try {
    return HandleRequest(*state_, request);
  } catch (const std::exception& e) {
    return ErrorResponse(500, "internal", std::string("internal error: ") + e.what());
  } catch (...) {
    return ErrorResponse(500, "internal", "internal error");
  }
}

HttpResponse ControlApi::ServerError(int status, const std::string& message) {
  std::string_view code = "invalid_request";
  if (status == 413) code = "payload_too_large";
  if (status == 431) code = "headers_too_large";
  if (status >= 500) code = "internal";
  return ErrorResponse(status, code, message);
}

}  // namespace trustplane::api
