#include "trustplane/net/http_fetch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace trustplane::net {
namespace {

TEST(HttpFetch, GivesUpAtItsTimeoutAndRefusesOtherSchemes) {
  // A listener that never answers: the connection is queued, no byte comes back.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  FetchRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/crl";
  r.timeout = std::chrono::milliseconds(300);
  Result<std::string> silent = HttpFetch(r);
  close(fd);
  ASSERT_FALSE(silent.ok());
  EXPECT_NE(silent.status().message().find("no answer within 300 ms"), std::string::npos)
      << silent.status().message();

  r.url = "ftp://127.0.0.1/crl";
  EXPECT_FALSE(HttpFetch(r).ok());
}

}  // namespace
}  // namespace trustplane::net
