// RevocationChecker: CRLs (revoked, good, from another issuer, forged,
// expired, unreadable, an intermediate's), OCSP through a fake transport
// (issuer-signed, delegated, forged, responder down, caching), and what
// ClientVerifier makes of each under soft_fail and hard_fail.
#include "trustplane/gateway/revocation_checker.h"

#include <gtest/gtest.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <map>
#include <stdexcept>

#include "support/temp_dir.h"
#include "support/test_pki.h"
#include "trustplane/base/openssl_ptr.h"
#include "trustplane/gateway/client_verifier.h"

namespace trustplane::gateway {
namespace {

using testing::CertSpec;
using testing::Issued;
using testing::MakeClientLeaf;
using testing::MakeIntermediateCa;
using testing::MakeIssued;
using testing::MakeRootCa;
using testing::TempDir;
using testing::WriteFile;

using X509Ptr = OpenSslPtr<X509, X509_free>;

X509Ptr Native(const Issued& i) {
  const auto* p = reinterpret_cast<const unsigned char*>(i.cert.der().data());
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(i.cert.der().size())));
  if (!x) throw std::runtime_error("cannot decode a test certificate");
  return x;
}

// A CRL naming `name_of` as issuer, signed with `signer`'s key.
std::string MakeCrl(const Issued& name_of, const Issued& signer,
                    const std::vector<const Issued*>& revoked, int64_t next_update_from_now,
                    bool pem = true) {
  X509Ptr issuer = Native(name_of);
  OpenSslPtr<X509_CRL, X509_CRL_free> crl(X509_CRL_new());
  const time_t now = time(nullptr);
  OpenSslPtr<ASN1_TIME, ASN1_TIME_free> last(ASN1_TIME_set(nullptr, now - 3600));
  OpenSslPtr<ASN1_TIME, ASN1_TIME_free> next(ASN1_TIME_set(nullptr, now + next_update_from_now));
  X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.get()));
  X509_CRL_set1_lastUpdate(crl.get(), last.get());
  X509_CRL_set1_nextUpdate(crl.get(), next.get());
  for (const Issued* r : revoked) {
    X509Ptr x = Native(*r);
    X509_REVOKED* entry = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(entry,
                                  const_cast<ASN1_INTEGER*>(X509_get0_serialNumber(x.get())));
    X509_REVOKED_set_revocationDate(entry, last.get());
    X509_CRL_add0_revoked(crl.get(), entry);
  }
  X509_CRL_sort(crl.get());
  if (X509_CRL_sign(crl.get(), signer.key.get(), EVP_sha256()) <= 0) {
    throw std::runtime_error("cannot sign the test CRL");
  }
  if (pem) {
    OpenSslPtr<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509_CRL(bio.get(), crl.get());
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
  }
  unsigned char* der = nullptr;
  int n = i2d_X509_CRL(crl.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

// A DER OCSP response for `leaf` (issued by `issuer`), signed by `signer`.
std::string MakeOcspResponse(const Issued& leaf, const Issued& issuer, const Issued& signer,
                             int status, unsigned long flags = OCSP_RESPID_KEY) {
  X509Ptr leaf_x = Native(leaf), issuer_x = Native(issuer), signer_x = Native(signer);
  OpenSslPtr<OCSP_CERTID, OCSP_CERTID_free> id(
      OCSP_cert_to_id(nullptr, leaf_x.get(), issuer_x.get()));
  OpenSslPtr<OCSP_BASICRESP, OCSP_BASICRESP_free> basic(OCSP_BASICRESP_new());
  const time_t now = time(nullptr);
  OpenSslPtr<ASN1_TIME, ASN1_TIME_free> this_update(ASN1_GENERALIZEDTIME_set(nullptr, now - 60));
  OpenSslPtr<ASN1_TIME, ASN1_TIME_free> next_update(ASN1_GENERALIZEDTIME_set(nullptr, now + 3600));
  OpenSslPtr<ASN1_TIME, ASN1_TIME_free> revoked_at(ASN1_GENERALIZEDTIME_set(nullptr, now - 120));
  OCSP_basic_add1_status(
      basic.get(), id.get(), status,
      status == V_OCSP_CERTSTATUS_REVOKED ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : 0,
      status == V_OCSP_CERTSTATUS_REVOKED ? revoked_at.get() : nullptr, this_update.get(),
      next_update.get());
  if (OCSP_basic_sign(basic.get(), signer_x.get(), signer.key.get(), EVP_sha256(), nullptr,
                      flags) != 1) {
    throw std::runtime_error("cannot sign the test OCSP response");
  }
  OpenSslPtr<OCSP_RESPONSE, OCSP_RESPONSE_free> resp(
      OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  unsigned char* der = nullptr;
  int n = i2d_OCSP_RESPONSE(resp.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

// A fake transport: canned answers by URL, counting requests.
struct FakeNet {
  std::map<std::string, std::string> answers;  // url -> body
  int requests = 0;
  Fetcher fetcher() {
    return [this](const FetchRequest& r) -> Result<std::string> {
      ++requests;
      auto it = answers.find(r.url);
      if (it == answers.end()) return Status::Internal("connection refused");
      return std::string(it->second);
    };
  }
};

struct Pki {
  Issued root = MakeRootCa("rev root");
  Issued inter = MakeIntermediateCa("rev issuing", root);
  Issued alice = MakeClientLeaf("alice", inter);
  Issued bob = MakeClientLeaf("bob", inter);
  // Its own key: pooled test keys repeat, and a shared key would make its
  // signatures the issuer's.
  Issued other_root = [] {
    CertSpec spec;
    spec.cn = "other root";
    spec.is_ca = true;
    spec.fresh_key = true;
    return testing::MakeSelfSigned(spec);
  }();
  std::vector<x509::Certificate> Chain(const Issued& leaf) const {
    return {leaf.cert, inter.cert, root.cert};
  }
};

RevocationChecker::Options Quiet(FakeNet* net = nullptr) {
  RevocationChecker::Options o;
  o.refresh_thread = false;
  o.log = nullptr;
  if (net != nullptr) o.fetch = net->fetcher();
  return o;
}

// A checker that asks only the OCSP responder at `url`, through `net`.
std::shared_ptr<RevocationChecker> OcspChecker(const std::string& url, FakeNet& net) {
  RevocationSettings s;
  s.ocsp = true;
  s.ocsp_responder = url;
  return RevocationChecker::Create(s, Quiet(&net));
}

// A checker that reads only the CRL file at `path`.
std::shared_ptr<RevocationChecker> CrlFileChecker(const std::string& path) {
  RevocationSettings s;
  s.crls = {path};
  return RevocationChecker::Create(s, Quiet());
}

TEST(RevocationChecker, NoSourceMeansNoChecker) {
  EXPECT_EQ(RevocationChecker::Create(RevocationSettings{}, Quiet()), nullptr);
}

TEST(RevocationChecker, CrlFileRevokesListedSerialsAndPassesOthers) {
  Pki p;
  TempDir dir;
  WriteFile(dir.Join("inter.crl"), MakeCrl(p.inter, p.inter, {&p.alice}, 86400));
  auto checker = CrlFileChecker(dir.Join("inter.crl"));
  ASSERT_NE(checker, nullptr);

  RevocationResult alice = checker->Check(p.Chain(p.alice), NowUnix());
  EXPECT_EQ(alice.status, RevocationStatus::kRevoked);
  EXPECT_NE(alice.detail.find(p.alice.cert.serial_hex()), std::string::npos) << alice.detail;
  EXPECT_EQ(checker->Check(p.Chain(p.bob), NowUnix()).status, RevocationStatus::kGood);
}

TEST(RevocationChecker, DerCrlFromAUrlIsReadToo) {
  Pki p;
  FakeNet net;
  net.answers["http://127.0.0.1:1/crl"] = MakeCrl(p.inter, p.inter, {&p.bob}, 86400, false);
  RevocationSettings s;
  s.crls = {"http://127.0.0.1:1/crl"};
  auto checker = RevocationChecker::Create(s, Quiet(&net));
  EXPECT_EQ(checker->Check(p.Chain(p.bob), NowUnix()).status, RevocationStatus::kRevoked);
  EXPECT_EQ(checker->Check(p.Chain(p.alice), NowUnix()).status, RevocationStatus::kGood);
}

TEST(RevocationChecker, IntermediateRevokedByTheRootsCrl) {
  Pki p;
  TempDir dir;
  WriteFile(dir.Join("root.crl"), MakeCrl(p.root, p.root, {&p.inter}, 86400));
  auto checker = CrlFileChecker(dir.Join("root.crl"));
  RevocationResult r = checker->Check(p.Chain(p.alice), NowUnix());
  EXPECT_EQ(r.status, RevocationStatus::kRevoked);
  EXPECT_NE(r.detail.find("rev issuing"), std::string::npos) << r.detail;
}

TEST(RevocationChecker, CrlOfAnotherIssuerDoesNotApply) {
  Pki p;
  TempDir dir;
  // Another CA "revokes" alice's serial: it has no say over her issuer's certificates.
  WriteFile(dir.Join("other.crl"), MakeCrl(p.other_root, p.other_root, {&p.alice}, 86400));
  auto checker = CrlFileChecker(dir.Join("other.crl"));
  EXPECT_EQ(checker->Check(p.Chain(p.alice), NowUnix()).status, RevocationStatus::kNotChecked);
}

TEST(RevocationChecker, ForgedCrlInTheIssuersNameIsUnavailableNotGood) {
  Pki p;
  TempDir dir;
  // Names alice's issuer but is signed by another key.
  WriteFile(dir.Join("forged.crl"), MakeCrl(p.inter, p.other_root, {}, 86400));
  auto checker = CrlFileChecker(dir.Join("forged.crl"));
  RevocationResult r = checker->Check(p.Chain(p.alice), NowUnix());
  EXPECT_EQ(r.status, RevocationStatus::kUnknown);
  EXPECT_NE(r.detail.find("not signed by"), std::string::npos) << r.detail;
}

TEST(RevocationChecker, ExpiredCrlIsUnavailable) {
  Pki p;
  TempDir dir;
  WriteFile(dir.Join("old.crl"), MakeCrl(p.inter, p.inter, {}, -60));
  auto checker = CrlFileChecker(dir.Join("old.crl"));
  RevocationResult r = checker->Check(p.Chain(p.alice), NowUnix());
  EXPECT_EQ(r.status, RevocationStatus::kUnknown);
  EXPECT_NE(r.detail.find("nextUpdate"), std::string::npos) << r.detail;
}

TEST(RevocationChecker, UnreadableSourceIsUnknownAndALaterFailureKeepsTheLastCrl) {
  Pki p;
  TempDir dir;
  auto checker = CrlFileChecker(dir.Join("inter.crl"));
  // Never read: it might be the CRL of alice's issuer.
  EXPECT_EQ(checker->Check(p.Chain(p.alice), NowUnix()).status, RevocationStatus::kUnknown);

  WriteFile(dir.Join("inter.crl"), MakeCrl(p.inter, p.inter, {&p.alice}, 86400));
  EXPECT_TRUE(checker->RefreshCrls().empty());
  EXPECT_EQ(checker->Check(p.Chain(p.alice), NowUnix()).status, RevocationStatus::kRevoked);

  WriteFile(dir.Join("inter.crl"), "garbage");
  EXPECT_EQ(checker->RefreshCrls().size(), 1u);
  EXPECT_EQ(checker->Check(p.Chain(p.alice), NowUnix()).status, RevocationStatus::kRevoked);
  EXPECT_NE(checker->DescribeCrls()[0].find("last refresh failed"), std::string::npos);
}

TEST(RevocationChecker, OcspAnswersAreVerifiedAndCached) {
  Pki p;
  FakeNet net;
  const std::string url = "http://127.0.0.1:1/ocsp";
  net.answers[url] = MakeOcspResponse(p.alice, p.inter, p.inter, V_OCSP_CERTSTATUS_GOOD);
  auto checker = OcspChecker(url, net);
  EXPECT_EQ(checker->Check(p.Chain(p.alice), NowUnix()).status, RevocationStatus::kGood);
  EXPECT_EQ(checker->Check(p.Chain(p.alice), NowUnix()).status, RevocationStatus::kGood);
  EXPECT_EQ(net.requests, 1);  // the second came from the cache

  // A response for alice does not answer for bob.
  EXPECT_EQ(checker->Check(p.Chain(p.bob), NowUnix()).status, RevocationStatus::kUnknown);
}

// Open connections re-check when version() moves: on every published CRL
// set and on an OCSP "revoked", not on a "good" answer.
TEST(RevocationChecker, VersionMovesWithNewCrlsAndRevokedOcspAnswers) {
  Pki p;
  TempDir dir;
  WriteFile(dir.Join("inter.crl"), MakeCrl(p.inter, p.inter, {}, 86400));
  auto crls = CrlFileChecker(dir.Join("inter.crl"));
  const uint64_t before = crls->version();
  EXPECT_EQ(crls->Check(p.Chain(p.alice), NowUnix()).status, RevocationStatus::kGood);
  EXPECT_EQ(crls->version(), before);
  WriteFile(dir.Join("inter.crl"), MakeCrl(p.inter, p.inter, {&p.alice}, 86400));
  crls->RefreshCrls();
  EXPECT_NE(crls->version(), before);

  FakeNet net;
  const std::string url = "http://127.0.0.1:1/ocsp";
  net.answers[url] = MakeOcspResponse(p.alice, p.inter, p.inter, V_OCSP_CERTSTATUS_GOOD);
  auto ocsp = OcspChecker(url, net);
  const uint64_t start = ocsp->version();
  EXPECT_EQ(ocsp->Check(p.Chain(p.alice), NowUnix()).status, RevocationStatus::kGood);
  EXPECT_EQ(ocsp->version(), start);
  net.answers[url] = MakeOcspResponse(p.bob, p.inter, p.inter, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(ocsp->Check(p.Chain(p.bob), NowUnix()).status, RevocationStatus::kRevoked);
  EXPECT_NE(ocsp->version(), start);
}

TEST(RevocationChecker, OcspRevokedFromADelegatedResponder) {
  Pki p;
  CertSpec spec;
  spec.cn = "rev ocsp responder";
  spec.eku = {"OCSPSigning"};
  spec.fresh_key = true;
  Issued responder = MakeIssued(spec, p.inter);
  FakeNet net;
  const std::string url = "http://127.0.0.1:1/ocsp";
  RevocationSettings s;
  s.ocsp = true;
  s.ocsp_responder = url;
  // Without its certificate in the response, a delegated responder cannot be trusted.
  net.answers[url] = MakeOcspResponse(p.alice, p.inter, responder, V_OCSP_CERTSTATUS_REVOKED,
                                      OCSP_RESPID_KEY | OCSP_NOCERTS);
  EXPECT_EQ(RevocationChecker::Create(s, Quiet(&net))->Check(p.Chain(p.alice), NowUnix()).status,
            RevocationStatus::kUnknown);

  net.answers[url] = MakeOcspResponse(p.alice, p.inter, responder, V_OCSP_CERTSTATUS_REVOKED);
  RevocationResult r =
      RevocationChecker::Create(s, Quiet(&net))->Check(p.Chain(p.alice), NowUnix());
  EXPECT_EQ(r.status, RevocationStatus::kRevoked);
  EXPECT_NE(r.detail.find("keyCompromise"), std::string::npos) << r.detail;
}

TEST(RevocationChecker, OcspFromAResponderWithoutOcspSigningIsNotBelieved) {
  Pki p;
  // Certified by the issuer, but for client auth only.
  CertSpec spec;
  spec.cn = "not a responder";
  spec.eku = {"clientAuth"};
  spec.fresh_key = true;
  Issued impostor = MakeIssued(spec, p.inter);
  FakeNet net;
  const std::string url = "http://127.0.0.1:1/ocsp";
  net.answers[url] = MakeOcspResponse(p.alice, p.inter, impostor, V_OCSP_CERTSTATUS_GOOD);
  RevocationSettings s;
  s.ocsp = true;
  s.ocsp_responder = url;
  RevocationResult r =
      RevocationChecker::Create(s, Quiet(&net))->Check(p.Chain(p.alice), NowUnix());
  EXPECT_EQ(r.status, RevocationStatus::kUnknown);
  EXPECT_NE(r.detail.find("not by the issuer"), std::string::npos) << r.detail;
}

TEST(RevocationChecker, OcspSignedByAStrangerIsNotBelieved) {
  Pki p;
  FakeNet net;
  const std::string url = "http://127.0.0.1:1/ocsp";
  // "Good", signed by an unrelated CA.
  net.answers[url] = MakeOcspResponse(p.alice, p.inter, p.other_root, V_OCSP_CERTSTATUS_GOOD);
  auto checker = OcspChecker(url, net);
  EXPECT_EQ(checker->Check(p.Chain(p.alice), NowUnix()).status, RevocationStatus::kUnknown);
}

TEST(RevocationChecker, DeadResponderIsUnknownAndRememberedBriefly) {
  Pki p;
  FakeNet net;  // no answers: every request fails
  RevocationSettings s;
  s.ocsp = true;
  s.ocsp_responder = "http://127.0.0.1:1/ocsp";
  auto checker = RevocationChecker::Create(s, Quiet(&net));
  const UnixSeconds now = NowUnix();
  RevocationResult r = checker->Check(p.Chain(p.alice), now);
  EXPECT_EQ(r.status, RevocationStatus::kUnknown);
  EXPECT_NE(r.detail.find("connection refused"), std::string::npos) << r.detail;
  EXPECT_EQ(checker->Check(p.Chain(p.alice), now + 1).status, RevocationStatus::kUnknown);
  EXPECT_EQ(net.requests, 1);  // the failure was cached
  checker->Check(p.Chain(p.alice), now + 60);
  EXPECT_EQ(net.requests, 2);  // and asked again after a while
}

TEST(RevocationChecker, OcspGoodOutweighsAnUnavailableCrl) {
  Pki p;
  TempDir dir;
  FakeNet net;
  const std::string url = "http://127.0.0.1:1/ocsp";
  net.answers[url] = MakeOcspResponse(p.alice, p.inter, p.inter, V_OCSP_CERTSTATUS_GOOD);
  WriteFile(dir.Join("old.crl"), MakeCrl(p.inter, p.inter, {}, -60));
  RevocationSettings s;
  s.crls = {dir.Join("old.crl")};
  s.ocsp = true;
  s.ocsp_responder = url;
  auto checker = RevocationChecker::Create(s, Quiet(&net));
  EXPECT_EQ(checker->Check(p.Chain(p.alice), NowUnix()).status, RevocationStatus::kGood);
}

// ClientVerifier with a checker: revoked fails like an invalid chain, also
// on a cache hit; unknown depends on the mode.
class VerifierRevocationTest : public ::testing::Test {
 protected:
  class Source : public TrustSetSource {
   public:
    TrustSetContent content;
    Result<std::string> Version() const override { return std::string("v1"); }
    Result<TrustSetContent> Load() const override { return content; }
    std::string Describe() const override { return "test"; }
  };

  void SetUp() override {
    auto source = std::make_unique<Source>();
    source->content.anchors.push_back({p_.root.cert, {"acme"}});
    holder_ = std::make_unique<TrustSnapshotHolder>(std::move(source), x509::VerifyOptions{});
    ASSERT_TRUE(holder_->Load().ok());
  }

  ConnectionTrust Verify(ClientVerifier& v, const Issued& leaf) {
    ConnectionTrust conn;
    conn.snapshot = holder_->Current();
    v.VerifyChain({leaf.cert.der(), p_.inter.cert.der()}, &conn);
    return conn;
  }

  Pki p_;
  TempDir dir_;
  std::unique_ptr<TrustSnapshotHolder> holder_;
};

TEST_F(VerifierRevocationTest, RevokedFailsAlsoOnACacheHit) {
  ClientVerifier v(*holder_, ClientValidation::kRejectInvalid, "cfg");
  ConnectionTrust before = Verify(v, p_.alice);
  ASSERT_TRUE(before.outcome.chain_verified) << before.detail;

  // The chain is cached now; a revocation published afterwards still counts.
  WriteFile(dir_.Join("inter.crl"), MakeCrl(p_.inter, p_.inter, {&p_.alice}, 86400));
  RevocationSettings s;
  s.crls = {dir_.Join("inter.crl")};
  v.SetRevocation(RevocationChecker::Create(s, Quiet()));
  ConnectionTrust after = Verify(v, p_.alice);
  EXPECT_TRUE(after.cache_hit);
  EXPECT_FALSE(after.outcome.chain_verified);
  EXPECT_EQ(after.outcome.error, "client_cert_revoked");
  EXPECT_EQ(after.revocation, "revoked");
  EXPECT_TRUE(after.tenants.empty());

  ConnectionTrust bob = Verify(v, p_.bob);
  EXPECT_TRUE(bob.outcome.chain_verified);
  EXPECT_EQ(bob.revocation, "good");
  EXPECT_EQ(bob.tenants, std::vector<std::string>{"acme"});
}

TEST_F(VerifierRevocationTest, UnknownStatusAdmitsUnderSoftFailOnly) {
  RevocationSettings s;
  s.ocsp = true;
  s.ocsp_responder = "http://127.0.0.1:1/ocsp";
  FakeNet net;  // the responder is down

  ClientVerifier soft(*holder_, ClientValidation::kRejectInvalid, "cfg");
  soft.SetRevocation(RevocationChecker::Create(s, Quiet(&net)));
  ConnectionTrust admitted = Verify(soft, p_.alice);
  EXPECT_TRUE(admitted.outcome.chain_verified);
  EXPECT_EQ(admitted.revocation, "unknown");

  s.mode = RevocationMode::kHardFail;
  ClientVerifier hard(*holder_, ClientValidation::kRejectInvalid, "cfg");
  hard.SetRevocation(RevocationChecker::Create(s, Quiet(&net)));
  ConnectionTrust refused = Verify(hard, p_.alice);
  EXPECT_FALSE(refused.outcome.chain_verified);
  EXPECT_EQ(refused.outcome.error, "client_cert_revocation_unknown");
  EXPECT_NE(refused.detail.find("OCSP"), std::string::npos) << refused.detail;
}

TEST(RevocationChecker, ReuseKeepsTheCheckerWhileSettingsAreEqual) {
  RevocationSettings s;
  s.ocsp = true;
  s.ocsp_responder = "http://127.0.0.1:1/ocsp";
  auto first = RevocationChecker::Reuse(nullptr, s);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(RevocationChecker::Reuse(first, s), first);
  s.mode = RevocationMode::kHardFail;
  auto second = RevocationChecker::Reuse(first, s);
  EXPECT_NE(second, first);
  EXPECT_EQ(second->mode(), RevocationMode::kHardFail);
  EXPECT_EQ(RevocationChecker::Reuse(second, RevocationSettings{}), nullptr);
}

}  // namespace
}  // namespace trustplane::gateway
