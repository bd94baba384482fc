#include "trustplane/gateway/header_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace trustplane::gateway {
namespace {

using ::testing::HasSubstr;
using V = CertVariable;

// Variables for a connection without a certificate: present=false,
// error=client_cert_not_provided, everything else empty.
ClientCertVariables NoCert() {
  return ClientCertVariables::Compute(HandshakeOutcome{});
}

std::string Render(std::string_view text, const ClientCertVariables& vars = NoCert()) {
  Result<HeaderTemplate> t = HeaderTemplate::Compile(text);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? t->Render(vars) : "";
}

Status CompileError(std::string_view text) {
  Result<HeaderTemplate> t = HeaderTemplate::Compile(text);
  EXPECT_FALSE(t.ok()) << "compiled: " << text;
  return t.status();
}

TEST(HeaderTemplate, ExpandsVariablesBetweenLiterals) {
  EXPECT_EQ(Render("{client_cert_present}"), "false");
  EXPECT_EQ(Render("x-{client_cert_present}-y"), "x-false-y");
  EXPECT_EQ(Render("{client_cert_present},{client_cert_error}"), "false,client_cert_not_provided");
  EXPECT_EQ(Render("plain text"), "plain text");
  EXPECT_EQ(Render(""), "");
}

TEST(HeaderTemplate, EmptyVariablesExpandToNothing) {
  EXPECT_EQ(Render("[{client_cert_sha256_fingerprint}]"), "[]");
}

TEST(HeaderTemplate, DoubledBracesAreLiteral) {
  EXPECT_EQ(Render("{{client_cert_present}}"), "{client_cert_present}");
  EXPECT_EQ(Render("{{{client_cert_present}}}"), "{false}");
  EXPECT_EQ(Render("a}}b{{c"), "a}b{c");
}

TEST(HeaderTemplate, LeadingAndTrailingWhitespaceIsDropped) {
  EXPECT_EQ(Render("  {client_cert_present}\t"), "false");
  // Also when an empty variable would leave inner whitespace at an edge.
  EXPECT_EQ(Render("fp {client_cert_sha256_fingerprint}"), "fp");
  EXPECT_EQ(Render(" a b "), "a b");
}

TEST(HeaderTemplate, ReportsTheVariablesItReads) {
  Result<HeaderTemplate> t = HeaderTemplate::Compile(
      "{client_cert_serial_number}:{client_cert_leaf}{{client_cert_chain}}");
  ASSERT_TRUE(t.ok());
  CertVariableSet expected;
  expected.set(static_cast<size_t>(V::kSerialNumber));
  expected.set(static_cast<size_t>(V::kLeaf));
  EXPECT_EQ(t->variables(), expected);
  EXPECT_EQ(t->text(), "{client_cert_serial_number}:{client_cert_leaf}{{client_cert_chain}}");
}

TEST(HeaderTemplate, UnknownVariableIsNamed) {
  Status s = CompileError("{client_region}");
  EXPECT_TRUE(s.is(ErrorCode::kInvalidArgument));
  EXPECT_THAT(s.message(), HasSubstr("unknown variable {client_region}"));
  EXPECT_THAT(CompileError("x{Client_Cert_Present}").message(),
              HasSubstr("unknown variable {Client_Cert_Present}"));
  EXPECT_THAT(CompileError("{}").message(), HasSubstr("unknown variable {}"));
}

TEST(HeaderTemplate, StrayAndUnclosedBracesAreErrors) {
  EXPECT_THAT(CompileError("{client_cert_present").message(), HasSubstr("unclosed '{'"));
  EXPECT_THAT(CompileError("a}b").message(), HasSubstr("stray '}'"));
  EXPECT_THAT(CompileError("{a{b}").message(), HasSubstr("invalid variable name"));
  EXPECT_THAT(CompileError("{client cert}").message(), HasSubstr("invalid variable name"));
}

TEST(HeaderTemplate, ControlCharactersCannotInjectHeaders) {
  EXPECT_THAT(CompileError("a\r\nX-Evil: 1").message(), HasSubstr("0x0d at offset 1"));
  EXPECT_THAT(CompileError("a\nb").message(), HasSubstr("0x0a"));
  EXPECT_THAT(CompileError(std::string_view("a\0b", 3)).message(), HasSubstr("0x00"));
  EXPECT_EQ(Render("tab\tinside"), "tab\tinside");
}

TEST(HeaderTemplate, CompiledOnceRendersEachConnection) {
  Result<HeaderTemplate> t =
      HeaderTemplate::Compile("{client_cert_chain_verified}/{client_cert_error}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Render(NoCert()), "false/client_cert_not_provided");
  // A second connection with different values: nothing from the first leaks in.
  ClientCertVariables empty;
  EXPECT_EQ(t->Render(empty), "/");
}

}  // namespace
}  // namespace trustplane::gateway
