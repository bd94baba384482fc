// OCSP over HTTP: the request a GET path or POST body carries, and the
// caching headers and 304s a pre-signed answer gets (RFC 5019 6.2).
#include "trustplane/api/ocsp_http.h"

#include <gtest/gtest.h>

namespace trustplane::api {
namespace {

using net::HttpRequest;
using net::HttpResponse;

HttpRequest Get(const std::string& target, const std::string& if_none_match = "") {
  HttpRequest r;
  r.method = "GET";
  r.target = target;
  if (!if_none_match.empty()) r.headers.emplace_back("if-none-match", if_none_match);
  return r;
}

pki::OcspAnswer Presigned() {
  pki::OcspAnswer a;
  a.der = "\x30\x03\x0a\x01\x00";
  a.cacheable = true;
  a.this_update = 1795346468;         // Sun, 22 Nov 2026 11:21:08 GMT
  a.next_update = 1795346468 + 3600;  // an hour later
  a.etag = "ab12";
  return a;
}

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "(absent)";
}

TEST(OcspHttp, RequestFromAGetPathEncodedOrNotAndFromAPostBody) {
  // "+/8=" in base64 is the bytes fb ff; '+' in a path is a digit, not a space.
  EXPECT_EQ(OcspRequestOf(Get("/ocsp/+/8=")), "\xfb\xff");
  EXPECT_EQ(OcspRequestOf(Get("/ocsp/%2B%2F8%3D")), "\xfb\xff");
  EXPECT_EQ(OcspRequestOf(Get("/ocsp/not*base64")), "");
  EXPECT_EQ(OcspRequestOf(Get("/ocsp")), "");
  HttpRequest post;
  post.method = "POST";
  post.target = "/ocsp";
  post.body = "raw DER";
  EXPECT_EQ(OcspRequestOf(post), "raw DER");
}

TEST(OcspHttp, APresignedAnswerSaysHowLongCachesMayKeepIt) {
  const HttpResponse r = OcspHttpResponse(Get("/ocsp/x"), Presigned(), 1795346468 + 600);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/ocsp-response");
  EXPECT_EQ(r.body, Presigned().der);
  EXPECT_EQ(HeaderOf(r, "Last-Modified"), "Sun, 22 Nov 2026 11:21:08 GMT");
  EXPECT_EQ(HeaderOf(r, "Expires"), "Sun, 22 Nov 2026 12:21:08 GMT");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "max-age=3000, public, no-transform, must-revalidate");
  EXPECT_EQ(HeaderOf(r, "ETag"), "\"ab12\"");
  // Past nextUpdate (a refresh that has not happened yet): nothing to keep.
  const HttpResponse late = OcspHttpResponse(Get("/ocsp/x"), Presigned(), 1795346468 + 7200);
  EXPECT_EQ(HeaderOf(late, "Cache-Control"), "max-age=0, public, no-transform, must-revalidate");
}

TEST(OcspHttp, AGetHoldingTheCurrentResponseGets304WithTheSameHeaders) {
  for (const std::string held : {"\"ab12\"", "W/\"ab12\"", "\"old\", \"ab12\"", " \"x\" ,\"ab12\" ", "*"}) {
    const HttpResponse r = OcspHttpResponse(Get("/ocsp/x", held), Presigned(), 1795346468);
    EXPECT_EQ(r.status, 304) << held;
    EXPECT_EQ(r.body, "") << held;
    EXPECT_EQ(r.content_type, "") << held;
    EXPECT_EQ(HeaderOf(r, "ETag"), "\"ab12\"") << held;
    EXPECT_EQ(HeaderOf(r, "Cache-Control"), "max-age=3600, public, no-transform, must-revalidate") << held;
  }
  for (const std::string other : {"\"ab1\"", "\"ab12", "ab12", "\"AB12\""}) {
    EXPECT_EQ(OcspHttpResponse(Get("/ocsp/x", other), Presigned(), 1795346468).status, 200) << other;
  }
  // A POST is not a cache's revalidation: it gets the answer.
  HttpRequest post = Get("/ocsp", "\"ab12\"");
  post.method = "POST";
  const HttpResponse r = OcspHttpResponse(post, Presigned(), 1795346468);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, Presigned().der);
  EXPECT_EQ(HeaderOf(r, "ETag"), "\"ab12\"");
}

TEST(OcspHttp, AnAnswerSignedForOneRequestCarriesNoCachingHeaders) {
  pki::OcspAnswer signed_now{"\x30\x03\x0a\x01\x01"};  // e.g. with the client's nonce, or malformedRequest
  const HttpResponse r = OcspHttpResponse(Get("/ocsp/x", "*"), signed_now, 1795346468);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, signed_now.der);
  EXPECT_TRUE(r.headers.empty());
}

}  // namespace
}  // namespace trustplane::api
