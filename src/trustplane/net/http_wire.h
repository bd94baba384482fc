// The bytes of an HTTP/1.x message head (start line and header fields), so
// the servers and the gateway's proxy write head and body with one gather
// write instead of Beast's generic serializer, whose buffer-sequence
// machinery was a visible share of a kept-alive request's CPU. Parsing stays
// with Beast.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trustplane::net {

// "GET /path HTTP/1.1\r\nName: value\r\n...\r\n": the fields as they are, in
// order (Content-Length and Connection included, so prepare_payload() and
// keep_alive() first).
std::string SerializeHead(const boost::beast::http::request<boost::beast::http::string_body>& req);
// "HTTP/1.1 200 OK\r\n...\r\n"; the reason phrase the message carries, else
// the standard one for its status.
std::string SerializeHead(const boost::beast::http::response<boost::beast::http::string_body>& res);

// What a server's own answer says besides its body.
struct ResponseHeadFields {
  unsigned version = 11;  // 10 or 11
  int status = 200;
  bool keep_alive = true;
  std::string_view server, date, content_type;  // each left out when empty
  const std::vector<std::pair<std::string, std::string>>* extra = nullptr;  // in order
  size_t content_length = 0;
};

// The head of an answer built without a Beast message (whose fields cost an
// allocation and a name lookup each): the standard reason phrase;
// Content-Length except for 1xx, 204 and 304, which have no body; Connection
// only where keep_alive differs from the version's default.
std::string SerializeResponseHead(const ResponseHeadFields& head);
// 1xx, 204 and 304 answers carry no body (RFC 9110 6.4.1).
bool StatusHasNoBody(int status);

}  // namespace trustplane::net
