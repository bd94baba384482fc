#include "trustplane/pki/pem.h"

#include "trustplane/base/encoding.h"

namespace trustplane::pki {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kDashes = "-----";

}  // namespace

std::string PemEncode(std::string_view label, std::string_view der) {
  const std::string b64 = Base64Encode(der);
  std::string out;
  out.reserve(b64.size() + b64.size() / 64 + 2 * label.size() + 40);
  out.append(kBegin).append(label).append(kDashes).push_back('\n');
  for (size_t i = 0; i < b64.size(); i += 64) out.append(b64, i, 64).push_back('\n');
  out.append("-----END ").append(label).append(kDashes).push_back('\n');
  return out;
}

Result<std::string> PemDecode(std::string_view text, std::initializer_list<std::string_view> labels,
                              std::string_view what) {
  std::string first_other;
  for (size_t at = text.find(kBegin); at != std::string_view::npos; at = text.find(kBegin, at + 1)) {
    const size_t label_start = at + kBegin.size();
    const size_t label_end = text.find(kDashes, label_start);
    if (label_end == std::string_view::npos) break;
    const std::string_view label = text.substr(label_start, label_end - label_start);
    bool wanted = false;
    for (auto l : labels) wanted = wanted || l == label;
    if (!wanted) {
      if (first_other.empty()) first_other = std::string(label);
      continue;
    }
    const std::string end_line = "-----END " + std::string(label) + "-----";
    const size_t body_start = label_end + kDashes.size();
    const size_t body_end = text.find(end_line, body_start);
    if (body_end == std::string_view::npos) {
      return Status::InvalidArgument("PEM " + std::string(label) + " block has no END line");
    }
    auto der = Base64Decode(text.substr(body_start, body_end - body_start));
    if (!der.ok() || der->empty()) {
      return Status::InvalidArgument("PEM " + std::string(label) + " block is not valid base64");
    }
    return der;
  }
  return Status::InvalidArgument("not a PEM " + std::string(what) +
                                 (first_other.empty() ? "" : " (found a " + first_other + " block)"));
}

}  // namespace trustplane::pki
