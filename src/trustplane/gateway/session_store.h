// SessionStore: the gateway's TLS sessions, kept in its memory for
// resumption (TLS 1.3 stateful tickets, TLS 1.2 session ids) instead of
// sealed into tickets. OpenSSL 3.0 encodes a session to seal it and decodes
// it again to copy it, parsing the client's certificate each time (about an
// eighth of a full mTLS handshake's CPU), and decodes it once more when the
// ticket comes back; here a ticket is a random id and resumption a lookup.
// No session secret leaves the process, so there are no ticket keys to
// rotate or to steal. Bounded: when full, the oldest sessions go first. One
// store serves every SSL_CTX the gateway builds, so a config reload keeps
// sessions (the session id context still refuses those of another trust set
// or config). Thread-safe.
#pragma once

#include <openssl/ssl.h>

#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace trustplane::gateway {

class SessionStore {
 public:
  explicit SessionStore(size_t capacity = 20000) : capacity_(capacity) {}
  ~SessionStore();
  SessionStore(const SessionStore&) = delete;
  SessionStore& operator=(const SessionStore&) = delete;

  // Takes over one reference to session.
  void Add(SSL_SESSION* session);
  // A new reference to the session with that id, or nullptr.
  SSL_SESSION* Find(std::string_view id);
  void Remove(std::string_view id);
  size_t size() const;

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, SSL_SESSION*> by_id_;
  std::deque<std::string> order_;  // ids oldest first; may name removed ones
};

}  // namespace trustplane::gateway
