// OCSP over HTTP (RFC 6960 appendix A, RFC 5019): the request a GET path or
// POST body carries, and the HTTP answer with what caches need to keep a
// pre-signed response until its nextUpdate (RFC 5019 6.2), as cfssl's
// responder sends it: Last-Modified (thisUpdate), Expires (nextUpdate),
// Cache-Control max-age and an ETag, with 304 Not Modified for a GET that
// already holds the current response (If-None-Match).
#pragma once

#include <string>

#include "trustplane/base/time.h"
#include "trustplane/net/http_server.h"
#include "trustplane/pki/ocsp_responder.h"

namespace trustplane::api {

// The DER request: a POST body as is, or a GET path /ocsp/<base64>
// (percent-encoded or not); "" when the path is not base64, which the
// responder answers with malformedRequest.
std::string OcspRequestOf(const net::HttpRequest& request);

net::HttpResponse OcspHttpResponse(const net::HttpRequest& request, pki::OcspAnswer answer, UnixSeconds now);

}  // namespace trustplane::api
