// TrustSnapshot, its holder's reload rules, the verified-chain cache and the
// gateway's chain check against a snapshot (tenants, cache, generations).
#include "trustplane/gateway/trust_snapshot.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "support/test_pki.h"
#include "trustplane/gateway/client_verifier.h"
#include "trustplane/gateway/verified_chain_cache.h"
#include "trustplane/trust/trust_config.h"

namespace trustplane::gateway {
namespace {

using testing::Issued;
using testing::MakeClientLeaf;
using testing::MakeIntermediateCa;
using testing::MakeRootCa;

// A source whose version and content the test sets.
class FakeSource : public TrustSetSource {
 public:
  std::string version = "v1";
  TrustSetContent content;
  Status fail = Status::Ok();
  Result<std::string> Version() const override {
    if (!fail.ok()) return fail;
    return version;
  }
  Result<TrustSetContent> Load() const override {
    if (!fail.ok()) return fail;
    return content;
  }
  std::string Describe() const override { return "fake"; }
};

struct Pki {
  Issued root_a = MakeRootCa("tenant a root");
  Issued root_b = MakeRootCa("tenant b root");
  Issued inter_a = MakeIntermediateCa("tenant a issuing", root_a);
  Issued leaf_a = MakeClientLeaf("alice", inter_a);
  Issued leaf_b = MakeClientLeaf("bob", root_b);
};

TrustSetContent TwoTenants(const Pki& p) {
  TrustSetContent c;
  c.anchors.push_back({p.root_a.cert, {"acme"}});
  c.anchors.push_back({p.root_b.cert, {"beta"}});
  c.intermediates.push_back({p.inter_a.cert, {"acme"}});
  return c;
}

TEST(TrustSnapshotTest, TenantsComeFromTheAnchorTheChainEndsAt) {
  Pki p;
  auto snap = TrustSnapshot::Build(TwoTenants(p), 1, {});
  auto ra = snap->verifier().Verify(p.leaf_a.cert, {}, snap->options());
  ASSERT_TRUE(ra.ok) << ra.error << " " << ra.detail;
  EXPECT_EQ(snap->VouchingTenants(ra), std::vector<std::string>{"acme"});
  auto rb = snap->verifier().Verify(p.leaf_b.cert, {}, snap->options());
  ASSERT_TRUE(rb.ok) << rb.detail;
  EXPECT_EQ(snap->VouchingTenants(rb), std::vector<std::string>{"beta"});

  Issued stranger = MakeClientLeaf("mallory", MakeRootCa("unknown root"));
  auto rs = snap->verifier().Verify(stranger.cert, {}, snap->options());
  EXPECT_FALSE(rs.ok);
  EXPECT_EQ(rs.error, "client_cert_validation_failed");
  EXPECT_TRUE(snap->VouchingTenants(rs).empty());
}

TEST(TrustSnapshotTest, AllowlistedCertificateIsVouchedForByItsOwnClaims) {
  Pki p;
  testing::CertSpec spec;
  spec.cn = "self-signed client";
  spec.eku = {"clientAuth"};
  Issued self = testing::MakeSelfSigned(spec);
  TrustSetContent c = TwoTenants(p);
  c.allowlisted.push_back({self.cert, {"gamma"}});
  auto snap = TrustSnapshot::Build(std::move(c), 1, {});
  auto r = snap->verifier().Verify(self.cert, {}, snap->options());
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_TRUE(r.via_allowlist);
  EXPECT_EQ(snap->VouchingTenants(r), std::vector<std::string>{"gamma"});
}

TEST(TrustSnapshotTest, DigestIgnoresOrderButNotTenants) {
  Pki p;
  TrustSetContent c1 = TwoTenants(p);
  TrustSetContent c2 = TwoTenants(p);
  std::swap(c2.anchors[0], c2.anchors[1]);
  EXPECT_EQ(TrustSnapshot::Build(c1, 1, {})->digest(), TrustSnapshot::Build(c2, 7, {})->digest());
  c2.anchors[0].tenants = {"acme", "beta"};
  EXPECT_NE(TrustSnapshot::Build(c1, 1, {})->digest(), TrustSnapshot::Build(c2, 1, {})->digest());
}

TEST(TrustSnapshotTest, TrustConfigCertificatesBelongToNoTenant) {
  Pki p;
  trust::TrustConfig tc;
  tc.anchors = {p.root_a.cert};
  tc.intermediates = {p.inter_a.cert};
  auto content = TrustSetFromTrustConfig(trust::RenderYaml(tc));
  ASSERT_TRUE(content.ok()) << content.status().message();
  ASSERT_EQ(content->anchors.size(), 1u);
  EXPECT_EQ(content->anchors[0].cert, p.root_a.cert);
  EXPECT_TRUE(content->anchors[0].tenants.empty());
  EXPECT_EQ(content->intermediates.size(), 1u);

  auto bad = TrustSetFromTrustConfig("trustStores: [{trustAnchors: [{pemCertificate: nope}]}]\n");
  EXPECT_FALSE(bad.ok());
}

TEST(TrustSnapshotHolderTest, PublishesANewGenerationOnlyWhenContentChanges) {
  Pki p;
  auto source = std::make_unique<FakeSource>();
  FakeSource* fake = source.get();
  fake->content = TwoTenants(p);
  TrustSnapshotHolder holder(std::move(source), {});
  ASSERT_TRUE(holder.Load().ok());
  auto first = holder.Current();
  EXPECT_EQ(first->generation(), 1u);

  auto same = holder.Refresh();
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(*same);

  fake->version = "v2";  // touched, same content
  auto touched = holder.Refresh();
  ASSERT_TRUE(touched.ok());
  EXPECT_FALSE(*touched);
  EXPECT_EQ(holder.Current(), first);

  fake->version = "v3";
  fake->content.anchors.pop_back();  // tenant b's root removed
  auto changed = holder.Refresh();
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  auto second = holder.Current();
  EXPECT_EQ(second->generation(), 2u);
  EXPECT_FALSE(second->verifier().Verify(p.leaf_b.cert, {}, second->options()).ok);
  // The old snapshot is untouched: connections admitted by it keep their view.
  EXPECT_EQ(first->content().anchors.size(), 2u);
  EXPECT_TRUE(first->verifier().Verify(p.leaf_b.cert, {}, first->options()).ok);
}

TEST(TrustSnapshotHolderTest, AFailedReloadKeepsTheCurrentSnapshot) {
  Pki p;
  auto source = std::make_unique<FakeSource>();
  FakeSource* fake = source.get();
  fake->content = TwoTenants(p);
  TrustSnapshotHolder holder(std::move(source), {});
  ASSERT_TRUE(holder.Load().ok());
  fake->fail = Status::Internal("bucket unreachable");
  auto r = holder.Refresh();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("fake: bucket unreachable"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(holder.Current()->generation(), 1u);
  EXPECT_EQ(holder.Current()->content().anchors.size(), 2u);
}

TEST(TrustSnapshotHolderTest, FileSourceReloadsWhenTheFileChanges) {
  Pki p;
  testing::TempDir dir;
  const std::string path = dir.Join("tc.yaml");
  trust::TrustConfig tc;
  tc.anchors = {p.root_a.cert};
  testing::WriteFile(path, trust::RenderYaml(tc));
  TrustSnapshotHolder holder(MakeTrustConfigFileSource(path), {});
  ASSERT_TRUE(holder.Load().ok());
  EXPECT_EQ(holder.Current()->content().anchors.size(), 1u);

  tc.anchors.push_back(p.root_b.cert);
  testing::WriteFile(path, trust::RenderYaml(tc));
  auto r = holder.Refresh();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(*r);
  EXPECT_EQ(holder.Current()->generation(), 2u);
  EXPECT_EQ(holder.Current()->content().anchors.size(), 2u);

  testing::WriteFile(path, "not: [a trust config");
  EXPECT_FALSE(holder.Refresh().ok());
  EXPECT_EQ(holder.Current()->content().anchors.size(), 2u);

  TrustSnapshotHolder missing(MakeTrustConfigFileSource(dir.Join("absent.yaml")), {});
  Status st = missing.Load();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("absent.yaml"), std::string::npos) << st.message();
}

TEST(VerifiedChainCacheTest, EntriesAreBoundToGenerationAndValidity) {
  VerifiedChainCache cache(10);
  Pki p;
  auto entry = std::make_shared<const VerifiedChain>(
      VerifiedChain{p.leaf_a.cert, {}, {}, {"acme"}, 100, 200});
  const std::string key = ChainKey({p.leaf_a.cert.der()});
  cache.Insert(key, 1, entry);
  EXPECT_NE(cache.Find(key, 1, 150), nullptr);
  EXPECT_EQ(cache.Find(key, 2, 150), nullptr);  // another trust set
  EXPECT_EQ(cache.Find(key, 1, 201), nullptr);  // a certificate expired
  EXPECT_EQ(cache.Find(key, 1, 99), nullptr);   // not yet valid
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 3u);
  // The split of the bytes matters, not only their concatenation.
  EXPECT_NE(ChainKey({"ab", "c"}), ChainKey({"a", "bc"}));
}

TEST(ClientVerifierTest, ChecksAgainstTheBoundSnapshotAndCachesSuccess) {
  Pki p;
  auto source = std::make_unique<FakeSource>();
  FakeSource* fake = source.get();
  fake->content = TwoTenants(p);
  TrustSnapshotHolder holder(std::move(source), {});
  ASSERT_TRUE(holder.Load().ok());
  ClientVerifier verifier(holder, ClientValidation::kRejectInvalid, "cfg");

  // The client sends its intermediate; the trust set has it too.
  const std::vector<std::string> chain = {p.leaf_a.cert.der(), p.inter_a.cert.der()};
  ConnectionTrust first;
  first.snapshot = holder.Current();
  verifier.VerifyChain(chain, &first);
  EXPECT_TRUE(first.outcome.chain_verified) << first.outcome.error << " " << first.detail;
  EXPECT_FALSE(first.cache_hit);
  EXPECT_EQ(first.tenants, std::vector<std::string>{"acme"});
  ASSERT_TRUE(first.outcome.leaf.has_value());
  EXPECT_EQ(first.outcome.leaf->common_name(), "alice");
  EXPECT_EQ(first.outcome.presented.size(), 1u);

  ConnectionTrust again;
  again.snapshot = holder.Current();
  verifier.VerifyChain(chain, &again);
  EXPECT_TRUE(again.outcome.chain_verified);
  EXPECT_TRUE(again.cache_hit);
  EXPECT_EQ(again.tenants, std::vector<std::string>{"acme"});

  // Tenant a's root removed: the cached success does not carry over.
  fake->version = "v2";
  fake->content.anchors.erase(fake->content.anchors.begin());
  ASSERT_TRUE(holder.Refresh().ok());
  ConnectionTrust after;
  after.snapshot = holder.Current();
  verifier.VerifyChain(chain, &after);
  EXPECT_FALSE(after.outcome.chain_verified);
  EXPECT_FALSE(after.cache_hit);
  EXPECT_EQ(after.outcome.error, "client_cert_validation_failed");
  EXPECT_TRUE(after.tenants.empty());
}

TEST(ClientVerifierTest, AnEmptyTrustSetMeansValidationNotPerformed) {
  Pki p;
  TrustSnapshotHolder holder(std::make_unique<FakeSource>(), {});
  ASSERT_TRUE(holder.Load().ok());
  ClientVerifier verifier(holder, ClientValidation::kAllowInvalidOrMissingClientCert, "cfg");
  ConnectionTrust conn;
  conn.snapshot = holder.Current();
  verifier.VerifyChain({p.leaf_a.cert.der()}, &conn);
  EXPECT_FALSE(conn.outcome.chain_verified);
  EXPECT_EQ(conn.outcome.error, "client_cert_validation_not_performed");
}

}  // namespace
}  // namespace trustplane::gateway
