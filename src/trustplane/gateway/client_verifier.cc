#include "trustplane/gateway/client_verifier.h"

#include <openssl/x509.h>

#include <algorithm>
#include <limits>

#include "trustplane/base/digest.h"
#include "trustplane/base/time.h"

namespace trustplane::gateway {
namespace {

// Ticket app data for a session whose client sent no certificate.
constexpr std::string_view kNoCertificate = "none";
// For a session whose chain failed: never a cache key, so never resumed.
constexpr std::string_view kUnverified = "unverified";

int ConnectionIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// The verifier whose callbacks a context runs (session callbacks get no arg).
int VerifierIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

ConnectionTrust* ConnectionOf(SSL* ssl) {
  return static_cast<ConnectionTrust*>(SSL_get_ex_data(ssl, ConnectionIndex()));
}

bool DerOf(X509* cert, std::string& out) {
  const int n = i2d_X509(cert, nullptr);
  if (n <= 0) return false;
  out.resize(static_cast<size_t>(n));
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  return i2d_X509(cert, &p) == n;
}

void Apply(const VerifiedChain& v, ConnectionTrust* conn) {
  conn->outcome.leaf = v.leaf;
  conn->outcome.presented = v.presented;
  conn->outcome.chain_verified = true;
  conn->outcome.error.clear();
  conn->tenants = v.tenants;
  conn->detail.clear();
}

std::string SessionData(SSL_SESSION* session) {
  void* data = nullptr;
  size_t len = 0;
  if (SSL_SESSION_get0_ticket_appdata(session, &data, &len) != 1 || data == nullptr) return "";
  return std::string(static_cast<const char*>(data), len);
}

}  // namespace

ClientVerifier::ClientVerifier(const TrustSnapshotHolder& trust, ClientValidation mode,
                               std::string config_digest, size_t cache_capacity)
    : trust_(trust),
      mode_(mode),
      config_digest_(std::move(config_digest)),
      cache_(std::make_shared<VerifiedChainCache>(cache_capacity)),
      sessions_(std::make_shared<SessionStore>()) {}

ClientVerifier::ClientVerifier(const TrustSnapshotHolder& trust, ClientValidation mode,
                               std::string config_digest, std::shared_ptr<VerifiedChainCache> cache,
                               std::shared_ptr<SessionStore> sessions)
    : trust_(trust),
      mode_(mode),
      config_digest_(std::move(config_digest)),
      cache_(std::move(cache)),
      sessions_(std::move(sessions)) {}

void ClientVerifier::Install(SSL_CTX* ctx) {
  int verify = SSL_VERIFY_PEER;
  if (mode_ == ClientValidation::kRejectInvalid) verify |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx, verify, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, &ClientVerifier::VerifyCallback, this);
  // Sessions live in sessions_ only: SSL_OP_NO_TICKET makes TLS 1.3 tickets
  // stateful (the ticket is the session id) and TLS 1.2 use session ids;
  // one ticket per handshake (OpenSSL sends two by default).
  SSL_CTX_set_ex_data(ctx, VerifierIndex(), this);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 1);
  SSL_CTX_set_session_cache_mode(
      ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL | SSL_SESS_CACHE_NO_AUTO_CLEAR);
  SSL_CTX_sess_set_new_cb(ctx, &ClientVerifier::NewSession);
  SSL_CTX_sess_set_get_cb(ctx, &ClientVerifier::GetSession);
  SSL_CTX_sess_set_remove_cb(ctx, &ClientVerifier::RemoveSession);
}

void ClientVerifier::Prepare(SSL* ssl, ConnectionTrust* conn) const {
  conn->snapshot = trust_.Current();
  SSL_set_ex_data(ssl, ConnectionIndex(), conn);
  // A session resumes only under the trust set and configuration that
  // admitted it: OpenSSL refuses a session whose context differs.
  const std::string sid = Sha256(conn->snapshot->digest() + "\n" + config_digest_);
  SSL_set_session_id_context(
      ssl, reinterpret_cast<const unsigned char*>(sid.data()),
      static_cast<unsigned>(std::min<size_t>(sid.size(), SSL_MAX_SID_CTX_LENGTH)));
}

int ClientVerifier::VerifyCallback(X509_STORE_CTX* store_ctx, void* arg) {
  auto* self = static_cast<ClientVerifier*>(arg);
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  ConnectionTrust* conn = ssl ? ConnectionOf(ssl) : nullptr;
  if (conn == nullptr || !conn->snapshot) {
    X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  // OpenSSL hands over the chain as sent, leaf first, already decoded.
  STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(store_ctx);
  std::vector<X509*> certs;
  for (int i = 0; sent != nullptr && i < sk_X509_num(sent); ++i) {
    certs.push_back(sk_X509_value(sent, i));
  }
  if (certs.empty() && X509_STORE_CTX_get0_cert(store_ctx) != nullptr) {
    certs.push_back(X509_STORE_CTX_get0_cert(store_ctx));
  }
  // DER only for the cache key; the certificates are wrapped, not re-parsed.
  std::vector<std::string> ders(certs.size());
  bool encoded = !certs.empty();
  for (size_t i = 0; encoded && i < certs.size(); ++i) encoded = DerOf(certs[i], ders[i]);
  if (!encoded) {
    conn->verify_ran = true;
    conn->outcome.error = "client_cert_validation_failed";
    conn->detail = "the client certificate could not be encoded";
  } else {
    self->VerifyPresented(
        ders, [&](size_t i) { return x509::Certificate::FromOpenSsl(certs[i]); }, conn);
  }
  if (conn->outcome.chain_verified ||
      self->mode_ == ClientValidation::kAllowInvalidOrMissingClientCert) {
    X509_STORE_CTX_set_error(store_ctx, X509_V_OK);
    return 1;
  }
  // A revoked client gets the certificate_revoked alert, others bad_certificate.
  X509_STORE_CTX_set_error(store_ctx, conn->outcome.error == "client_cert_revoked"
                                          ? X509_V_ERR_CERT_REVOKED
                                          : X509_V_ERR_CERT_REJECTED);
  return 0;
}

void ClientVerifier::VerifyChain(const std::vector<std::string>& ders, ConnectionTrust* conn) {
  VerifyPresented(
      ders, [&](size_t i) { return x509::Certificate::FromDer(ders[i]); }, conn);
}

void ClientVerifier::VerifyPresented(const std::vector<std::string>& ders, const Parse& parse,
                                     ConnectionTrust* conn) {
  conn->verify_ran = true;
  conn->chain_key = ChainKey(ders);
  const TrustSnapshot& snap = *conn->snapshot;
  const UnixSeconds now = NowUnix();
  if (auto hit = cache_->Find(conn->chain_key, snap.generation(), now)) {
    Apply(*hit, conn);
    conn->cache_hit = true;
    // The cache remembers signatures, not revocation: check on every hit.
    CheckRevocation(hit->result.chain, conn);
    return;
  }
  conn->outcome.chain_verified = false;
  auto leaf = parse(0);
  if (!leaf.ok()) {
    conn->outcome.error = "client_cert_validation_failed";
    conn->detail = "client certificate: " + leaf.status().message();
    return;
  }
  conn->outcome.leaf = *leaf;
  conn->outcome.presented.clear();
  for (size_t i = 1; i < ders.size(); ++i) {
    auto c = parse(i);
    if (!c.ok()) {
      conn->outcome.error = "client_cert_validation_failed";
      conn->detail = "presented certificate " + std::to_string(i) + ": " + c.status().message();
      return;
    }
    conn->outcome.presented.push_back(std::move(c).value());
  }
  if (snap.content().anchors.empty() && snap.content().allowlisted.empty()) {
    conn->outcome.error = "client_cert_validation_not_performed";
    conn->detail = "the trust set is empty: nothing to validate against";
    return;
  }
  x509::VerifyOptions options = snap.options();
  options.at = now;
  x509::VerifyResult result = snap.verifier().Verify(*leaf, conn->outcome.presented, options);
  if (!result.ok) {
    conn->outcome.error = result.error;
    conn->detail = result.detail;
    return;
  }
  conn->outcome.chain_verified = true;
  conn->outcome.error.clear();
  conn->tenants = snap.VouchingTenants(result);

  UnixSeconds from = std::numeric_limits<UnixSeconds>::min();
  UnixSeconds until = std::numeric_limits<UnixSeconds>::max();
  // The load balancer accepts allowlisted certificates whatever their dates.
  if (!result.via_allowlist) {
    for (const auto& c : result.chain) {
      from = std::max(from, c.not_before());
      until = std::min(until, c.not_after());
    }
  }
  auto entry = std::make_shared<const VerifiedChain>(
      VerifiedChain{*leaf, conn->outcome.presented, std::move(result), conn->tenants, from, until});
  cache_->Insert(conn->chain_key, snap.generation(), entry);
  CheckRevocation(entry->result.chain, conn);
}

void ClientVerifier::CheckRevocation(const std::vector<x509::Certificate>& chain,
                                     ConnectionTrust* conn) const {
  conn->revocation.clear();
  if (!revocation_ || !conn->outcome.chain_verified) return;
  const RevocationResult r = revocation_->Check(chain, NowUnix());
  conn->revocation = std::string(RevocationStatusName(r.status));
  std::string error;
  if (r.status == RevocationStatus::kRevoked) {
    error = "client_cert_revoked";
  } else if (r.status == RevocationStatus::kUnknown &&
             revocation_->mode() == RevocationMode::kHardFail) {
    error = "client_cert_revocation_unknown";
  }
  if (error.empty()) return;
  conn->outcome.chain_verified = false;
  conn->outcome.error = std::move(error);
  conn->detail = r.detail;
  conn->tenants.clear();
}

int ClientVerifier::NewSession(SSL* ssl, SSL_SESSION* session) {
  auto* self =
      static_cast<ClientVerifier*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), VerifierIndex()));
  ConnectionTrust* conn = ConnectionOf(ssl);
  if (self == nullptr || conn == nullptr) return 0;  // OpenSSL drops its reference
  // A resumed session's copy already carries the key of the chain that
  // admitted it.
  if (SSL_session_reused(ssl) != 1) {
    std::string_view data = kUnverified;
    if (!conn->verify_ran) data = kNoCertificate;
    if (conn->outcome.chain_verified && !conn->chain_key.empty()) data = conn->chain_key;
    if (SSL_SESSION_set1_ticket_appdata(session, data.data(), data.size()) != 1) return 0;
  }
  self->sessions_->Add(session);  // keeps the reference OpenSSL passed
  return 1;
}

SSL_SESSION* ClientVerifier::GetSession(SSL* ssl, const unsigned char* id, int id_len, int* copy) {
  *copy = 0;  // the reference Find returns goes to OpenSSL
  auto* self =
      static_cast<ClientVerifier*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), VerifierIndex()));
  ConnectionTrust* conn = ConnectionOf(ssl);
  if (self == nullptr || conn == nullptr || !conn->snapshot || id_len <= 0) return nullptr;
  SSL_SESSION* session =
      self->sessions_->Find(std::string_view(reinterpret_cast<const char*>(id), id_len));
  if (session != nullptr && !self->Resumable(session, *conn)) {
    SSL_SESSION_free(session);
    return nullptr;  // a full handshake instead
  }
  return session;
}

void ClientVerifier::RemoveSession(SSL_CTX* ctx, SSL_SESSION* session) {
  auto* self = static_cast<ClientVerifier*>(SSL_CTX_get_ex_data(ctx, VerifierIndex()));
  if (self == nullptr) return;
  unsigned int len = 0;
  const unsigned char* id = SSL_SESSION_get_id(session, &len);
  self->sessions_->Remove(std::string_view(reinterpret_cast<const char*>(id), len));
}

bool ClientVerifier::Resumable(SSL_SESSION* session, const ConnectionTrust& conn) const {
  const std::string data = SessionData(session);
  if (data == kNoCertificate) return mode_ == ClientValidation::kAllowInvalidOrMissingClientCert;
  if (data.empty() || data == kUnverified) return false;
  // Only a chain verified under this very trust set, still within its dates,
  // and not revoked since.
  auto hit = cache_->Find(data, conn.snapshot->generation(), NowUnix());
  if (!hit) return false;
  ConnectionTrust probe;
  Apply(*hit, &probe);
  CheckRevocation(hit->result.chain, &probe);
  return probe.outcome.chain_verified;
}

Status ClientVerifier::Finish(SSL* ssl, ConnectionTrust* conn) {
  conn->resumed = SSL_session_reused(ssl) == 1;
  if (conn->resumed && !conn->verify_ran) {
    const std::string data = SessionData(SSL_get_session(ssl));
    if (data != kNoCertificate) {
      auto hit = cache_->Find(data, conn->snapshot->generation(), NowUnix());
      if (hit) {
        Apply(*hit, conn);
        conn->cache_hit = true;
        conn->chain_key = data;
        CheckRevocation(hit->result.chain, conn);
        // The log and metrics name the revocation reason, as for a full handshake.
        if (!conn->outcome.chain_verified) conn->verify_ran = true;
      } else {
        // Evicted between the ticket check and now: the session cannot be
        // tied to a verified chain any more.
        conn->outcome.leaf.reset();
        conn->outcome.chain_verified = false;
        conn->outcome.error = "client_cert_validation_failed";
        conn->detail = "resumed session's chain is no longer verified";
      }
    }
  }
  if (mode_ == ClientValidation::kRejectInvalid && !conn->outcome.chain_verified) {
    return Status::Policy(conn->outcome.error.empty() ? "client_cert_not_provided"
                                                      : conn->outcome.error);
  }
  return Status::Ok();
}

}  // namespace trustplane::gateway
