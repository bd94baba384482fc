// cfssl's response envelope and error codes (api/api.go, errors/error.go):
//   {"success": bool, "result": <any>, "errors": [{"code": int, "message": str}], "messages": [...]}
// cfssl answers its own categorized errors (code = category*1000 + reason)
// with HTTP 400, HTTP-level errors with their status as both the HTTP status
// and the code, and anything else with 500.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "trustplane/base/status.h"
#include "trustplane/net/http_server.h"

namespace trustplane::api {

namespace cfssl_code {
constexpr int kCertificateDecodeFailed = 1002;
constexpr int kCertificateParseFailed = 1003;
constexpr int kCertificateVerifyFailed = 1200;
constexpr int kPrivateKeyDecodeFailed = 2002;
constexpr int kPrivateKeyMismatch = 2300;
constexpr int kPrivateKeyGenerationFailed = 2400;
constexpr int kInvalidPolicy = 5200;
constexpr int kInvalidRequest = 5300;
constexpr int kUnknownProfile = 5400;
constexpr int kUnmatchedWhitelist = 5500;
constexpr int kOcspIssuerMismatch = 8100;
constexpr int kCsrDecodeFailed = 9002;
constexpr int kCsrParseFailed = 9003;
constexpr int kCertStoreInsertFailed = 11100;
constexpr int kCertStoreRecordNotFound = 11200;
}  // namespace cfssl_code

struct CfsslError {
  int http_status = 400;
  int code = 400;
  std::string message;
};

// cfssl's errors.NewBadRequestString: HTTP 400, code 400.
CfsslError BadRequest(std::string message);
// An HTTP-level error: `status` is both the HTTP status and the code.
CfsslError HttpError(int status, std::string message);
// A categorized cfssl error (HTTP 400).
CfsslError Categorized(int code, std::string message);
// What a signer / pki Status becomes: unknown profile 5400, name_whitelist
// 5500, other policy refusals and bad sign options 5300, internal 500.
CfsslError FromSignStatus(const Status& status);

net::HttpResponse CfsslSuccess(const nlohmann::json& result,
                               const nlohmann::json& messages = nlohmann::json::array());
net::HttpResponse CfsslFailure(const CfsslError& error);

}  // namespace trustplane::api
