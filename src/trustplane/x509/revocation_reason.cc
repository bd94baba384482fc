#include "trustplane/x509/revocation_reason.h"

#include <array>
#include <cctype>
#include <charconv>

namespace trustplane::x509 {
namespace {

struct Reason {
  int code;
  std::string_view name;
};

constexpr std::array<Reason, 10> kReasons = {{
    {0, "unspecified"},
    {1, "keyCompromise"},
    {2, "cACompromise"},
    {3, "affiliationChanged"},
    {4, "superseded"},
    {5, "cessationOfOperation"},
    {6, "certificateHold"},
    {8, "removeFromCRL"},
    {9, "privilegeWithdrawn"},
    {10, "aACompromise"},
}};

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<int> ParseRevocationReason(std::string_view text) {
  int number = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  const bool numeric = ec == std::errc() && end == text.data() + text.size();
  for (const Reason& r : kReasons) {
    if (numeric ? r.code == number : EqualsIgnoringCase(r.name, text)) return r.code;
  }
  std::string names;
  for (const Reason& r : kReasons) names += (names.empty() ? "" : ", ") + std::string(r.name);
  return Status::InvalidArgument("unknown revocation reason '" + std::string(text) +
                                 "' (RFC 5280 reasons: " + names + ")");
}

std::string RevocationReasonName(int code, std::string_view unknown) {
  for (const Reason& r : kReasons) {
    if (r.code == code) return std::string(r.name);
  }
  return std::string(unknown);
}

}  // namespace trustplane::x509
