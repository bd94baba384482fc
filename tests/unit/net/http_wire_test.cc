// The message heads the proxy writes: exact bytes for the common cases, and
// what Beast's own parser reads back from head + body.
#include "trustplane/net/http_wire.h"

#include <gtest/gtest.h>

#include <boost/beast/http/parser.hpp>

namespace trustplane::net {
namespace {

namespace http = boost::beast::http;

TEST(HttpWireTest, RequestHeadHasTheStartLineAndFieldsInOrder) {
  http::request<http::string_body> req{http::verb::post, "/api/v1/items?x=1", 11};
  req.set(http::field::host, "backend.internal");
  req.insert("X-Client-Cert-Hash", "ab12");
  req.insert("x-custom", "keeps its case");
  req.body() = "payload";
  req.prepare_payload();
  EXPECT_EQ(SerializeHead(req),
            "POST /api/v1/items?x=1 HTTP/1.1\r\n"
            "Host: backend.internal\r\n"
            "X-Client-Cert-Hash: ab12\r\n"
            "x-custom: keeps its case\r\n"
            "Content-Length: 7\r\n"
            "\r\n");
}

TEST(HttpWireTest, ResponseHeadUsesTheCarriedReasonElseTheStandardOne) {
  http::response<http::string_body> res{http::status::forbidden, 11};
  res.set(http::field::content_type, "text/plain");
  res.keep_alive(false);
  EXPECT_EQ(SerializeHead(res),
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n");
  res.reason("Nope");
  res.version(10);
  res.keep_alive(true);
  EXPECT_EQ(SerializeHead(res),
            "HTTP/1.0 403 Nope\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HttpWireTest, AServersOwnAnswerHeadFramesItsBody) {
  const std::vector<std::pair<std::string, std::string>> extra = {{"ETag", "\"ab\""}, {"X-A", "1"}};
  ResponseHeadFields head;
  head.status = 200;
  head.server = "trustplane";
  head.date = "Sun, 06 Nov 1994 08:49:37 GMT";
  head.content_type = "application/ocsp-response";
  head.extra = &extra;
  head.content_length = 283;
  EXPECT_EQ(SerializeResponseHead(head),
            "HTTP/1.1 200 OK\r\nServer: trustplane\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: application/ocsp-response\r\nETag: \"ab\"\r\nX-A: 1\r\nContent-Length: 283\r\n\r\n");
  // A 304 has no body, so no Content-Length (a 0 would describe the cached one).
  head.status = 304;
  head.content_type = "";
  head.extra = nullptr;
  head.keep_alive = false;
  EXPECT_EQ(SerializeResponseHead(head),
            "HTTP/1.1 304 Not Modified\r\nServer: trustplane\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Connection: close\r\n\r\n");
  ResponseHeadFields old_client;
  old_client.version = 10;
  old_client.status = 404;
  EXPECT_EQ(SerializeResponseHead(old_client),
            "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HttpWireTest, BeastsParserReadsBackWhatWasSerialized) {
  http::response<http::string_body> res{http::status::ok, 11};
  res.set(http::field::server, "backend");
  res.insert("Set-Cookie", "a=1");
  res.insert("Set-Cookie", "b=2");
  res.body() = "{\"ok\": true}";
  res.prepare_payload();
  const std::string wire = SerializeHead(res) + res.body();

  http::response_parser<http::string_body> parser;
  parser.eager(true);  // header and body in one put()
  boost::beast::error_code ec;
  const size_t used = parser.put(boost::asio::buffer(wire), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(used, wire.size());
  ASSERT_TRUE(parser.is_done());
  const auto& back = parser.get();
  EXPECT_EQ(back.result_int(), 200u);
  EXPECT_EQ(back[http::field::server], "backend");
  EXPECT_EQ(back.count(http::field::set_cookie), 2u);
  EXPECT_EQ(back.body(), "{\"ok\": true}");
}

}  // namespace
}  // namespace trustplane::net
