#include "trustplane/net/http_wire.h"

#include <boost/beast/http/status.hpp>
#include <string_view>

namespace trustplane::net {

namespace http = boost::beast::http;

namespace {

void AppendVersion(std::string& out, unsigned version) {
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
}

void AppendFields(std::string& out, const http::fields& fields) {
  for (const auto& f : fields) {
    out.append(f.name_string().data(), f.name_string().size());
    out += ": ";
    out.append(f.value().data(), f.value().size());
    out += "\r\n";
  }
  out += "\r\n";
}

// A start line and ~30 bytes per field: one allocation for a typical head.
size_t EstimateHeadSize(const http::fields& fields) {
  size_t n = 64;
  for (const auto& f : fields) n += f.name_string().size() + f.value().size() + 4;
  return n;
}

}  // namespace

std::string SerializeHead(const http::request<http::string_body>& req) {
  std::string out;
  out.reserve(EstimateHeadSize(req) + req.target().size());
  out.append(req.method_string().data(), req.method_string().size());
  out += ' ';
  out.append(req.target().data(), req.target().size());
  out += ' ';
  AppendVersion(out, req.version());
  out += "\r\n";
  AppendFields(out, req);
  return out;
}

std::string SerializeHead(const http::response<http::string_body>& res) {
  std::string out;
  out.reserve(EstimateHeadSize(res));
  AppendVersion(out, res.version());
  out += ' ';
  out += std::to_string(res.result_int());
  out += ' ';
  const auto reason = res.reason();
  if (!reason.empty()) {
    out.append(reason.data(), reason.size());
  } else {
    const auto standard = http::obsolete_reason(res.result());
    out.append(standard.data(), standard.size());
  }
  out += "\r\n";
  AppendFields(out, res);
  return out;
}

bool StatusHasNoBody(int status) { return (status >= 100 && status < 200) || status == 204 || status == 304; }

std::string SerializeResponseHead(const ResponseHeadFields& head) {
  std::string out;
  out.reserve(160 + head.content_type.size() + head.date.size());
  AppendVersion(out, head.version);
  out += ' ';
  out += std::to_string(head.status);
  out += ' ';
  const auto reason = http::obsolete_reason(static_cast<http::status>(head.status));
  out.append(reason.data(), reason.size());
  out += "\r\n";
  const auto field = [&out](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    out.append(name);
    out += ": ";
    out.append(value);
    out += "\r\n";
  };
  field("Server", head.server);
  field("Date", head.date);
  field("Content-Type", head.content_type);
  if (head.extra) {
    for (const auto& [name, value] : *head.extra) field(name, value);
  }
  if (!StatusHasNoBody(head.status)) field("Content-Length", std::to_string(head.content_length));
  if (head.version >= 11 && !head.keep_alive) field("Connection", "close");
  if (head.version < 11 && head.keep_alive) field("Connection", "keep-alive");
  out += "\r\n";
  return out;
}

}  // namespace trustplane::net
