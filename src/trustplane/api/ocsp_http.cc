#include "trustplane/api/ocsp_http.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "trustplane/base/encoding.h"

namespace trustplane::api {

namespace {

constexpr std::string_view kOcspPathPrefix = "/ocsp/";

// Whether an If-None-Match list ("a", W/"b", or *) names this entity tag.
// Weak comparison (RFC 9110 13.1.2): a W/ prefix does not matter.
bool NoneMatchNames(std::string_view list, std::string_view quoted_etag) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view tag = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    const size_t first = tag.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    tag = tag.substr(first, tag.find_last_not_of(" \t") - first + 1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == quoted_etag) return true;
  }
  return false;
}

}  // namespace

std::string OcspRequestOf(const net::HttpRequest& request) {
  if (request.method == "POST") return request.body;
  const std::string_view path = request.path();
  const std::string_view encoded = path.starts_with(kOcspPathPrefix) ? path.substr(kOcspPathPrefix.size()) : "";
  // In a path '+' is a base64 digit, not a space.
  auto der = Base64Decode(PercentDecode(encoded, /*plus_is_space=*/false));
  return der.ok() ? std::move(der).value() : std::string();
}

net::HttpResponse OcspHttpResponse(const net::HttpRequest& request, pki::OcspAnswer answer, UnixSeconds now) {
  net::HttpResponse out{200, "application/ocsp-response", std::move(answer.der), {}};
  if (!answer.cacheable) return out;
  std::string quoted_etag = "\"" + answer.etag + "\"";
  // RFC 5019 6.2's directives; a cache must not serve it past nextUpdate.
  out.headers = {
      {"Last-Modified", FormatHttpDate(answer.this_update)},
      {"Expires", FormatHttpDate(answer.next_update)},
      {"Cache-Control", "max-age=" + std::to_string(std::max<UnixSeconds>(0, answer.next_update - now)) +
                            ", public, no-transform, must-revalidate"},
  };
  // Only a GET is a cache's revalidation; RFC 9110 13.1.2 would have any
  // other method that matches refused (412), which helps no OCSP client.
  const bool not_modified =
      request.method == "GET" && NoneMatchNames(request.header("if-none-match"), quoted_etag);
  out.headers.emplace_back("ETag", std::move(quoted_etag));
  if (not_modified) {
    out.status = 304;
    out.content_type.clear();
    out.body.clear();
  }
  return out;
}

}  // namespace trustplane::api
