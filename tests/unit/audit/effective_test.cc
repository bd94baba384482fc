#include "trustplane/audit/effective.h"

#include <gtest/gtest.h>

namespace trustplane::audit {
namespace {

AuditEvent Event(uint64_t seq, std::string action, nlohmann::json details = nullptr,
                 std::string result = "ok") {
  AuditEvent e;
  e.seq = seq;
  e.time = "2026-11-29T10:00:" + std::string(seq < 10 ? "0" : "") + std::to_string(seq) + "Z";
  e.actor = "user:test";
  e.action = std::move(action);
  e.result = std::move(result);
  e.details = std::move(details);
  return e;
}

AuditEvent Publish(uint64_t seq, uint64_t covers) {
  return Event(seq, "trustconfig.publish", {{"covers_seq", covers}});
}

AuditEvent GatewayLoad(uint64_t seq, const std::string& gateway, uint64_t covers) {
  return Event(seq, std::string(kGatewayTrustLoaded), {{"gateway", gateway}, {"covers_seq", covers}});
}

TEST(EffectiveTimes, AChangeIsPublishedByTheFirstPublishThatCoversIt) {
  const std::vector<AuditEvent> events = {
      Event(1, "trust.add"), Event(2, "trust.add"), Publish(3, 1), Publish(4, 3),
      Event(5, "trust.remove")};
  const auto effects = EffectiveTimes(events);
  EXPECT_EQ(effects[0].published_at, events[2].time);
  EXPECT_EQ(effects[1].published_at, events[3].time);  // seq 2 was after publish 3's head
  EXPECT_EQ(effects[2].published_at, "");              // not a trust change
  EXPECT_EQ(effects[4].published_at, "");              // not yet published
}

TEST(EffectiveTimes, RejectedChangesNeverTakeEffect) {
  const std::vector<AuditEvent> events = {Event(1, "trust.add", nullptr, "rejected"), Publish(2, 1),
                                          GatewayLoad(3, "edge", 2)};
  const auto effects = EffectiveTimes(events);
  EXPECT_EQ(effects[0].published_at, "");
  EXPECT_TRUE(effects[0].loaded_by.empty());
}

TEST(EffectiveTimes, EachGatewayLoadsAChangeWhenItsLoadCoversIt) {
  const std::vector<AuditEvent> events = {
      Event(1, "trust.add"),        GatewayLoad(2, "edge-b", 1), Event(3, "trust.remove"),
      GatewayLoad(4, "edge-a", 3),  Publish(5, 4),               GatewayLoad(6, "edge-b", 5)};
  const auto effects = EffectiveTimes(events);
  // The add: edge-b loaded it first (before any publish), edge-a later.
  ASSERT_EQ(effects[0].loaded_by.size(), 2u);
  EXPECT_EQ(effects[0].loaded_by[0].gateway, "edge-a");
  EXPECT_EQ(effects[0].loaded_by[0].at, events[3].time);
  EXPECT_EQ(effects[0].loaded_by[1].gateway, "edge-b");
  EXPECT_EQ(effects[0].loaded_by[1].at, events[1].time);
  EXPECT_EQ(effects[0].published_at, events[4].time);
  // The removal reached edge-b only with its second load.
  ASSERT_EQ(effects[2].loaded_by.size(), 2u);
  EXPECT_EQ(effects[2].loaded_by[1].at, events[5].time);
}

TEST(EffectiveTimes, AGatewayThatHasNotLoadedAChangeIsNotListed) {
  const std::vector<AuditEvent> events = {GatewayLoad(1, "edge", 0), Event(2, "trust.add")};
  EXPECT_TRUE(EffectiveTimes(events)[1].loaded_by.empty());
}

TEST(AddEffectFields, ShowsNullUntilPublishedAndEveryGateway) {
  nlohmann::json j = nlohmann::json::object();
  AddEffectFields(Effect{}, &j);
  EXPECT_TRUE(j["effective_at"].is_null());
  EXPECT_EQ(j["loaded_by"], nlohmann::json::array());
  AddEffectFields(Effect{"2026-11-29T10:00:00Z", {{"edge", "2026-11-29T10:00:01Z"}}}, &j);
  EXPECT_EQ(j["effective_at"], "2026-11-29T10:00:00Z");
  EXPECT_EQ(j["loaded_by"][0]["gateway"], "edge");
  EXPECT_EQ(j["loaded_by"][0]["at"], "2026-11-29T10:00:01Z");
}

}  // namespace
}  // namespace trustplane::audit
