#include "trustplane/audit/audit_event.h"

#include <gtest/gtest.h>

#include "trustplane/audit/audit_head.h"

namespace trustplane::audit {
namespace {

const std::string kHash(64, 'a');

AuditEvent Example() {
  AuditEvent e;
  e.seq = 12;
  e.time = "2026-11-22T11:21:08Z";
  e.actor = "user:alice";
  e.action = "trust.add";
  e.tenant = "acme";
  e.fingerprints = {"4f3c", "9b"};
  e.result = "added";
  e.request_id = "c0ffee";
  e.prev_sha256 = kHash;
  return e;
}

TEST(AuditEventTest, SerializationIsCompactSortedAndNewlineTerminated) {
  AuditEvent e = Example();
  EXPECT_EQ(SerializeEvent(e),
            "{\"action\":\"trust.add\",\"actor\":\"user:alice\",\"fingerprints\":[\"4f3c\",\"9b\"],"
            "\"prev_sha256\":\"" +
                kHash +
                "\",\"reason\":\"\",\"request_id\":\"c0ffee\",\"result\":\"added\","
                "\"seq\":12,\"tenant\":\"acme\",\"time\":\"2026-11-22T11:21:08Z\"}\n");
  e.details = {{"z", 1}, {"a", {{"y", true}, {"b", "x"}}}};
  const std::string bytes = SerializeEvent(e);
  EXPECT_NE(bytes.find(",\"details\":{\"a\":{\"b\":\"x\",\"y\":true},\"z\":1},"), std::string::npos)
      << bytes;
  auto parsed = ParseEvent(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(SerializeEvent(*parsed), bytes);
  EXPECT_EQ(parsed->details, e.details);
  EXPECT_EQ(parsed->fingerprints, e.fingerprints);
}

TEST(AuditEventTest, ParseNamesWhatIsWrong) {
  const std::string good = SerializeEvent(Example());
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::pair<std::string, std::string> cases[] = {
      {"garbage", "is not valid JSON (syntax error at byte 1 of 7)"},
      {"", "is not valid JSON"},
      {"[1,2]", "must be a JSON object, not array"},
      {replaced(",\"time\":\"2026-11-22T11:21:08Z\"", ""), "has no \"time\" field"},
      {replaced("\"seq\":12", "\"seq\":-3"), "field \"seq\" must be a positive integer, not -3"},
      {replaced("\"seq\":12", "\"seq\":0"), "field \"seq\" must be at least 1"},
      {replaced("\"actor\":\"user:alice\"", "\"actor\":7"),
       "field \"actor\" must be a string, not number"},
      {replaced("\"actor\":\"user:alice\"", "\"actor\":\"\""),
       "audit event field \"actor\" is empty"},
      {replaced("[\"4f3c\",\"9b\"]", "[\"4f3c\",1]"),
       "field \"fingerprints\" must be an array of strings"},
      {replaced("\"seq\":12", "\"seq\":12,\"signature\":\"x\""),
       "has an unknown field \"signature\""},
      {replaced("\"seq\":12", "\"details\":[1],\"seq\":12"),
       "field \"details\" must be a JSON object, not array"},
      {replaced(kHash, "ABC"),
       "field \"prev_sha256\" must be empty or 64 lowercase hex digits, not \"ABC\""},
      {replaced("2026-11-22T11:21:08Z", "yesterday"),
       "field \"time\" must be an RFC 3339 time, not \"yesterday\""},
  };
  for (const auto& [bytes, message] : cases) {
    auto parsed = ParseEvent(bytes);
    ASSERT_FALSE(parsed.ok()) << bytes;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(message), std::string::npos)
        << "input: " << bytes << "\nmessage: " << parsed.status().message();
  }
}

TEST(AuditEventTest, ObjectNamesAreTwentyDigitsFromOne) {
  EXPECT_EQ(EventObjectName(42), "audit/00000000000000000042.json");
  EXPECT_EQ(EventObjectName(UINT64_MAX), "audit/18446744073709551615.json");
  EXPECT_EQ(*ParseEventObjectName(EventObjectName(42)), 42u);
  EXPECT_EQ(*ParseEventObjectName(EventObjectName(UINT64_MAX)), UINT64_MAX);
  for (const char* bad :
       {"audit/head", "audit/00000000000000000000.json", "audit/0000000000000000042.json",
        "audit/0000000000000000004x.json", "audit/99999999999999999999.json",
        "audit/00000000000000000042.yaml", "other/00000000000000000042.json"}) {
    EXPECT_EQ(ParseEventObjectName(bad).status().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(AuditHeadTest, RoundTripsAndRefusesMalformedHeads) {
  const std::string bytes = SerializeHead({7, kHash});
  EXPECT_EQ(bytes, "{\"seq\":7,\"sha256\":\"" + kHash + "\"}\n");
  auto head = ParseHead(bytes);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->seq, 7u);
  EXPECT_EQ(head->sha256, kHash);
  const std::pair<std::string, std::string> cases[] = {
      {"{", "audit/head is not valid JSON"},
      {"{\"seq\":7}", "exactly the fields \"seq\" and \"sha256\""},
      {"{\"seq\":0,\"sha256\":\"" + kHash + "\"}",
       "field \"seq\" must be a positive integer, not 0"},
      {"{\"seq\":7,\"sha256\":\"abc\"}",
       "field \"sha256\" must be 64 lowercase hex digits, not \"abc\""},
  };
  for (const auto& [input, message] : cases) {
    auto parsed = ParseHead(input);
    ASSERT_FALSE(parsed.ok()) << input;
    EXPECT_NE(parsed.status().message().find(message), std::string::npos)
        << parsed.status().message();
  }
}

}  // namespace
}  // namespace trustplane::audit
