// HeaderTemplate: a header value in the load balancer's custom-header syntax
// ("{client_cert_present}", "x-{client_cert_serial_number}-y"), compiled once
// when the configuration loads and rendered per request without parsing.
// Syntax (reference section 4): a variable is a name in braces; "{{" and "}}"
// stand for literal braces; leading and trailing whitespace of the rendered
// value is dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/gateway/client_cert_variables.h"

namespace trustplane::gateway {

class HeaderTemplate {
 public:
  // kInvalidArgument naming the problem: an unknown variable ("unknown
  // variable {client_region}"), an unclosed or stray brace, or a character
  // an HTTP field value may not hold (CR, LF, NUL, other controls).
  static Result<HeaderTemplate> Compile(std::string_view text);

  std::string Render(const ClientCertVariables& vars) const;
  // The variables this template reads, to compute only those per connection.
  CertVariableSet variables() const { return variables_; }
  const std::string& text() const { return text_; }

 private:
  // Literal text followed by an optional variable; has_variable false only
  // for a trailing literal.
  struct Piece {
    std::string literal;
    bool has_variable = false;
    CertVariable variable = CertVariable::kPresent;
  };
  std::string text_;
  std::vector<Piece> pieces_;
  CertVariableSet variables_;
};

}  // namespace trustplane::gateway
