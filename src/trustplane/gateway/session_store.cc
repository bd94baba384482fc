#include "trustplane/gateway/session_store.h"

namespace trustplane::gateway {
namespace {

std::string IdOf(const SSL_SESSION* session) {
  unsigned int len = 0;
  const unsigned char* id = SSL_SESSION_get_id(session, &len);
  return std::string(reinterpret_cast<const char*>(id), len);
}

}  // namespace

SessionStore::~SessionStore() {
  for (auto& [id, session] : by_id_) SSL_SESSION_free(session);
}

void SessionStore::Add(SSL_SESSION* session) {
  std::string id = IdOf(session);
  std::lock_guard lock(mu_);
  auto [it, inserted] = by_id_.try_emplace(id, session);
  if (!inserted) {
    SSL_SESSION_free(it->second);
    it->second = session;
    return;
  }
  order_.push_back(std::move(id));
  while (by_id_.size() > capacity_ && !order_.empty()) {
    auto oldest = by_id_.find(order_.front());
    if (oldest != by_id_.end()) {
      SSL_SESSION_free(oldest->second);
      by_id_.erase(oldest);
    }
    order_.pop_front();
  }
  // Ids of removed sessions stay in order_ until they reach the front; keep
  // that backlog from outgrowing the store.
  if (order_.size() > 2 * capacity_ + 16) {
    std::deque<std::string> live;
    for (auto& old : order_) {
      if (by_id_.count(old) != 0) live.push_back(std::move(old));
    }
    order_.swap(live);
  }
}

SSL_SESSION* SessionStore::Find(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) return nullptr;
  // The reference is taken under the lock: another thread may evict the
  // entry as soon as it is released.
  SSL_SESSION_up_ref(it->second);
  return it->second;
}

void SessionStore::Remove(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) return;
  SSL_SESSION_free(it->second);
  by_id_.erase(it);
}

size_t SessionStore::size() const {
  std::lock_guard lock(mu_);
  return by_id_.size();
}

}  // namespace trustplane::gateway
