#include "trustplane/gateway/header_template.h"

#include "trustplane/base/encoding.h"

namespace trustplane::gateway {
namespace {

bool IsWhitespace(char c) {
  return c == ' ' || c == '\t';
}

// RFC 9110 field-value: visible characters, SP, HTAB and obs-text. CR/LF in
// particular would let a template inject a second header.
bool IsFieldValueByte(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

bool IsVariableNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

Result<HeaderTemplate> HeaderTemplate::Compile(std::string_view text) {
  HeaderTemplate t;
  t.text_ = std::string(text);
  Piece current;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!IsFieldValueByte(c)) {
      return Status::InvalidArgument("character 0x" + HexEncode(text.substr(i, 1)) + " at offset " +
                                     std::to_string(i) + " is not allowed in a header value");
    }
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        current.literal += '}';
        ++i;
        continue;
      }
      return Status::InvalidArgument("stray '}' at offset " + std::to_string(i) +
                                     "; write '}}' for a literal brace");
    }
    if (c != '{') {
      current.literal += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      current.literal += '{';
      ++i;
      continue;
    }
    size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("unclosed '{' at offset " + std::to_string(i) +
                                     "; write '{{' for a literal brace");
    }
    std::string_view name = text.substr(i + 1, close - i - 1);
    for (char n : name) {
      if (!IsVariableNameChar(n)) {
        return Status::InvalidArgument("invalid variable name {" + std::string(name) +
                                       "} at offset " + std::to_string(i));
      }
    }
    std::optional<CertVariable> var = CertVariableFromName(name);
    if (!var) {
      return Status::InvalidArgument("unknown variable {" + std::string(name) + "}");
    }
    current.has_variable = true;
    current.variable = *var;
    t.variables_.set(static_cast<size_t>(*var));
    t.pieces_.push_back(std::move(current));
    current = Piece();
    i = close;
  }
  if (!current.literal.empty()) t.pieces_.push_back(std::move(current));
  return t;
}

std::string HeaderTemplate::Render(const ClientCertVariables& vars) const {
  std::string out;
  for (const Piece& p : pieces_) {
    out += p.literal;
    if (p.has_variable) out += vars.Get(p.variable);
  }
  // Trimmed after expansion: an empty variable at an edge must not leave the
  // literal's inner whitespace exposed.
  size_t begin = 0, end = out.size();
  while (begin < end && IsWhitespace(out[begin])) ++begin;
  while (end > begin && IsWhitespace(out[end - 1])) --end;
  if (begin == 0 && end == out.size()) return out;
  return out.substr(begin, end - begin);
}

}  // namespace trustplane::gateway
