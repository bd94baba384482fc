// Status and Result: how every module reports failure across its boundary.
// A Status is cheap on success (no allocation) and carries one of the
// documented error codes plus a human message on failure. The numeric value
// of each code is the CLI's exit code, so the mapping is part of the contract
// documented in docs/cli.md.
#pragma once

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace trustplane {

enum class ErrorCode : int {
  kOk = 0,
  kInternal = 1,
  kInvalidArgument = 2,  // bad input: unparseable, malformed, missing file
  kNotFound = 3,
  kConflict = 4,  // precondition failed, already exists, concurrent change
  kPolicy = 5,    // well-formed input refused by policy
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message);

  static Status Ok() { return Status(); }
  static Status Internal(std::string msg) { return {ErrorCode::kInternal, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) {
    return {ErrorCode::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {ErrorCode::kNotFound, std::move(msg)}; }
  static Status Conflict(std::string msg) { return {ErrorCode::kConflict, std::move(msg)}; }
  static Status Policy(std::string msg) { return {ErrorCode::kPolicy, std::move(msg)}; }

  bool ok() const { return rep_ == nullptr; }
  ErrorCode code() const { return rep_ ? rep_->code : ErrorCode::kOk; }
  const std::string& message() const;
  bool is(ErrorCode c) const { return code() == c; }

  // Returns a copy whose message is "context: message"; OK stays OK.
  Status WithContext(std::string_view context) const;
  // "not-found: no object at x" style rendering, for logs.
  std::string ToString() const;

 private:
  struct Rep {
    ErrorCode code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;  // null means OK
};

std::string_view ErrorCodeName(ErrorCode code);

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result constructed from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace trustplane

// Propagates a non-OK Status (or the Status of a failed Result) to the caller.
#define TP_RETURN_IF_ERROR(expr)                 \
  do {                                           \
    const ::trustplane::Status tp_s_ = (expr);   \
    if (!tp_s_.ok()) return tp_s_;               \
  } while (0)

#define TP_CONCAT_INNER(a, b) a##b
#define TP_CONCAT(a, b) TP_CONCAT_INNER(a, b)
// TP_ASSIGN_OR_RETURN(auto x, ComputeResult()); declares x from the value or returns the error.
#define TP_ASSIGN_OR_RETURN(lhs, rexpr) \
  TP_ASSIGN_OR_RETURN_IMPL(TP_CONCAT(tp_r_, __LINE__), lhs, rexpr)
#define TP_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                             \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
