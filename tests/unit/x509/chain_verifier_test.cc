#include "trustplane/x509/chain_verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "support/test_pki.h"

namespace trustplane::x509 {
namespace {

using ::testing::HasSubstr;
using trustplane::testing::CertSpec;
using trustplane::testing::Issued;
using trustplane::testing::KeyKind;
using trustplane::testing::MakeClientLeaf;
using trustplane::testing::MakeIntermediateCa;
using trustplane::testing::MakeIssued;
using trustplane::testing::MakeRootCa;
using trustplane::testing::MakeSelfSigned;

constexpr int64_t kDay = 86400;

std::vector<Certificate> Certs(const std::vector<Issued>& issued) {
  std::vector<Certificate> out;
  for (const auto& i : issued) out.push_back(i.cert);
  return out;
}

std::vector<std::string> Names(const std::vector<Certificate>& chain) {
  std::vector<std::string> out;
  for (const auto& c : chain) out.push_back(c.common_name());
  return out;
}

CertSpec CaSpec(const std::string& cn) {
  CertSpec spec;
  spec.cn = cn;
  spec.is_ca = true;
  return spec;
}

CertSpec LeafSpec(const std::string& cn) {
  CertSpec spec;
  spec.cn = cn;
  spec.eku = {"clientAuth"};
  return spec;
}

class ChainVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_.emplace(MakeRootCa("Test Root"));
    inter_.emplace(MakeIntermediateCa("Test Inter", *root_));
    leaf_.emplace(MakeClientLeaf("client-1", *inter_));
  }
  static void TearDownTestSuite() {
    leaf_.reset();
    inter_.reset();
    root_.reset();
  }

  // Verifies leaf against anchors/intermediates/allowlisted with the given presented chain.
  static VerifyResult Verify(const Issued& leaf, const std::vector<Issued>& presented,
                             const std::vector<Issued>& anchors,
                             const std::vector<Issued>& intermediates = {},
                             const VerifyOptions& options = {},
                             const std::vector<Issued>& allowlisted = {}) {
    ChainVerifier v(TrustMaterial{Certs(anchors), Certs(intermediates), Certs(allowlisted)});
    return v.Verify(leaf.cert, Certs(presented), options);
  }

  static void ExpectFailure(const VerifyResult& r, const std::string& error,
                            const std::string& detail) {
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error, error);
    EXPECT_THAT(r.detail, HasSubstr(detail));
    EXPECT_TRUE(r.chain.empty());
  }

  // Shared by the suite: building them once keeps the tests fast.
  static inline std::optional<Issued> root_, inter_, leaf_;
};

// --- valid paths -----------------------------------------------------------

TEST_F(ChainVerifierTest, IntermediatePresentedByClient) {
  VerifyResult r = Verify(*leaf_, {*inter_}, {*root_});
  ASSERT_TRUE(r.ok) << r.error << ": " << r.detail;
  EXPECT_FALSE(r.via_allowlist);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(Names(r.chain), (std::vector<std::string>{"client-1", "Test Inter", "Test Root"}));
}

TEST_F(ChainVerifierTest, IntermediateFromTrustConfig) {
  VerifyResult r = Verify(*leaf_, {}, {*root_}, {*inter_});
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(Names(r.chain), (std::vector<std::string>{"client-1", "Test Inter", "Test Root"}));
}

TEST_F(ChainVerifierTest, LeafDirectlyUnderRoot) {
  auto leaf = MakeClientLeaf("direct", *root_);
  VerifyResult r = Verify(leaf, {}, {*root_});
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(Names(r.chain), (std::vector<std::string>{"direct", "Test Root"}));
}

TEST_F(ChainVerifierTest, AcceptedKeyTypesMixInOneChain) {
  auto root = MakeRootCa("kinds root", KeyKind::kRsa2048);
  auto inter = MakeIntermediateCa("kinds inter", root, KeyKind::kEcP384);
  auto leaf = MakeClientLeaf("kinds leaf", inter, KeyKind::kRsa3072);
  VerifyResult r = Verify(leaf, {inter}, {root});
  EXPECT_TRUE(r.ok) << r.detail;
}

TEST_F(ChainVerifierTest, IgnoresUnrelatedPresentedCertificates) {
  auto stranger = MakeRootCa("Stranger");
  VerifyResult r = Verify(*leaf_, {stranger, *inter_}, {*root_});
  EXPECT_TRUE(r.ok) << r.detail;
}

TEST_F(ChainVerifierTest, VerifierCopiesStayUsable) {
  auto original =
      std::make_unique<ChainVerifier>(TrustMaterial{Certs({*root_}), Certs({*inter_}), {}});
  ChainVerifier copy = *original;
  original.reset();
  EXPECT_TRUE(copy.Verify(leaf_->cert, {}, {}).ok);
}

// --- backtracking ------------------------------------------------------------

TEST_F(ChainVerifierTest, BacktracksFromExpiredCrossCertificate) {
  // Two certificates for one intermediate (same name and key); the first one tried has expired.
  CertSpec expired = CaSpec("Test Inter");
  expired.use_key = inter_->key;
  expired.not_before = NowUnix() - 100 * kDay;
  expired.not_after = NowUnix() - kDay;
  auto old_inter = MakeIssued(expired, *root_);
  VerifyResult r = Verify(*leaf_, {old_inter}, {*root_}, {*inter_});
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.chain[1], inter_->cert);
}

TEST_F(ChainVerifierTest, BacktracksFromUntrustedCrossSignature) {
  // The client sends the intermediate as signed by an old, untrusted root; the
  // trust config has the same intermediate re-signed by the new root.
  auto old_root = MakeRootCa("Old Root");
  CertSpec spec = CaSpec("Test Inter");
  spec.use_key = inter_->key;
  auto cross = MakeIssued(spec, old_root);
  VerifyResult r = Verify(*leaf_, {cross}, {*root_}, {*inter_});
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(Names(r.chain), (std::vector<std::string>{"client-1", "Test Inter", "Test Root"}));
  EXPECT_EQ(r.chain[1], inter_->cert);
}

// --- allowlist ---------------------------------------------------------------

TEST_F(ChainVerifierTest, AllowlistedExpiredSelfSignedLeafIsAccepted) {
  CertSpec spec = LeafSpec("allowlisted");
  spec.not_before = 1'500'000'000;
  spec.not_after = 1'600'000'000;  // expired in 2020
  auto leaf = MakeSelfSigned(spec);
  VerifyResult r = Verify(leaf, {}, {}, {}, {}, {leaf});
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_TRUE(r.via_allowlist);
  EXPECT_EQ(r.chain, std::vector<Certificate>{leaf.cert});
}

TEST_F(ChainVerifierTest, AllowlistMatchesTheExactCertificateOnly) {
  // Same name and key, different serial: a different certificate.
  CertSpec spec = LeafSpec("allowlisted");
  auto listed = MakeSelfSigned(spec);
  spec.use_key = listed.key;
  auto twin = MakeSelfSigned(spec);
  VerifyResult r = Verify(twin, {}, {}, {}, {}, {listed});
  ExpectFailure(r, "client_cert_validation_failed", "is self-signed");
}

// --- the leaf ----------------------------------------------------------------

TEST_F(ChainVerifierTest, SelfSignedLeafIsRejected) {
  auto leaf = MakeSelfSigned(LeafSpec("selfie"));
  ExpectFailure(Verify(leaf, {}, {*root_}), "client_cert_validation_failed",
                "client certificate \"CN=selfie\" is self-signed; it can only be accepted through "
                "the allowlist");
}

TEST_F(ChainVerifierTest, CaAsLeafIsRejected) {
  ExpectFailure(Verify(*inter_, {}, {*root_}), "client_cert_validation_failed",
                "client certificate \"CN=Test Inter\" is a CA certificate");
}

TEST_F(ChainVerifierTest, LeafKeyPolicy) {
  ExpectFailure(Verify(MakeClientLeaf("rsa1024", *inter_, KeyKind::kRsa1024), {*inter_}, {*root_}),
                "client_cert_invalid_rsa_key_size",
                "client certificate \"CN=rsa1024\" has a 1024-bit RSA key; allowed sizes: 2048, "
                "3072, 4096");
  ExpectFailure(Verify(MakeClientLeaf("p521", *inter_, KeyKind::kEcP521), {*inter_}, {*root_}),
                "client_cert_unsupported_elliptic_curve_key",
                "uses elliptic curve P-521; allowed curves: P-256, P-384");
  auto ed = MakeClientLeaf("ed", *inter_, KeyKind::kEd25519);
  ExpectFailure(Verify(ed, {*inter_}, {*root_}), "client_cert_unsupported_key_algorithm",
                "client certificate \"CN=ed\" has an unsupported key type (Ed25519); only RSA and "
                "ECDSA keys are allowed");
  VerifyOptions wide;
  wide.crypto.allow_ed25519 = true;
  EXPECT_TRUE(Verify(ed, {*inter_}, {*root_}, {}, wide).ok);
}

TEST_F(ChainVerifierTest, WeakLeafSignatureDigest) {
  CertSpec spec = LeafSpec("sha1 leaf");
  spec.digest = "SHA1";
  ExpectFailure(Verify(MakeIssued(spec, *inter_), {*inter_}, {*root_}),
                "client_cert_validation_failed",
                "client certificate \"CN=sha1 leaf\" is signed with SHA1 (ecdsa-with-SHA1)");

  auto rsa_root = MakeRootCa("RSA Root", KeyKind::kRsa2048);
  spec.cn = "md5 leaf";
  spec.digest = "MD5";
  ExpectFailure(Verify(MakeIssued(spec, rsa_root), {}, {rsa_root}), "client_cert_validation_failed",
                "is signed with MD5 (md5WithRSAEncryption)");
}

TEST_F(ChainVerifierTest, LeafExtendedKeyUsage) {
  CertSpec spec = LeafSpec("no eku");
  spec.eku.clear();
  auto no_eku = MakeIssued(spec, *inter_);
  ExpectFailure(Verify(no_eku, {*inter_}, {*root_}), "client_cert_chain_invalid_eku",
                "client certificate \"CN=no eku\" has no extendedKeyUsage extension");
  spec.cn = "server only";
  spec.eku = {"serverAuth"};
  ExpectFailure(Verify(MakeIssued(spec, *inter_), {*inter_}, {*root_}),
                "client_cert_chain_invalid_eku",
                "has extendedKeyUsage serverAuth without clientAuth");
  VerifyOptions lax;
  lax.require_client_auth_eku = false;
  EXPECT_TRUE(Verify(no_eku, {*inter_}, {*root_}, {}, lax).ok);
}

TEST_F(ChainVerifierTest, LeafValidityAtTheGivenTime) {
  CertSpec spec = LeafSpec("dated");
  spec.not_before = 1'900'000'000;  // 2030-03-17T17:46:40Z
  spec.not_after = 1'930'000'000;   // 2031-02-27T23:06:40Z
  auto leaf = MakeIssued(spec, *inter_);
  VerifyOptions at;
  at.at = 1'910'000'000;
  ExpectFailure(Verify(leaf, {*inter_}, {*root_}, {}, at), "client_cert_validation_failed",
                "intermediate \"CN=Test Inter\" expired at");  // the CA is a year old by then

  // Time travel works on the whole chain: a long-lived PKI at the leaf's dates.
  CertSpec long_root = CaSpec("Long Root");
  long_root.not_before = 1'800'000'000;
  long_root.not_after = 2'000'000'000;
  auto root = MakeSelfSigned(long_root);
  auto dated = MakeIssued(spec, root);
  EXPECT_TRUE(Verify(dated, {}, {root}, {}, at).ok);
  at.at = 1'930'000'001;
  ExpectFailure(Verify(dated, {}, {root}, {}, at), "client_cert_validation_failed",
                "client certificate \"CN=dated\" expired at 2031-02-27T23:06:40Z (checked at "
                "2031-02-27T23:06:41Z)");
  at.at = 1'899'999'999;
  ExpectFailure(Verify(dated, {}, {root}, {}, at), "client_cert_validation_failed",
                "client certificate \"CN=dated\" is not valid until 2030-03-17T17:46:40Z (checked "
                "at 2030-03-17T17:46:39Z)");
}

TEST_F(ChainVerifierTest, ExpiredLeafNowIsRejected) {
  CertSpec spec = LeafSpec("expired");
  spec.not_before = NowUnix() - 10 * kDay;
  spec.not_after = NowUnix() - kDay;
  ExpectFailure(Verify(MakeIssued(spec, *inter_), {*inter_}, {*root_}),
                "client_cert_validation_failed", "client certificate \"CN=expired\" expired at");
}

// --- path building -----------------------------------------------------------

TEST_F(ChainVerifierTest, NoPathToAnAnchor) {
  auto other_root = MakeRootCa("Other Root");
  ExpectFailure(Verify(*leaf_, {*inter_}, {other_root}), "client_cert_validation_failed",
                "no trusted issuer for CN=Test Inter (AKI " + inter_->cert.authority_key_id() +
                    ", issuer CN=Test Root)");
  ExpectFailure(Verify(*leaf_, {}, {*root_}), "client_cert_validation_failed",
                "no trusted issuer for CN=client-1 (AKI " + leaf_->cert.authority_key_id());
}

TEST_F(ChainVerifierTest, SameNameDifferentKeyIsNotAnIssuer) {
  CertSpec spec = CaSpec("Test Root");
  spec.fresh_key = true;
  auto impostor = MakeSelfSigned(spec);
  // With key identifiers the impostor is not even a candidate.
  ExpectFailure(Verify(*leaf_, {*inter_}, {impostor}), "client_cert_validation_failed",
                "no trusted issuer for CN=Test Inter");
  // Without them it is tried, and its key does not verify the signature.
  spec.skid_akid = false;
  spec.fresh_key = false;
  auto bare_root = MakeSelfSigned(spec);
  spec.fresh_key = true;
  auto bare_impostor = MakeSelfSigned(spec);
  CertSpec leaf_spec = LeafSpec("bare leaf");
  leaf_spec.skid_akid = false;
  auto leaf = MakeIssued(leaf_spec, bare_root);
  ExpectFailure(
      Verify(leaf, {}, {bare_impostor}), "client_cert_validation_failed",
      "the signature of \"CN=bare leaf\" does not verify with the key of \"CN=Test Root\"");
  EXPECT_TRUE(Verify(leaf, {}, {bare_impostor, bare_root}).ok);
}

TEST_F(ChainVerifierTest, TooManyPresentedIntermediates) {
  std::vector<Issued> presented(11, *inter_);
  ExpectFailure(Verify(*leaf_, presented, {*root_}), "client_cert_chain_exceeded_limit",
                "the client sent 11 intermediate certificates (limit 10)");
  presented.pop_back();
  EXPECT_TRUE(Verify(*leaf_, presented, {*root_}).ok);
}

TEST_F(ChainVerifierTest, DepthLimitCountsLeafAndRoot) {
  // root + 9 intermediates + leaf = 11 certificates.
  std::vector<Issued> inters;
  const Issued* issuer = &*root_;
  for (int i = 0; i < 9; ++i) {
    inters.push_back(MakeIntermediateCa("Deep " + std::to_string(i), *issuer));
    issuer = &inters.back();
  }
  auto leaf = MakeClientLeaf("deep leaf", *issuer);
  ExpectFailure(Verify(leaf, inters, {*root_}), "client_cert_validation_search_limit_exceeded",
                "would be longer than 10 certificates (leaf and root included)");
  VerifyOptions deeper;
  deeper.max_depth = 11;
  VerifyResult r = Verify(leaf, inters, {*root_}, {}, deeper);
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.chain.size(), 11u);
}

TEST_F(ChainVerifierTest, EvaluationLimitCountsIntermediates) {
  // Four certificates named "Test Inter" with other keys, tried before the real one.
  std::vector<Issued> decoys;
  for (int i = 0; i < 4; ++i) {
    CertSpec spec = CaSpec("Test Inter");
    spec.skid_akid = false;  // no key identifiers, so each one has to be tried
    spec.fresh_key = true;
    decoys.push_back(MakeIssued(spec, *root_));
  }
  CertSpec leaf_spec = LeafSpec("searched");
  leaf_spec.skid_akid = false;
  auto leaf = MakeIssued(leaf_spec, *inter_);
  VerifyOptions tight;
  tight.max_intermediate_evaluations = 4;
  ExpectFailure(Verify(leaf, decoys, {*root_}, {*inter_}, tight),
                "client_cert_validation_search_limit_exceeded",
                "gave up after evaluating 4 candidate intermediates");
  tight.max_intermediate_evaluations = 5;
  VerifyResult r = Verify(leaf, decoys, {*root_}, {*inter_}, tight);
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.chain[1], inter_->cert);
}

TEST_F(ChainVerifierTest, TooManyIntermediatesWithOneSubjectAndKey) {
  std::vector<Issued> copies;
  CertSpec spec = CaSpec("Test Inter");
  spec.use_key = inter_->key;
  for (int i = 0; i < 10; ++i) copies.push_back(MakeIssued(spec, *root_));
  copies.push_back(*inter_);
  ExpectFailure(Verify(*leaf_, {}, {*root_}, copies), "client_cert_pki_too_large",
                "11 intermediate certificates share subject \"CN=Test Inter\" and one public key "
                "(limit 10)");
  VerifyOptions larger;
  larger.max_same_subject_spki = 11;
  EXPECT_TRUE(Verify(*leaf_, {}, {*root_}, copies, larger).ok);
}

// --- issuers -----------------------------------------------------------------

TEST_F(ChainVerifierTest, IntermediateKeyPolicy) {
  auto weak = MakeIntermediateCa("Weak Inter", *root_, KeyKind::kRsa1024);
  ExpectFailure(Verify(MakeClientLeaf("c", weak), {weak}, {*root_}),
                "client_cert_invalid_rsa_key_size",
                "intermediate \"CN=Weak Inter\" has a 1024-bit RSA key");
  auto p521 = MakeIntermediateCa("P521 Inter", *root_, KeyKind::kEcP521);
  ExpectFailure(Verify(MakeClientLeaf("c", p521), {p521}, {*root_}),
                "client_cert_unsupported_elliptic_curve_key",
                "intermediate \"CN=P521 Inter\" uses elliptic curve P-521");
}

TEST_F(ChainVerifierTest, Ed25519AnchorOnlyWhenAllowed) {
  auto root = MakeRootCa("Ed Root", KeyKind::kEd25519);
  auto leaf = MakeClientLeaf("ed signed", root);
  EXPECT_EQ(leaf.cert.signature_digest(), "");
  ExpectFailure(Verify(leaf, {}, {root}), "client_cert_unsupported_key_algorithm",
                "trust anchor \"CN=Ed Root\" has an unsupported key type (Ed25519)");
  VerifyOptions wide;
  wide.crypto.allow_ed25519 = true;
  EXPECT_TRUE(Verify(leaf, {}, {root}, {}, wide).ok);
}

TEST_F(ChainVerifierTest, WeakIntermediateSignatureDigest) {
  CertSpec spec = CaSpec("SHA1 Inter");
  spec.digest = "SHA1";
  auto inter = MakeIssued(spec, *root_);
  ExpectFailure(Verify(MakeClientLeaf("c", inter), {inter}, {*root_}),
                "client_cert_validation_failed",
                "intermediate \"CN=SHA1 Inter\" is signed with SHA1");
}

TEST_F(ChainVerifierTest, IssuersMustBeCas) {
  CertSpec not_ca = CaSpec("Not A CA");
  not_ca.is_ca = false;
  not_ca.key_cert_sign = true;
  auto inter = MakeIssued(not_ca, *root_);
  ExpectFailure(Verify(MakeClientLeaf("c", inter), {inter}, {*root_}),
                "client_cert_validation_failed",
                "intermediate \"CN=Not A CA\" is not a CA (no basicConstraints CA:TRUE)");

  CertSpec no_sign = CaSpec("No CertSign");
  no_sign.key_cert_sign = false;
  auto inter2 = MakeIssued(no_sign, *root_);
  ExpectFailure(Verify(MakeClientLeaf("c", inter2), {inter2}, {*root_}),
                "client_cert_validation_failed",
                "intermediate \"CN=No CertSign\" has keyUsage without keyCertSign");

  CertSpec anchor_spec = CaSpec("Leafy Anchor");
  anchor_spec.is_ca = false;
  anchor_spec.key_cert_sign = true;
  auto anchor = MakeSelfSigned(anchor_spec);
  ExpectFailure(Verify(MakeClientLeaf("c", anchor), {}, {anchor}), "client_cert_validation_failed",
                "trust anchor \"CN=Leafy Anchor\" is not a CA");
}

TEST_F(ChainVerifierTest, PathLengthConstraint) {
  CertSpec spec = CaSpec("Pathlen Root");
  spec.path_len = 0;
  auto root = MakeSelfSigned(spec);
  auto inter = MakeIntermediateCa("Below Pathlen", root);
  ExpectFailure(Verify(MakeClientLeaf("c", inter), {inter}, {root}),
                "client_cert_validation_failed",
                "trust anchor \"CN=Pathlen Root\" has pathlen 0 but 1 intermediate(s) below it");
  EXPECT_TRUE(Verify(MakeClientLeaf("c", root), {}, {root}).ok);
}

TEST_F(ChainVerifierTest, NameConstraints) {
  CertSpec spec = CaSpec("Constrained Inter");
  spec.name_constraints = 11;
  auto inter = MakeIssued(spec, *root_);
  ExpectFailure(Verify(MakeClientLeaf("c", inter), {inter}, {*root_}),
                "client_cert_chain_max_name_constraints_exceeded",
                "intermediate \"CN=Constrained Inter\" has 11 name constraints (limit 10)");

  spec.name_constraints = 10;  // permits n0.example.com .. n9.example.com
  auto ten = MakeIssued(spec, *root_);
  CertSpec leaf_spec = LeafSpec("inside");
  leaf_spec.dns = {"api.n3.example.com"};
  EXPECT_TRUE(Verify(MakeIssued(leaf_spec, ten), {ten}, {*root_}).ok);
  leaf_spec.cn = "outside";
  leaf_spec.dns = {"api.example.org"};
  ExpectFailure(Verify(MakeIssued(leaf_spec, ten), {ten}, {*root_}),
                "client_cert_validation_failed",
                "client certificate \"CN=outside\" violates the name constraints of intermediate "
                "\"CN=Constrained Inter\"");
}

TEST_F(ChainVerifierTest, IssuerExtendedKeyUsage) {
  CertSpec spec = CaSpec("Server Inter");
  spec.eku = {"serverAuth"};
  auto server_inter = MakeIssued(spec, *root_);
  ExpectFailure(Verify(MakeClientLeaf("c", server_inter), {server_inter}, {*root_}),
                "client_cert_chain_invalid_eku",
                "intermediate \"CN=Server Inter\" restricts extendedKeyUsage to serverAuth without "
                "clientAuth");
  spec.cn = "Client Inter";
  spec.eku = {"clientAuth", "serverAuth"};
  auto client_inter = MakeIssued(spec, *root_);
  EXPECT_TRUE(Verify(MakeClientLeaf("c", client_inter), {client_inter}, {*root_}).ok);
}

TEST_F(ChainVerifierTest, ExpiredOrFutureCas) {
  CertSpec spec = CaSpec("Expired Root");
  spec.not_before = NowUnix() - 400 * kDay;
  spec.not_after = NowUnix() - kDay;
  auto old_root = MakeSelfSigned(spec);
  ExpectFailure(Verify(MakeClientLeaf("c", old_root), {}, {old_root}),
                "client_cert_validation_failed", "trust anchor \"CN=Expired Root\" expired at");

  CertSpec future = CaSpec("Future Inter");
  future.not_before = NowUnix() + kDay;
  auto inter = MakeIssued(future, *root_);
  ExpectFailure(Verify(MakeClientLeaf("c", inter), {inter}, {*root_}),
                "client_cert_validation_failed",
                "intermediate \"CN=Future Inter\" is not valid until");
}

}  // namespace
}  // namespace trustplane::x509
