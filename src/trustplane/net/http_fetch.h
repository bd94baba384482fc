// HttpFetch: one outbound HTTP(S) exchange through libcurl, bounded in time
// and size — how the gateway reads CRLs and asks OCSP responders. No
// redirects (a revocation source that moves is a configuration change),
// https verified against the system CA store with the host name checked.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "trustplane/base/status.h"

namespace trustplane::net {

struct FetchRequest {
  std::string url;   // http:// or https://
  std::string body;  // non-empty: POST it with content_type; else GET
  std::string content_type;
  std::chrono::milliseconds timeout{10000};  // the whole exchange
  size_t max_bytes = size_t{1} << 20;        // response body limit
};

// The body of a 200 response; any other outcome is an error naming the URL
// and what happened ("no answer within 300 ms", "HTTP status 404", ...).
// `cancel`, when set, stops the exchange early (a stopping refresh thread).
// Thread-safe.
Result<std::string> HttpFetch(const FetchRequest& request,
                              const std::atomic<bool>* cancel = nullptr);

}  // namespace trustplane::net
