// ClientVerifier: the gateway's client-certificate check inside the TLS
// handshake. It replaces OpenSSL's own chain building
// (SSL_CTX_set_cert_verify_callback) with x509::ChainVerifier over the trust
// snapshot the connection was bound to, with the load balancer's modes:
//   REJECT_INVALID                        no or invalid certificate fails the
//                                         handshake (no HTTP response);
//   ALLOW_INVALID_OR_MISSING_CLIENT_CERT  the handshake completes and the
//                                         outcome travels in the headers.
// OpenSSL checks CertificateVerify (proof of possession) itself in both
// modes, and a failure there always fails the handshake.
//
// Session resumption: sessions stay in a SessionStore (no sealed tickets).
// Every connection's session id context is derived from the snapshot digest
// and the gateway config digest, and each stored session carries the key of
// the verified chain; a session from another trust set or config, or whose
// chain is no longer in the verified cache, gets a full handshake.
//
// Revocation (SetRevocation): every verified chain is checked, also on a
// verified-chain cache hit, when a ticket is accepted and when a resumed
// session completes, so a revocation learnt after a session was saved stops
// its resumption. Revoked fails like an invalid chain with
// client_cert_revoked; an unknown status fails with
// client_cert_revocation_unknown under hard_fail and is admitted under
// soft_fail.
#pragma once

#include <openssl/ssl.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/gateway/client_cert_variables.h"
#include "trustplane/gateway/gateway_config.h"
#include "trustplane/gateway/revocation_checker.h"
#include "trustplane/gateway/session_store.h"
#include "trustplane/gateway/trust_snapshot.h"
#include "trustplane/gateway/verified_chain_cache.h"

namespace trustplane::gateway {

// What the handshake established for one connection.
struct ConnectionTrust {
  std::shared_ptr<const TrustSnapshot> snapshot;  // the set it was checked against
  HandshakeOutcome outcome;                       // leaf, chain_verified, error
  std::vector<std::string> tenants;               // who vouched (verified chains only)
  std::string detail;                             // the verifier's explanation on failure
  std::string chain_key;                          // ChainKey of the presented chain
  bool cache_hit = false;
  bool resumed = false;
  bool verify_ran = false;  // the client sent a certificate in this handshake
  // RevocationStatusName of the last check; "" when revocation is off or the
  // chain did not verify.
  std::string revocation;
};

class ClientVerifier {
 public:
  ClientVerifier(const TrustSnapshotHolder& trust, ClientValidation mode, std::string config_digest,
                 size_t cache_capacity = 10000);
  // Shares `cache` and `sessions` with other verifiers: a config reload
  // builds a new verifier but keeps the chains already verified (the cache
  // is keyed by the trust generation, which a config reload does not change)
  // and the sessions (the session id context decides which still resume).
  ClientVerifier(const TrustSnapshotHolder& trust, ClientValidation mode, std::string config_digest,
                 std::shared_ptr<VerifiedChainCache> cache, std::shared_ptr<SessionStore> sessions);

  // Checks every verified chain for revocation from now on; nullptr: off.
  // Call before Install.
  void SetRevocation(std::shared_ptr<RevocationChecker> checker) {
    revocation_ = std::move(checker);
  }
  const std::shared_ptr<RevocationChecker>& revocation() const { return revocation_; }

  // Sets verify mode, the verify callback and server-side sessions on ctx.
  // `this` must outlive ctx.
  void Install(SSL_CTX* ctx);
  // Before the handshake: binds ssl to the current snapshot. `conn` must
  // outlive the handshake.
  void Prepare(SSL* ssl, ConnectionTrust* conn) const;
  // After a successful handshake: completes `conn` for resumed sessions and
  // clients that sent no certificate. kPolicy when REJECT_INVALID must close
  // the connection (a resumed session whose chain cannot be re-established).
  Status Finish(SSL* ssl, ConnectionTrust* conn);

  // The check the verify callback runs, on a chain as DER (leaf first), for
  // `conn->snapshot`; also what `gateway check` uses.
  void VerifyChain(const std::vector<std::string>& ders, ConnectionTrust* conn);

  ClientValidation mode() const { return mode_; }
  const VerifiedChainCache& cache() const { return *cache_; }
  const SessionStore& sessions() const { return *sessions_; }

 private:
  static int VerifyCallback(X509_STORE_CTX* store_ctx, void* arg);
  static int NewSession(SSL* ssl, SSL_SESSION* session);
  static SSL_SESSION* GetSession(SSL* ssl, const unsigned char* id, int id_len, int* copy);
  static void RemoveSession(SSL_CTX* ctx, SSL_SESSION* session);
  // Whether a stored session may resume on conn: its chain still verified
  // under conn's trust set and not revoked (or no certificate, where allowed).
  bool Resumable(SSL_SESSION* session, const ConnectionTrust& conn) const;
  // VerifyChain with the certificates from `parse(i)` (ders[i] decoded);
  // the handshake passes the ones OpenSSL has decoded already.
  using Parse = std::function<Result<x509::Certificate>(size_t)>;
  void VerifyPresented(const std::vector<std::string>& ders, const Parse& parse,
                       ConnectionTrust* conn);
  // Runs the revocation check on a verified `chain` (leaf first) for conn;
  // turns conn into a failed outcome when the chain may not be admitted.
  void CheckRevocation(const std::vector<x509::Certificate>& chain, ConnectionTrust* conn) const;

  const TrustSnapshotHolder& trust_;
  ClientValidation mode_;
  std::string config_digest_;
  std::shared_ptr<VerifiedChainCache> cache_;
  std::shared_ptr<SessionStore> sessions_;
  std::shared_ptr<RevocationChecker> revocation_;
};

}  // namespace trustplane::gateway
