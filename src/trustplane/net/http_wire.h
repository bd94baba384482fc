// The bytes of an HTTP/1.x message head (start line and header fields), so
// the servers and the gateway's proxy write head and body with one gather
// write instead of Beast's generic serializer, whose buffer-sequence
// machinery was a visible share of a kept-alive request's CPU. Parsing stays
// with Beast.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

namespace trustplane::net {

// "GET /path HTTP/1.1\r\nName: value\r\n...\r\n": the fields as they are, in
// order (Content-Length and Connection included, so prepare_payload() and
// keep_alive() first).
std::string SerializeHead(const boost::beast::http::request<boost::beast::http::string_body>& req);
// "HTTP/1.1 200 OK\r\n...\r\n"; the reason phrase the message carries, else
// the standard one for its status.
std::string SerializeHead(const boost::beast::http::response<boost::beast::http::string_body>& res);

}  // namespace trustplane::net
