#include "trustplane/gateway/session_store.h"

#include <gtest/gtest.h>

#include <string>

namespace trustplane::gateway {
namespace {

SSL_SESSION* SessionWithId(const std::string& id) {
  SSL_SESSION* s = SSL_SESSION_new();
  SSL_SESSION_set1_id(s, reinterpret_cast<const unsigned char*>(id.data()),
                      static_cast<unsigned int>(id.size()));
  return s;
}

TEST(SessionStoreTest, FindsAddedSessionsByIdAndForgetsRemovedOnes) {
  SessionStore store(10);
  store.Add(SessionWithId("alpha"));
  store.Add(SessionWithId("beta"));
  EXPECT_EQ(store.size(), 2u);
  SSL_SESSION* found = store.Find("alpha");
  ASSERT_NE(found, nullptr);
  unsigned int len = 0;
  const unsigned char* id = SSL_SESSION_get_id(found, &len);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(id), len), "alpha");
  store.Remove("alpha");
  EXPECT_EQ(store.Find("alpha"), nullptr);
  // The reference Find handed out outlives the removal.
  EXPECT_EQ(SSL_SESSION_get_id(found, &len)[0], 'a');
  SSL_SESSION_free(found);
  EXPECT_EQ(store.Find("gamma"), nullptr);
  EXPECT_EQ(store.size(), 1u);
}

TEST(SessionStoreTest, WhenFullTheOldestSessionsGoFirst) {
  SessionStore store(3);
  for (int i = 0; i < 5; ++i) store.Add(SessionWithId("s" + std::to_string(i)));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.Find("s0"), nullptr);
  EXPECT_EQ(store.Find("s1"), nullptr);
  for (const char* kept : {"s2", "s3", "s4"}) {
    SSL_SESSION* s = store.Find(kept);
    EXPECT_NE(s, nullptr) << kept;
    SSL_SESSION_free(s);
  }
  // Removed ids do not count against the capacity.
  store.Remove("s2");
  store.Remove("s3");
  store.Add(SessionWithId("s5"));
  store.Add(SessionWithId("s6"));
  EXPECT_EQ(store.size(), 3u);
  SSL_SESSION* s4 = store.Find("s4");
  EXPECT_NE(s4, nullptr);
  SSL_SESSION_free(s4);
}

}  // namespace
}  // namespace trustplane::gateway
