#include "trustplane/api/cfssl_envelope.h"

namespace trustplane::api {

CfsslError BadRequest(std::string message) { return HttpError(400, std::move(message)); }

CfsslError HttpError(int status, std::string message) { return {status, status, std::move(message)}; }

CfsslError Categorized(int code, std::string message) { return {400, code, std::move(message)}; }

CfsslError FromSignStatus(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kNotFound:
      return Categorized(cfssl_code::kUnknownProfile, status.message());
    case ErrorCode::kPolicy:
      if (status.message().rfind("name_whitelist", 0) == 0) {
        return Categorized(cfssl_code::kUnmatchedWhitelist, status.message());
      }
      return Categorized(cfssl_code::kInvalidRequest, status.message());
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kConflict:
      return Categorized(cfssl_code::kInvalidRequest, status.message());
    default:
      return HttpError(500, status.message());
  }
}

net::HttpResponse CfsslSuccess(const nlohmann::json& result, const nlohmann::json& messages) {
  nlohmann::json env = {{"success", true}, {"result", result}, {"errors", nlohmann::json::array()},
                        {"messages", messages}};
  return {200, "application/json", env.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", {}};
}

net::HttpResponse CfsslFailure(const CfsslError& error) {
  nlohmann::json env = {{"success", false},
                        {"result", nullptr},
                        {"errors", {{{"code", error.code}, {"message", error.message}}}},
                        {"messages", nlohmann::json::array()}};
  return {error.http_status, "application/json", env.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", {}};
}

}  // namespace trustplane::api
