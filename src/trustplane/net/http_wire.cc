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

}  // namespace trustplane::net
