#include "trustplane/net/http_fetch.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "trustplane/base/shared_library.h"

namespace trustplane::net {
namespace {

// libcurl is loaded on first fetch (base/shared_library.h): only a gateway
// that fetches CRLs or asks OCSP responders needs it, and linking it cost
// every command ~36 shared objects at start-up.
struct LibCurl {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
};

Result<const LibCurl*> LoadLibCurl() {
  static std::once_flag once;
  static LibCurl lib;
  static Status status;
  std::call_once(once, [] {
    auto so = SharedLibrary::Open("libcurl.so.4", "libcurl4");
    if (!so.ok()) {
      status = so.status();
      return;
    }
    so->Bind("curl_global_init", lib.global_init)
        .Bind("curl_easy_init", lib.easy_init)
        .Bind("curl_easy_cleanup", lib.easy_cleanup)
        .Bind("curl_easy_setopt", lib.easy_setopt)
        .Bind("curl_easy_perform", lib.easy_perform)
        .Bind("curl_easy_getinfo", lib.easy_getinfo)
        .Bind("curl_easy_strerror", lib.easy_strerror)
        .Bind("curl_slist_append", lib.slist_append)
        .Bind("curl_slist_free_all", lib.slist_free_all);
    status = so->status();
    if (status.ok() && lib.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      status = Status::Internal("libcurl could not be initialised");
    }
  });
  TP_RETURN_IF_ERROR(status);
  return &lib;
}

struct Sink {
  std::string body;
  size_t max_bytes;
  bool too_big = false;
};

size_t Write(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (sink->body.size() + n > sink->max_bytes) {
    sink->too_big = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  sink->body.append(data, n);
  return n;
}

int Progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel != nullptr && cancel->load() ? 1 : 0;
}

using CurlPtr = std::unique_ptr<CURL, decltype(&::curl_easy_cleanup)>;
using HeadersPtr = std::unique_ptr<curl_slist, decltype(&::curl_slist_free_all)>;

}  // namespace

Result<std::string> HttpFetch(const FetchRequest& r, const std::atomic<bool>* cancel) {
  if (!r.url.starts_with("http://") && !r.url.starts_with("https://")) {
    return Status::InvalidArgument(r.url + ": only http:// and https:// URLs can be fetched");
  }
  TP_ASSIGN_OR_RETURN(const LibCurl* lib, LoadLibCurl());
  const auto setopt = lib->easy_setopt;
  CurlPtr curl(lib->easy_init(), lib->easy_cleanup);
  if (!curl) return Status::Internal(r.url + ": cannot start an HTTP client");
  CURL* c = curl.get();
  Sink sink{{}, r.max_bytes};
  char error[CURL_ERROR_SIZE] = {};
  const long timeout_ms = static_cast<long>(r.timeout.count());
  setopt(c, CURLOPT_URL, r.url.c_str());
  setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads; timeouts without SIGALRM
  setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  setopt(c, CURLOPT_USERAGENT, "trustplane");
  setopt(c, CURLOPT_ERRORBUFFER, error);
  setopt(c, CURLOPT_WRITEFUNCTION, Write);
  setopt(c, CURLOPT_WRITEDATA, &sink);
  setopt(c, CURLOPT_NOPROGRESS, 0L);
  setopt(c, CURLOPT_XFERINFOFUNCTION, Progress);
  setopt(c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(cancel));
  HeadersPtr headers(nullptr, lib->slist_free_all);
  if (!r.body.empty()) {
    headers.reset(lib->slist_append(nullptr, ("Content-Type: " + r.content_type).c_str()));
    setopt(c, CURLOPT_HTTPHEADER, headers.get());
    setopt(c, CURLOPT_POSTFIELDS, r.body.data());
    setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  }
  const CURLcode rc = lib->easy_perform(c);
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return Status::Internal(r.url + ": no answer within " + std::to_string(timeout_ms) + " ms");
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK) return Status::Internal(r.url + ": cancelled");
  if (rc == CURLE_WRITE_ERROR && sink.too_big) {
    return Status::Internal(r.url + ": response larger than " + std::to_string(r.max_bytes) +
                            " bytes");
  }
  if (rc != CURLE_OK) {
    return Status::Internal(r.url + ": " + (error[0] != '\0' ? error : lib->easy_strerror(rc)));
  }
  long code = 0;
  lib->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (code != 200) return Status::Internal(r.url + ": HTTP status " + std::to_string(code));
  return std::move(sink.body);
}

}  // namespace trustplane::net
