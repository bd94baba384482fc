#include "trustplane/net/http_fetch.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace trustplane::net {
namespace {

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

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using HeadersPtr = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

}  // namespace

Result<std::string> HttpFetch(const FetchRequest& r, const std::atomic<bool>* cancel) {
  if (!r.url.starts_with("http://") && !r.url.starts_with("https://")) {
    return Status::InvalidArgument(r.url + ": only http:// and https:// URLs can be fetched");
  }
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CurlPtr curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Status::Internal(r.url + ": cannot start an HTTP client");
  CURL* c = curl.get();
  Sink sink{{}, r.max_bytes};
  char error[CURL_ERROR_SIZE] = {};
  const long timeout_ms = static_cast<long>(r.timeout.count());
  curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads; timeouts without SIGALRM
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "trustplane");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(cancel));
  HeadersPtr headers(nullptr, curl_slist_free_all);
  if (!r.body.empty()) {
    headers.reset(curl_slist_append(nullptr, ("Content-Type: " + r.content_type).c_str()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return Status::Internal(r.url + ": no answer within " + std::to_string(timeout_ms) + " ms");
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK) return Status::Internal(r.url + ": cancelled");
  if (rc == CURLE_WRITE_ERROR && sink.too_big) {
    return Status::Internal(r.url + ": response larger than " + std::to_string(r.max_bytes) +
                            " bytes");
  }
  if (rc != CURLE_OK) {
    return Status::Internal(r.url + ": " + (error[0] != '\0' ? error : curl_easy_strerror(rc)));
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (code != 200) return Status::Internal(r.url + ": HTTP status " + std::to_string(code));
  return std::move(sink.body);
}

}  // namespace trustplane::net
