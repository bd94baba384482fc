// The onboarding policy: classification, one test per rule (rule id and the
// values its message names), the fixed order of checks, and policy files.
#include "trustplane/trust/onboarding_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_pki.h"

namespace trustplane::trust {
namespace {

using ::testing::AllOf;
using testing::CertSpec;
using testing::DerOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Issued;
using testing::KeyKind;
using testing::MakeClientLeaf;
using testing::MakeIntermediateCa;
using testing::MakeIssued;
using testing::MakeRootCa;
using testing::MakeSelfSigned;

// Fixed validity window for the date tests.
constexpr UnixSeconds kNotBefore = 1'700'000'000;  // 2023-11-14T22:13:20Z
constexpr UnixSeconds kNotAfter = 1'800'000'000;   // 2027-01-15T08:00:00Z

CertSpec CaSpec(const std::string& cn) {
  CertSpec s;
  s.cn = cn;
  s.is_ca = true;
  return s;
}

class OnboardingPolicyTest : public ::testing::Test {
 protected:
  // Certificates from test_pki are valid around the real current time.
  const UnixSeconds now_ = NowUnix();
  OnboardingPolicy policy_;
  x509::TrustMaterial existing_;

  std::vector<Verdict> Evaluate(const std::vector<Issued>& bundle,
                                std::optional<TrustKind> as = std::nullopt) {
    std::vector<x509::Certificate> certs;
    for (const auto& i : bundle) certs.push_back(i.cert);
    return policy_.Evaluate(certs, as, existing_, now_);
  }
  Verdict EvaluateOne(const Issued& cert, std::optional<TrustKind> as = std::nullopt) {
    auto v = Evaluate({cert}, as);
    EXPECT_EQ(v.size(), 1u);
    return v.at(0);
  }
};

#define EXPECT_ACCEPTED(verdict) EXPECT_TRUE((verdict).accepted) << (verdict).message

#define EXPECT_REJECTED(verdict, rule_id, ...)                                                \
  do {                                                                                        \
    const Verdict v_ = (verdict); /* a copy: it may be a temporary's element */               \
    EXPECT_FALSE(v_.accepted);                                                                \
    EXPECT_EQ(v_.rule, rule_id) << v_.message;                                                \
    EXPECT_THAT(v_.message, AllOf(HasSubstr("rule " rule_id ": "), __VA_ARGS__)); \
  } while (0)

// ---- Classification and paths ----

TEST_F(OnboardingPolicyTest, RootAndIntermediateAreClassifiedInEitherOrder) {
  Issued root = MakeRootCa("acme root");
  Issued inter = MakeIntermediateCa("acme issuing", root);
  for (const auto& bundle : {std::vector<Issued>{root, inter}, std::vector<Issued>{inter, root}}) {
    auto verdicts = Evaluate(bundle);
    ASSERT_EQ(verdicts.size(), 2u);
    for (const auto& v : verdicts) {
      EXPECT_ACCEPTED(v);
      EXPECT_THAT(v.rule, IsEmpty());
      EXPECT_EQ(v.kind, v.cert == root.cert ? TrustKind::kAnchor : TrustKind::kIntermediate);
    }
    EXPECT_EQ(verdicts[0].cert, bundle[0].cert);  // input order
  }
}

TEST_F(OnboardingPolicyTest, IntermediateChainsThroughBundleIntermediatesInAnyOrder) {
  Issued root = MakeRootCa("root");
  Issued policy_ca = MakeIntermediateCa("policy ca", root);
  Issued issuing = MakeIntermediateCa("issuing ca", policy_ca);
  for (const auto& v : Evaluate({issuing, policy_ca, root})) EXPECT_ACCEPTED(v);
}

TEST_F(OnboardingPolicyTest, IntermediateChainsToAnAlreadyTrustedAnchor) {
  Issued root = MakeRootCa("trusted root");
  Issued inter = MakeIntermediateCa("new issuing", root);
  existing_.anchors.push_back(root.cert);
  Verdict v = EvaluateOne(inter);
  EXPECT_ACCEPTED(v);
  EXPECT_EQ(v.kind, TrustKind::kIntermediate);
}

TEST_F(OnboardingPolicyTest, IntermediateChainsThroughAnAlreadyTrustedIntermediate) {
  Issued root = MakeRootCa("trusted root");
  Issued trusted_inter = MakeIntermediateCa("trusted policy ca", root);
  Issued inter = MakeIntermediateCa("new issuing", trusted_inter);
  existing_.anchors.push_back(root.cert);
  EXPECT_REJECTED(EvaluateOne(inter), "no-path-to-root", HasSubstr("trusted policy ca"));
  existing_.intermediates.push_back(trusted_inter.cert);
  EXPECT_ACCEPTED(EvaluateOne(inter));
}

TEST_F(OnboardingPolicyTest, IntermediateWithNoPathToRootIsRefused) {
  Issued unknown_root = MakeRootCa("unknown root");
  Issued inter = MakeIntermediateCa("orphan issuing", unknown_root);
  existing_.anchors.push_back(MakeRootCa("some other root").cert);
  EXPECT_REJECTED(EvaluateOne(inter), "no-path-to-root",
                  HasSubstr("intermediate \"" + inter.cert.subject() + "\""),
                  HasSubstr("CN=unknown root"), HasSubstr("neither in this bundle nor trusted"));
}

TEST_F(OnboardingPolicyTest, IssuerNameAloneIsNoPath) {
  Issued real_root = MakeRootCa("acme root");
  Issued inter = MakeIntermediateCa("acme issuing", real_root);
  CertSpec impostor = CaSpec("acme root");
  impostor.fresh_key = true;
  existing_.anchors.push_back(MakeSelfSigned(impostor).cert);
  EXPECT_REJECTED(EvaluateOne(inter), "no-path-to-root", HasSubstr("CN=acme root"),
                  HasSubstr("its key did not sign this certificate"));
}

TEST_F(OnboardingPolicyTest, LeafWithoutAsIsRefusedWithAHintToAllowlist) {
  Issued root = MakeRootCa("root");
  Verdict v = EvaluateOne(MakeClientLeaf("client", root));
  EXPECT_REJECTED(v, "leaf-not-allowed-as-ca", HasSubstr("CN=client"),
                  HasSubstr("basicConstraints is CA:FALSE"), HasSubstr("--as allowlisted"));
  EXPECT_EQ(v.kind, TrustKind::kIntermediate);  // the CA kind its shape suggests
}

TEST_F(OnboardingPolicyTest, CertificateWithoutBasicConstraintsIsALeaf) {
  CertSpec spec = CaSpec("no bc");
  spec.basic_constraints = false;
  EXPECT_REJECTED(EvaluateOne(MakeSelfSigned(spec)), "leaf-not-allowed-as-ca",
                  HasSubstr("no basicConstraints extension"));
}

TEST_F(OnboardingPolicyTest, AsEvaluatesEveryCertificateAsThatKind) {
  Issued root = MakeRootCa("root");
  Issued inter = MakeIntermediateCa("issuing", root);
  Issued leaf = MakeClientLeaf("client", inter);
  // Any CA may be a trust anchor when asked for, self-issued or not.
  for (const auto& v : Evaluate({root, inter}, TrustKind::kAnchor)) {
    EXPECT_ACCEPTED(v);
    EXPECT_EQ(v.kind, TrustKind::kAnchor);
  }
  EXPECT_REJECTED(EvaluateOne(leaf, TrustKind::kAnchor), "anchor-not-ca",
                  HasSubstr("anchor \"CN=client\""), HasSubstr("CA:FALSE"));
  EXPECT_REJECTED(EvaluateOne(leaf, TrustKind::kIntermediate), "intermediate-not-ca",
                  HasSubstr("CA:FALSE"));
  // A self-signed root forced to be an intermediate needs an anchor above it.
  EXPECT_REJECTED(EvaluateOne(root, TrustKind::kIntermediate), "no-path-to-root",
                  HasSubstr("CN=root"));
}

TEST_F(OnboardingPolicyTest, VerdictsAreIndependentAndInInputOrder) {
  Issued root = MakeRootCa("root");
  CertSpec sha1 = CaSpec("sha1 issuing");
  sha1.digest = "SHA1";
  Issued bad_inter = MakeIssued(sha1, root);
  Issued below_bad = MakeIntermediateCa("below sha1", bad_inter);
  auto verdicts = Evaluate({bad_inter, root, below_bad});
  ASSERT_EQ(verdicts.size(), 3u);
  EXPECT_EQ(verdicts[0].rule, "signature-digest");
  EXPECT_ACCEPTED(verdicts[1]);
  EXPECT_ACCEPTED(verdicts[2]);  // its own rules hold; the request fails through verdicts[0]
}

TEST_F(OnboardingPolicyTest, TheFirstViolatedRuleInTheFixedOrderIsReported) {
  CertSpec spec = CaSpec("bad in every way");
  spec.key_cert_sign = false;
  spec.key = KeyKind::kRsa1024;
  spec.digest = "SHA1";
  spec.not_before = kNotBefore;
  spec.not_after = kNotAfter;
  Issued cert = MakeSelfSigned(spec);
  auto at = [&](const OnboardingPolicy& p) {
    return p.Evaluate({cert.cert}, std::nullopt, {}, kNotAfter + 1).at(0).rule;
  };
  OnboardingPolicy p;
  EXPECT_EQ(at(p), "anchor-no-keycertsign");
  spec.key_cert_sign = true;
  cert = MakeSelfSigned(spec);
  EXPECT_EQ(at(p), "rsa-key-size");
  p.crypto.rsa_bits.push_back(1024);
  EXPECT_EQ(at(p), "signature-digest");
  p.crypto.signature_digests.push_back("SHA1");
  EXPECT_EQ(at(p), "expired");
}

// ---- One test per rule ----

TEST_F(OnboardingPolicyTest, AnchorWithoutKeyCertSign) {
  CertSpec spec = CaSpec("no kcs root");
  spec.key_cert_sign = false;
  EXPECT_REJECTED(EvaluateOne(MakeSelfSigned(spec)), "anchor-no-keycertsign",
                  HasSubstr("CN=no kcs root"), HasSubstr("keyUsage digitalSignature, cRLSign"),
                  HasSubstr("without keyCertSign"));
}

TEST_F(OnboardingPolicyTest, IntermediateWithoutKeyCertSign) {
  Issued root = MakeRootCa("root");
  CertSpec spec = CaSpec("no kcs issuing");
  spec.key_cert_sign = false;
  EXPECT_REJECTED(Evaluate({root, MakeIssued(spec, root)}).at(1), "intermediate-no-keycertsign",
                  HasSubstr("CN=no kcs issuing"));
}

TEST_F(OnboardingPolicyTest, TamperedSelfSignedAnchor) {
  std::string der = DerOf(MakeRootCa("tampered"));
  der.back() = static_cast<char>(der.back() ^ 0x01);  // last byte of the signature
  auto cert = x509::Certificate::FromDer(der);
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  Verdict v = policy_.Evaluate({*cert}, std::nullopt, {}, now_).at(0);
  EXPECT_REJECTED(v, "self-signature-invalid", HasSubstr("anchor \"CN=tampered\""),
                  HasSubstr("does not verify"));
}

TEST_F(OnboardingPolicyTest, PemTooLarge) {
  CertSpec spec = CaSpec("big root");
  for (int i = 0; i < 120; ++i)
    spec.dns.push_back("host-" + std::to_string(i) + ".long-name.example.com");
  Issued big = MakeSelfSigned(spec);
  ASSERT_GT(big.cert.ToPem().size(), 5000u);
  EXPECT_REJECTED(EvaluateOne(big), "pem-too-large",
                  HasSubstr(std::to_string(big.cert.ToPem().size()) + " bytes as PEM"),
                  HasSubstr("limit is 5000"));
  policy_.max_pem_bytes = big.cert.ToPem().size();
  EXPECT_ACCEPTED(EvaluateOne(big));
}

TEST_F(OnboardingPolicyTest, RsaKeySize) {
  EXPECT_REJECTED(EvaluateOne(MakeRootCa("rsa1024", KeyKind::kRsa1024)), "rsa-key-size",
                  HasSubstr("RSA 1024-bit key"), HasSubstr("allowed sizes are 2048, 3072, 4096"));
  EXPECT_ACCEPTED(EvaluateOne(MakeRootCa("rsa2048", KeyKind::kRsa2048)));
}

TEST_F(OnboardingPolicyTest, EcCurve) {
  EXPECT_REJECTED(EvaluateOne(MakeRootCa("p521", KeyKind::kEcP521)), "ec-curve", HasSubstr("P-521"),
                  HasSubstr("allowed curves are P-256, P-384"));
  EXPECT_ACCEPTED(EvaluateOne(MakeRootCa("p384", KeyKind::kEcP384)));
}

TEST_F(OnboardingPolicyTest, Ed25519IsRefusedByDefaultAndAllowedOnRequest) {
  Issued ed = MakeRootCa("ed root", KeyKind::kEd25519);
  EXPECT_REJECTED(EvaluateOne(ed), "key-algorithm", HasSubstr("Ed25519 key"),
                  HasSubstr("allowed key types are RSA, ECDSA"));
  policy_.crypto.allow_ed25519 = true;
  EXPECT_ACCEPTED(EvaluateOne(ed));
  // An ECDSA intermediate signed by the Ed25519 root: EdDSA has no digest to check.
  EXPECT_ACCEPTED(Evaluate({ed, MakeIntermediateCa("ec under ed", ed)}).at(1));
}

TEST_F(OnboardingPolicyTest, SignatureDigestAppliesToIntermediatesAndSelfSignedRoots) {
  Issued root = MakeRootCa("root");
  CertSpec inter = CaSpec("sha1 issuing");
  inter.digest = "SHA1";
  EXPECT_REJECTED(Evaluate({MakeIssued(inter, root), root}).at(0), "signature-digest",
                  HasSubstr("signed with SHA1 (ecdsa-with-SHA1)"),
                  HasSubstr("allowed digests are SHA256, SHA384, SHA512"));
  CertSpec self = CaSpec("sha1 root");
  self.digest = "SHA1";
  self.key = KeyKind::kRsa2048;
  EXPECT_REJECTED(EvaluateOne(MakeSelfSigned(self)), "signature-digest",
                  HasSubstr("SHA1 (sha1WithRSAEncryption)"));
  CertSpec sha384 = CaSpec("sha384 root");
  sha384.digest = "SHA384";
  EXPECT_ACCEPTED(EvaluateOne(MakeSelfSigned(sha384)));
}

TEST_F(OnboardingPolicyTest, NameConstraints) {
  CertSpec eleven = CaSpec("eleven");
  eleven.name_constraints = 11;
  EXPECT_REJECTED(EvaluateOne(MakeSelfSigned(eleven)), "name-constraints",
                  HasSubstr("has 11 name constraints"), HasSubstr("at most 10"));
  CertSpec ten = CaSpec("ten");
  ten.name_constraints = 10;
  EXPECT_ACCEPTED(EvaluateOne(MakeSelfSigned(ten)));
}

TEST_F(OnboardingPolicyTest, ExpiredAndNotYetValidAtTheGivenTime) {
  CertSpec spec = CaSpec("dated root");
  spec.not_before = kNotBefore;
  spec.not_after = kNotAfter;
  x509::Certificate cert = MakeSelfSigned(spec).cert;
  auto at = [&](UnixSeconds t) { return policy_.Evaluate({cert}, std::nullopt, {}, t).at(0); };
  EXPECT_REJECTED(at(kNotAfter + 1), "expired", HasSubstr("expired at 2027-01-15T08:00:00Z"),
                  HasSubstr("checked at 2027-01-15T08:00:01Z"));
  EXPECT_REJECTED(at(kNotBefore - 1), "not-yet-valid",
                  HasSubstr("not valid until 2023-11-14T22:13:20Z"));
  EXPECT_ACCEPTED(at(kNotBefore));
  EXPECT_ACCEPTED(at(kNotAfter));
}

// ---- Allowlisted certificates ----

TEST_F(OnboardingPolicyTest, AllowlistedLeafWithClientAuthNeedsNoIssuer) {
  Issued untrusted = MakeRootCa("not trusted");
  Verdict v = EvaluateOne(MakeClientLeaf("client", untrusted), TrustKind::kAllowlisted);
  EXPECT_ACCEPTED(v);
  EXPECT_EQ(v.kind, TrustKind::kAllowlisted);
  CertSpec self_signed;
  self_signed.cn = "self-signed client";
  self_signed.eku = {"clientAuth"};
  EXPECT_ACCEPTED(EvaluateOne(MakeSelfSigned(self_signed), TrustKind::kAllowlisted));
}

TEST_F(OnboardingPolicyTest, AllowlistedWithoutClientAuth) {
  Issued root = MakeRootCa("root");
  CertSpec server;
  server.cn = "server only";
  server.eku = {"serverAuth"};
  Issued cert = MakeIssued(server, root);
  EXPECT_REJECTED(EvaluateOne(cert, TrustKind::kAllowlisted), "allowlisted-no-client-auth",
                  HasSubstr("allowlisted certificate \"CN=server only\""),
                  HasSubstr("extendedKeyUsage serverAuth without clientAuth"));
  CertSpec no_eku;
  no_eku.cn = "no eku";
  EXPECT_REJECTED(EvaluateOne(MakeIssued(no_eku, root), TrustKind::kAllowlisted),
                  "allowlisted-no-client-auth", HasSubstr("no extendedKeyUsage"));
  policy_.require_client_auth_eku_for_allowlisted = false;
  EXPECT_ACCEPTED(EvaluateOne(cert, TrustKind::kAllowlisted));
}

TEST_F(OnboardingPolicyTest, AllowlistedCaIsRefused) {
  EXPECT_REJECTED(EvaluateOne(MakeRootCa("a ca"), TrustKind::kAllowlisted), "allowlisted-not-leaf",
                  HasSubstr("CN=a ca"), HasSubstr("CA:TRUE"));
}

TEST_F(OnboardingPolicyTest, ExpiredAllowlistedIsAcceptedUnlessThePolicyRefusesIt) {
  Issued root = MakeRootCa("root");
  CertSpec spec;
  spec.cn = "old client";
  spec.eku = {"clientAuth"};
  spec.not_before = kNotBefore;
  spec.not_after = kNotAfter;
  x509::Certificate cert = MakeIssued(spec, root).cert;
  auto at = [&](UnixSeconds t) {
    return policy_.Evaluate({cert}, TrustKind::kAllowlisted, {}, t).at(0);
  };
  EXPECT_ACCEPTED(at(kNotAfter + 1));  // as the load balancer does
  EXPECT_REJECTED(at(kNotBefore - 1), "not-yet-valid", HasSubstr("2023-11-14T22:13:20Z"));
  policy_.refuse_expired_allowlisted = true;
  EXPECT_REJECTED(at(kNotAfter + 1), "expired", HasSubstr("2027-01-15T08:00:00Z"));
}

TEST_F(OnboardingPolicyTest, AllowlistedKeysFollowTheCryptoRules) {
  Issued root = MakeRootCa("root");
  EXPECT_REJECTED(
      EvaluateOne(MakeClientLeaf("weak", root, KeyKind::kRsa1024), TrustKind::kAllowlisted),
      "rsa-key-size", HasSubstr("1024"));
}

// ---- Policy files ----

Result<OnboardingPolicy> Parse(std::string_view yaml) {
  return OnboardingPolicy::FromYaml(yaml);
}

void ExpectInvalid(std::string_view yaml, const std::vector<std::string>& fragments) {
  auto p = Parse(yaml);
  ASSERT_FALSE(p.ok()) << yaml;
  EXPECT_EQ(p.status().code(), ErrorCode::kInvalidArgument);
  for (const auto& f : fragments) EXPECT_THAT(p.status().message(), HasSubstr(f)) << yaml;
}

TEST(OnboardingPolicyFileTest, EmptyFileAndDocumentedDefaultsEqualTheBuiltInDefaults) {
  const char* documented =
      "rsa_key_sizes: [2048, 3072, 4096]\n"
      "ec_curves: [P-256, P-384]\n"
      "allow_ed25519: false\n"
      "signature_digests: [SHA256, SHA384, SHA512]\n"
      "max_pem_bytes: 5000\n"
      "max_name_constraints: 10\n"
      "allowlisted_requires_client_auth: true\n"
      "allowlisted_refuse_expired: false\n";
  for (std::string_view text : {std::string_view(""), std::string_view(documented)}) {
    auto p = Parse(text);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_THAT(p->crypto.rsa_bits, ElementsAre(2048, 3072, 4096));
    EXPECT_THAT(p->crypto.ec_curves, ElementsAre("P-256", "P-384"));
    EXPECT_FALSE(p->crypto.allow_ed25519);
    EXPECT_THAT(p->crypto.signature_digests, ElementsAre("SHA256", "SHA384", "SHA512"));
    EXPECT_EQ(p->max_pem_bytes, 5000u);
    EXPECT_EQ(p->crypto.max_name_constraints, 10);
    EXPECT_TRUE(p->require_client_auth_eku_for_allowlisted);
    EXPECT_FALSE(p->refuse_expired_allowlisted);
  }
}

TEST(OnboardingPolicyFileTest, WideningAcceptsWhatTheDefaultsRefuse) {
  CertSpec spec = CaSpec("legacy root");
  spec.key = KeyKind::kRsa1024;
  spec.digest = "SHA1";
  x509::Certificate legacy = MakeSelfSigned(spec).cert;
  const UnixSeconds now = NowUnix();
  EXPECT_FALSE(OnboardingPolicy{}.Evaluate({legacy}, std::nullopt, {}, now).at(0).accepted);

  auto p = Parse("rsa_key_sizes: [1024, 2048]\nsignature_digests: [SHA1, SHA256]\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_ACCEPTED(p->Evaluate({legacy}, std::nullopt, {}, now).at(0));
  // The gateway's chain verifier gets the same widened rules.
  x509::CryptoPolicy crypto = p->ToCryptoPolicy();
  EXPECT_THAT(crypto.rsa_bits, ElementsAre(1024, 2048));
  EXPECT_THAT(crypto.signature_digests, ElementsAre("SHA1", "SHA256"));
  EXPECT_THAT(crypto.ec_curves, ElementsAre("P-256", "P-384"));
  EXPECT_EQ(crypto.max_name_constraints, 10);
}

TEST(OnboardingPolicyFileTest, NarrowingRefusesWhatTheDefaultsAccept) {
  auto p = Parse("ec_curves: [P-384]\nrsa_key_sizes: []\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const UnixSeconds now = NowUnix();
  auto one = [&](const Issued& c) { return p->Evaluate({c.cert}, std::nullopt, {}, now).at(0); };
  EXPECT_REJECTED(one(MakeRootCa("p256", KeyKind::kEcP256)), "ec-curve",
                  HasSubstr("allowed curves are P-384"));
  EXPECT_REJECTED(one(MakeRootCa("rsa", KeyKind::kRsa2048)), "rsa-key-size",
                  HasSubstr("RSA keys are not allowed"));
  EXPECT_ACCEPTED(one(MakeRootCa("p384", KeyKind::kEcP384)));
}

TEST(OnboardingPolicyFileTest, NamesAreNormalizedToWhatCertificatesReport) {
  auto p = Parse(
      "ec_curves: [prime256v1, p-384, secp521r1]\nsignature_digests: [sha-256, sha512]\n"
      "allow_ed25519: yes\nmax_pem_bytes: 8000\nmax_name_constraints: 0\n"
      "allowlisted_requires_client_auth: false\nallowlisted_refuse_expired: true\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_THAT(p->crypto.ec_curves, ElementsAre("P-256", "P-384", "P-521"));
  EXPECT_THAT(p->crypto.signature_digests, ElementsAre("SHA256", "SHA512"));
  EXPECT_TRUE(p->crypto.allow_ed25519);
  EXPECT_EQ(p->max_pem_bytes, 8000u);
  EXPECT_EQ(p->crypto.max_name_constraints, 0);
  EXPECT_FALSE(p->require_client_auth_eku_for_allowlisted);
  EXPECT_TRUE(p->refuse_expired_allowlisted);
}

TEST(OnboardingPolicyFileTest, UnknownKeysAndBadValuesNameTheKeyAndValue) {
  ExpectInvalid("rsa_key_size: [2048]\n", {"unknown policy key \"rsa_key_size\"", "rsa_key_sizes"});
  ExpectInvalid("rsa_key_sizes: [2048, big]\n", {"rsa_key_sizes", "\"big\"", "whole number"});
  ExpectInvalid("rsa_key_sizes: [100]\n", {"rsa_key_sizes", "100", "out of range"});
  ExpectInvalid("rsa_key_sizes: 2048\n", {"rsa_key_sizes", "not a list"});
  ExpectInvalid("ec_curves: [P-999]\n", {"ec_curves", "\"P-999\"", "not a named elliptic curve"});
  ExpectInvalid("signature_digests: [SHA257]\n", {"signature_digests", "\"SHA257\""});
  ExpectInvalid("allow_ed25519: maybe\n", {"allow_ed25519", "\"maybe\"", "true or false"});
  ExpectInvalid("max_pem_bytes: -1\n", {"max_pem_bytes", "-1", "out of range"});
  ExpectInvalid("max_name_constraints: ten\n", {"max_name_constraints", "\"ten\""});
  ExpectInvalid("allowlisted_requires_client_auth: [true]\n",
                {"allowlisted_requires_client_auth", "a list"});
  ExpectInvalid("max_pem_bytes: 5000\nmax_pem_bytes: 6000\n", {"max_pem_bytes", "twice"});
}

TEST(OnboardingPolicyFileTest, MalformedOrEmptyPoliciesAreRefused) {
  ExpectInvalid("rsa_key_sizes: [2048\n", {"not valid YAML", "line"});
  ExpectInvalid("- rsa_key_sizes\n", {"must be a mapping", "found a list"});
  ExpectInvalid("rsa_key_sizes: []\nec_curves: []\n", {"allows no key"});
  ExpectInvalid("signature_digests: []\n", {"signature_digests", "empty"});
}

}  // namespace
}  // namespace trustplane::trust
