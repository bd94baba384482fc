#include "trustplane/pki/signer.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"
#include "trustplane/base/time.h"
#include "trustplane/pki/serial_number.h"
#include "unit/x509/openssl_cli.h"

namespace trustplane::pki {
namespace {

using testing::OpenSsl;
using testing::TempDir;
using testing::WriteFile;
using Names = std::vector<std::string>;

constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 24 * kHour;

constexpr char kConfig[] = R"({
  "signing": {
    "default": {"usages": ["signing", "key encipherment", "server auth", "client auth"], "expiry": "24h"},
    "profiles": {
      "server": {
        "usages": ["signing", "key encipherment", "server auth"],
        "expiry": "8760h",
        "ocsp_url": "http://ocsp.example.com",
        "crl_url": "http://crl.example.com/ca.crl"
      },
      "client": {"usages": ["digital signature", "client auth"], "expiry": "1h", "backdate": "10m"},
      "intermediate": {
        "usages": ["cert sign", "crl sign"],
        "expiry": "8760h",
        "ca_constraint": {"is_ca": true, "max_path_len": 0, "max_path_len_zero": true}
      },
      "restricted": {
        "usages": ["signing", "server auth"],
        "expiry": "1h",
        "name_whitelist": "([a-z0-9-]+\\.)*example\\.com"
      },
      "chosen-serial": {"usages": ["signing"], "expiry": "1h", "clientprovidesserialnumbers": true},
      "elsewhere": {"remote": "ca2"}
    }
  },
  "remotes": {"ca2": "https://ca2.example.com:8888"}
})";

SigningConfig Config() {
  auto config = ParseSigningConfig(kConfig);
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return std::move(config).value();
}

PrivateKey NewKey(const std::string& algo = "ecdsa", int size = 256) {
  auto key = PrivateKey::Generate(KeySpec{algo, size});
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(key).value();
}

Csr MakeCsr(const std::string& cn, const std::vector<std::string>& hosts, const PrivateKey& key,
            bool ca = false) {
  CertificateRequest r;
  r.subject.cn = cn;
  NameEntry n;
  n.o = "Acme";
  r.subject.names.push_back(n);
  r.hosts = hosts;
  if (ca) r.ca = CaSettings{};
  auto csr = Csr::Generate(r, key);
  EXPECT_TRUE(csr.ok()) << csr.status().ToString();
  return std::move(csr).value();
}

x509::Certificate Parse(const SignedCertificate& signed_cert) {
  auto cert = x509::Certificate::FromDer(signed_cert.der);
  EXPECT_TRUE(cert.ok()) << cert.status().ToString();
  return std::move(cert).value();
}

struct Ca {
  PrivateKey key;
  x509::Certificate cert;
};

// A root made the way `ca init` makes one: SelfSign with SigningProfile::ForCa.
Ca MakeCa(const std::string& cn, CaSettings settings = {}, const std::string& algo = "ecdsa",
          int size = 256) {
  PrivateKey key = NewKey(algo, size);
  CertificateRequest r;
  r.subject.cn = cn;
  r.ca = settings;
  auto csr = Csr::Generate(r, key);
  EXPECT_TRUE(csr.ok()) << csr.status().ToString();
  auto root = SelfSign(*csr, key, SigningProfile::ForCa(settings));
  EXPECT_TRUE(root.ok()) << root.status().ToString();
  return Ca{key, Parse(*root)};
}

Signer MakeSigner(const Ca& ca, SigningConfig config = Config()) {
  auto signer = Signer::Create(ca.cert, ca.key, std::move(config));
  EXPECT_TRUE(signer.ok()) << signer.status().ToString();
  return std::move(signer).value();
}

void ExpectCode(const Result<SignedCertificate>& r, ErrorCode code, const std::string& piece) {
  ASSERT_FALSE(r.ok()) << "signed";
  EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  EXPECT_NE(r.status().message().find(piece), std::string::npos) << r.status().message();
}

class SignerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ca_ = new Ca(MakeCa("Signer Test Root")); }
  static void TearDownTestSuite() {
    delete ca_;
    ca_ = nullptr;
  }
  // `openssl verify` of leaf (with intermediates) against the root.
  static std::string OpensslVerify(const TempDir& dir, const x509::Certificate& root,
                                   const std::vector<x509::Certificate>& intermediates,
                                   const std::string& leaf_pem, const std::string& purpose) {
    WriteFile(dir.Join("root.pem"), root.ToPem());
    WriteFile(dir.Join("leaf.pem"), leaf_pem);
    std::vector<std::string> args = {"verify", "-CAfile", dir.Join("root.pem")};
    if (!intermediates.empty()) {
      std::string pem;
      for (const auto& c : intermediates) pem += c.ToPem();
      WriteFile(dir.Join("untrusted.pem"), pem);
      args.insert(args.end(), {"-untrusted", dir.Join("untrusted.pem")});
    }
    if (!purpose.empty()) args.insert(args.end(), {"-purpose", purpose});
    args.push_back(dir.Join("leaf.pem"));
    return OpenSsl(args);
  }

  static Ca* ca_;
  PrivateKey leaf_key_ = NewKey();
  Csr leaf_csr_ = MakeCsr("svc.example.com", {"svc.example.com", "10.0.0.1"}, leaf_key_);
};
Ca* SignerTest::ca_ = nullptr;

TEST_F(SignerTest, IssuesACertificateOpensslVerifies) {
  const Signer signer = MakeSigner(*ca_);
  SignOptions options;
  options.profile = "server";
  auto issued = signer.Sign(leaf_csr_, options);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  const x509::Certificate cert = Parse(*issued);

  EXPECT_TRUE(cert.IsSignedBy(ca_->cert));
  EXPECT_EQ(cert.issuer(), ca_->cert.subject());
  EXPECT_EQ(cert.common_name(), "svc.example.com");
  EXPECT_EQ(cert.sans().dns, Names{"svc.example.com"});
  EXPECT_EQ(cert.sans().ip, Names{"10.0.0.1"});
  EXPECT_EQ(cert.authority_key_id(), ca_->cert.subject_key_id());
  EXPECT_EQ(issued->authority_key_id, ca_->cert.subject_key_id());
  EXPECT_EQ(cert.subject_key_id(), issued->subject_key_id);
  EXPECT_FALSE(issued->subject_key_id.empty());
  EXPECT_EQ(issued->common_name, "svc.example.com");
  EXPECT_EQ(issued->sans.Hosts(), (Names{"svc.example.com", "10.0.0.1"}));
  EXPECT_EQ(issued->ToPem(), cert.ToPem());

  TempDir dir;
  const std::string verdict = OpensslVerify(dir, ca_->cert, {}, issued->ToPem(), "sslserver");
  EXPECT_NE(verdict.find(": OK"), std::string::npos) << verdict;

  const std::string text = OpenSsl({"x509", "-in", dir.Join("leaf.pem"), "-noout", "-text"});
  for (const std::string& piece :
       Names{"Digital Signature, Key Encipherment", "TLS Web Server Authentication", "CA:FALSE",
             "OCSP - URI:http://ocsp.example.com", "URI:http://crl.example.com/ca.crl",
             "DNS:svc.example.com", "IP Address:10.0.0.1", "ecdsa-with-SHA256"}) {
    EXPECT_NE(text.find(piece), std::string::npos) << piece << " not in:\n" << text;
  }
  EXPECT_EQ(text.find("TLS Web Client Authentication"), std::string::npos) << text;
}

TEST_F(SignerTest, EachProfileGetsItsUsages) {
  const Signer signer = MakeSigner(*ca_);
  SignOptions options;

  options.profile = "client";
  auto client = signer.Sign(leaf_csr_, options);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  const x509::Certificate c = Parse(*client);
  EXPECT_TRUE(c.key_usage().present);
  EXPECT_TRUE(c.key_usage().digital_signature);
  EXPECT_FALSE(c.key_usage().key_encipherment);
  EXPECT_FALSE(c.key_usage().key_cert_sign);
  EXPECT_TRUE(c.extended_key_usage().Has("clientAuth"));
  EXPECT_FALSE(c.extended_key_usage().Has("serverAuth"));
  EXPECT_TRUE(c.basic_constraints().present);
  EXPECT_FALSE(c.basic_constraints().is_ca);

  options.profile = "";  // signing.default: cfssl's usages
  auto def = signer.Sign(leaf_csr_, options);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  const x509::Certificate d = Parse(*def);
  EXPECT_TRUE(d.key_usage().digital_signature);
  EXPECT_TRUE(d.key_usage().key_encipherment);
  EXPECT_TRUE(d.extended_key_usage().Has("serverAuth"));
  EXPECT_TRUE(d.extended_key_usage().Has("clientAuth"));

  TempDir dir;
  const std::string verdict = OpensslVerify(dir, ca_->cert, {}, client->ToPem(), "sslclient");
  EXPECT_NE(verdict.find(": OK"), std::string::npos) << verdict;
}

TEST_F(SignerTest, ValidityFollowsTheProfile) {
  const Signer signer = MakeSigner(*ca_);
  SignOptions options;
  options.profile = "client";
  options.now = 1800000000 - 10 * kDay;  // a whole minute, inside the CA's life
  ASSERT_TRUE(ca_->cert.IsValidAt(options.now));
  auto issued = signer.Sign(leaf_csr_, options);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_EQ(issued->not_before, options.now - 600);  // backdate 10m
  EXPECT_EQ(issued->not_after, issued->not_before + kHour);
  EXPECT_FALSE(issued->not_after_clamped);
  const x509::Certificate cert = Parse(*issued);
  EXPECT_EQ(cert.not_before(), issued->not_before);
  EXPECT_EQ(cert.not_after(), issued->not_after);

  options.profile = "";  // cfssl's default backdate of 5 minutes
  auto def = signer.Sign(leaf_csr_, options);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->not_before, options.now - 300);
  EXPECT_EQ(def->not_after, def->not_before + kDay);
}

TEST_F(SignerTest, SerialsArePositiveShortAndDistinct) {
  const Signer signer = MakeSigner(*ca_);
  std::set<std::string> serials;
  constexpr int kCount = 500;  // several refills of the per-thread pool of random bytes
  for (int i = 0; i < kCount; ++i) {
    auto issued = signer.Sign(leaf_csr_);
    ASSERT_TRUE(issued.ok()) << issued.status().ToString();
    const x509::Certificate cert = Parse(*issued);
    const std::string& content = cert.serial_der_content();
    ASSERT_FALSE(content.empty());
    EXPECT_LE(content.size(), kMaxSerialOctets) << cert.serial_hex();
    EXPECT_EQ(static_cast<unsigned char>(content[0]) & 0x80, 0)
        << "negative serial " << cert.serial_hex();
    EXPECT_NE(cert.serial_hex().find_first_not_of('0'), std::string::npos) << "zero serial";
    EXPECT_EQ(issued->serial_hex(), cert.serial_hex());
    EXPECT_EQ(issued->serial_decimal(), cert.serial_decimal());
    serials.insert(cert.serial_hex());
  }
  EXPECT_EQ(serials.size(), static_cast<size_t>(kCount));
}

// Serials come from a per-thread pool of CSPRNG bytes; a forked child must
// not hand out the serials its parent goes on to hand out.
TEST(SerialNumberTest, AForkedChildDoesNotRepeatItsParentsSerials) {
  RandomSerialNumber();  // the pool is filled before the fork
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string mine = RandomSerialNumber();
    _exit(write(fds[1], mine.data(), mine.size()) == static_cast<ssize_t>(mine.size()) ? 0 : 1);
  }
  close(fds[1]);
  const std::string parents = RandomSerialNumber();
  std::string childs(kMaxSerialOctets, '\0');
  EXPECT_EQ(read(fds[0], childs.data(), childs.size()), static_cast<ssize_t>(childs.size()));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(childs, parents);
}

TEST_F(SignerTest, ClientChosenSerialsOnlyWhereTheProfileAllows) {
  const Signer signer = MakeSigner(*ca_);
  SignOptions options;
  options.profile = "chosen-serial";
  ExpectCode(signer.Sign(leaf_csr_, options), ErrorCode::kInvalidArgument, "chosen-serial");

  options.serial = std::string("\x01\x02\x03\xfe", 4);
  auto issued = signer.Sign(leaf_csr_, options);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_EQ(Parse(*issued).serial_hex(), "010203fe");
  EXPECT_EQ(issued->serial_decimal(), "16909310");

  options.serial = std::string(3, '\0');
  ExpectCode(signer.Sign(leaf_csr_, options), ErrorCode::kPolicy, "lint serial-number");
  options.serial = std::string(21, '\x11');
  ExpectCode(signer.Sign(leaf_csr_, options), ErrorCode::kPolicy, "lint serial-number");

  options.profile = "server";
  options.serial = std::string("\x01", 1);
  ExpectCode(signer.Sign(leaf_csr_, options), ErrorCode::kPolicy, "server");
}

TEST(SignerClampTest, NotAfterIsClampedToTheCas) {
  CaSettings short_lived;
  short_lived.expiry_seconds = 30 * kDay;
  const Ca ca = MakeCa("Short-lived CA", short_lived);
  const Signer signer = MakeSigner(ca);
  const PrivateKey key = NewKey();
  const Csr csr = MakeCsr("svc.example.com", {"svc.example.com"}, key);

  SignOptions options;
  options.profile = "server";  // 8760h, far past the CA
  auto issued = signer.Sign(csr, options);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_TRUE(issued->not_after_clamped);
  EXPECT_EQ(issued->not_after, ca.cert.not_after());
  EXPECT_EQ(Parse(*issued).not_after(), ca.cert.not_after());

  options.profile = "";  // 24h fits
  auto fits = signer.Sign(csr, options);
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_FALSE(fits->not_after_clamped);
  EXPECT_LT(fits->not_after, ca.cert.not_after());

  TempDir dir;
  WriteFile(dir.Join("ca.pem"), ca.cert.ToPem());
  WriteFile(dir.Join("leaf.pem"), issued->ToPem());
  const std::string end = OpenSsl({"x509", "-in", dir.Join("leaf.pem"), "-noout", "-enddate"});
  const std::string ca_end = OpenSsl({"x509", "-in", dir.Join("ca.pem"), "-noout", "-enddate"});
  EXPECT_EQ(end, ca_end);
}

TEST(SignerExpiredCaTest, RefusesToIssueUnderAnExpiredCa) {
  testing::CertSpec spec;
  spec.cn = "Expired CA";
  spec.is_ca = true;
  spec.not_before = NowUnix() - 30 * kDay;
  spec.not_after = NowUnix() - kDay;
  const testing::Issued expired = testing::MakeSelfSigned(spec);
  auto key = PrivateKey::FromPem(expired.key_pem);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto signer = Signer::Create(expired.cert, *key, Config());
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  const PrivateKey leaf_key = NewKey();
  ExpectCode(signer->Sign(MakeCsr("svc.example.com", {"svc.example.com"}, leaf_key)),
             ErrorCode::kPolicy, "lint issuer-expired");
}

TEST_F(SignerTest, CaRequestUnderALeafProfileIsRefused) {
  const Signer signer = MakeSigner(*ca_);
  const PrivateKey key = NewKey();
  const Csr ca_csr = MakeCsr("Sneaky CA", {}, key, /*ca=*/true);
  ASSERT_TRUE(ca_csr.requests_ca());
  for (const std::string& profile : Names{"", "server", "client", "restricted"}) {
    SignOptions options;
    options.profile = profile;
    ExpectCode(signer.Sign(ca_csr, options), ErrorCode::kPolicy, "CA:TRUE");
  }
}

TEST_F(SignerTest, IssuesAnIntermediateUnderACaProfile) {
  const Signer signer = MakeSigner(*ca_);
  const PrivateKey inter_key = NewKey();
  SignOptions options;
  options.profile = "intermediate";
  auto inter = signer.Sign(MakeCsr("Acme Issuing CA", {}, inter_key, /*ca=*/true), options);
  ASSERT_TRUE(inter.ok()) << inter.status().ToString();
  const x509::Certificate inter_cert = Parse(*inter);
  EXPECT_TRUE(inter_cert.basic_constraints().is_ca);
  EXPECT_TRUE(inter_cert.basic_constraints().critical);
  EXPECT_EQ(inter_cert.basic_constraints().path_len, 0);
  EXPECT_TRUE(inter_cert.key_usage().key_cert_sign);
  EXPECT_TRUE(inter_cert.key_usage().crl_sign);

  // The intermediate signs a leaf; openssl accepts the whole chain.
  const Signer issuing = MakeSigner(Ca{inter_key, inter_cert});
  auto leaf = issuing.Sign(leaf_csr_);
  ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
  EXPECT_EQ(Parse(*leaf).authority_key_id(), inter_cert.subject_key_id());
  TempDir dir;
  const std::string verdict =
      OpensslVerify(dir, ca_->cert, {inter_cert}, leaf->ToPem(), "sslserver");
  EXPECT_NE(verdict.find(": OK"), std::string::npos) << verdict;

  // pathlen 0: the intermediate cannot issue another CA.
  const PrivateKey sub_key = NewKey();
  ExpectCode(issuing.Sign(MakeCsr("Too Deep CA", {}, sub_key, /*ca=*/true), options),
             ErrorCode::kPolicy, "lint issuer-pathlen");
}

TEST_F(SignerTest, NameConstraintsOfACaAboveTheIssuerBoundWhatItIssues) {
  CaSettings constrained;
  constrained.path_len = 1;
  NameConstraints nc;
  nc.permitted.dns = {"example.com"};
  constrained.name_constraints = nc;
  const Ca root = MakeCa("Constrained Root", constrained);
  const PrivateKey inter_key = NewKey();
  SignOptions ca_profile;
  ca_profile.profile = "intermediate";
  auto inter = MakeSigner(root).Sign(MakeCsr("Unconstrained Issuing CA", {}, inter_key, /*ca=*/true), ca_profile);
  ASSERT_TRUE(inter.ok()) << inter.status().ToString();
  const x509::Certificate inter_cert = Parse(*inter);
  const PrivateKey leaf_key = NewKey();
  const Csr outside = MakeCsr("svc.example.net", {"svc.example.net"}, leaf_key);
  TempDir dir;

  // Given the chain (as a CA file holding the intermediate and then the
  // root), the intermediate refuses a name its root does not permit.
  auto chained = Signer::Create(inter_cert, inter_key, Config(), {root.cert});
  ASSERT_TRUE(chained.ok()) << chained.status().ToString();
  ExpectCode(chained->Sign(outside), ErrorCode::kPolicy,
             "'svc.example.net' is outside permitted dns [example.com] of the CA certificate CN=Constrained Root "
             "above the issuer");
  auto inside = chained->Sign(MakeCsr("svc.example.com", {"svc.example.com"}, leaf_key));
  ASSERT_TRUE(inside.ok()) << inside.status().ToString();
  EXPECT_NE(OpensslVerify(dir, root.cert, {inter_cert}, inside->ToPem(), "sslserver").find(": OK"),
            std::string::npos);

  // Without it, the certificate is issued, and no verifier would accept it.
  auto unchained = MakeSigner(Ca{inter_key, inter_cert}).Sign(outside);
  ASSERT_TRUE(unchained.ok()) << unchained.status().ToString();
  WriteFile(dir.Join("inter.pem"), inter_cert.ToPem());
  WriteFile(dir.Join("outside.pem"), unchained->ToPem());
  const auto verdict = testing::RunProcess({"openssl", "verify", "-CAfile", dir.Join("root.pem"), "-untrusted",
                                            dir.Join("inter.pem"), dir.Join("outside.pem")});
  EXPECT_NE(verdict.exit_code, 0) << verdict.out;
  EXPECT_NE((verdict.out + verdict.err).find("permitted subtree violation"), std::string::npos)
      << verdict.out << verdict.err;

  // A certificate that did not issue the intermediate adds no constraints.
  const Ca stranger = MakeCa("Constrained Stranger", constrained);
  auto unrelated = Signer::Create(inter_cert, inter_key, Config(), {stranger.cert});
  ASSERT_TRUE(unrelated.ok()) << unrelated.status().ToString();
  EXPECT_TRUE(unrelated->Sign(outside).ok());
}

TEST_F(SignerTest, UnknownProfileIsNotFound) {
  const Signer signer = MakeSigner(*ca_);
  SignOptions options;
  options.profile = "servre";
  ExpectCode(signer.Sign(leaf_csr_, options), ErrorCode::kNotFound, "servre");
  const auto r = signer.Sign(leaf_csr_, options);
  EXPECT_NE(r.status().message().find("server"), std::string::npos) << r.status().message();
}

TEST_F(SignerTest, ADefaultProfileWithoutUsagesCannotSign) {
  // The config accepts it, as cfssl does, but there is nothing to issue (cfssl: NoKeyUsages).
  auto config = ParseSigningConfig(R"({"signing": {"default": {"expiry": "24h"}}})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const Signer signer = MakeSigner(*ca_, std::move(config).value());
  ExpectCode(signer.Sign(leaf_csr_), ErrorCode::kPolicy, "lint no-key-usage");
}

TEST_F(SignerTest, RemoteProfilesAreNotSignedHere) {
  const Signer signer = MakeSigner(*ca_);
  SignOptions options;
  options.profile = "elsewhere";
  ExpectCode(signer.Sign(leaf_csr_, options), ErrorCode::kPolicy, "ca2");
}

TEST_F(SignerTest, HostsOverrideReplacesTheCsrsSans) {
  const Signer signer = MakeSigner(*ca_);
  SignOptions options;
  options.hosts =
      Names{"api.example.com", "192.0.2.7", "::1", "ops@example.com", "spiffe://acme/ns/a/sa/b"};
  auto issued = signer.Sign(leaf_csr_, options);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  const x509::Certificate cert = Parse(*issued);
  EXPECT_EQ(cert.sans().dns, Names{"api.example.com"});
  EXPECT_EQ(cert.sans().ip, (Names{"192.0.2.7", "::1"}));
  EXPECT_EQ(cert.sans().email, Names{"ops@example.com"});
  EXPECT_EQ(cert.sans().uri, Names{"spiffe://acme/ns/a/sa/b"});
  EXPECT_EQ(cert.spiffe_id(), "spiffe://acme/ns/a/sa/b");
  EXPECT_EQ(issued->sans.dns, Names{"api.example.com"});
  EXPECT_EQ(cert.common_name(), "svc.example.com");  // the subject is untouched

  // Without the override the CSR's SANs are used.
  auto plain = signer.Sign(leaf_csr_);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(Parse(*plain).sans().dns, Names{"svc.example.com"});
  EXPECT_EQ(Parse(*plain).sans().ip, Names{"10.0.0.1"});

  // Override hosts are linted like any other.
  options.hosts = Names{"bad..example.com"};
  ExpectCode(signer.Sign(leaf_csr_, options), ErrorCode::kPolicy, "lint san-dns-syntax");
}

TEST_F(SignerTest, SubjectOverrideFillsFromTheCsr) {
  const Signer signer = MakeSigner(*ca_);
  SignOptions options;
  options.subject = Subject{};
  options.subject->cn = "override.example.com";
  auto issued = signer.Sign(leaf_csr_, options);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  const x509::Certificate cert = Parse(*issued);
  EXPECT_EQ(cert.common_name(), "override.example.com");
  EXPECT_NE(cert.subject().find("O=Acme"), std::string::npos) << cert.subject();
  EXPECT_EQ(issued->common_name, "override.example.com");
}

TEST_F(SignerTest, NameWhitelistMustMatchWholeNames) {
  const Signer signer = MakeSigner(*ca_);
  SignOptions options;
  options.profile = "restricted";
  auto ok = signer.Sign(leaf_csr_, options);  // CN and DNS svc.example.com; IPs are not checked
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();

  const PrivateKey key = NewKey();
  // A whitelisted name as a prefix is not enough.
  ExpectCode(signer.Sign(MakeCsr("example.com.evil.net", {"svc.example.com"}, key), options),
             ErrorCode::kPolicy, "example.com.evil.net");
  ExpectCode(
      signer.Sign(MakeCsr("svc.example.com", {"svc.example.com", "svc.example.com.evil.net"}, key),
                  options),
      ErrorCode::kPolicy, "svc.example.com.evil.net");
  ExpectCode(signer.Sign(MakeCsr("svc.example.com", {"evilexample.com"}, key), options),
             ErrorCode::kPolicy, "name_whitelist");
  // Overrides are checked too.
  options.hosts = Names{"svc.example.org"};
  ExpectCode(signer.Sign(leaf_csr_, options), ErrorCode::kPolicy, "svc.example.org");
  options.hosts = Names{"a.b.example.com", "10.9.9.9"};
  auto deep = signer.Sign(leaf_csr_, options);
  EXPECT_TRUE(deep.ok()) << deep.status().ToString();
  // So is a subject override's CN.
  options.hosts.reset();
  options.subject = Subject{};
  options.subject->cn = "evil.net";
  ExpectCode(signer.Sign(leaf_csr_, options), ErrorCode::kPolicy, "evil.net");
}

TEST_F(SignerTest, RefusesAKeyThatIsNotTheCas) {
  const PrivateKey other = NewKey();
  auto signer = Signer::Create(ca_->cert, other, Config());
  ASSERT_FALSE(signer.ok());
  EXPECT_EQ(signer.status().code(), ErrorCode::kInvalidArgument) << signer.status().ToString();
  EXPECT_NE(signer.status().message().find("does not belong"), std::string::npos);

  // A key of another type altogether.
  auto rsa = Signer::Create(ca_->cert, NewKey("rsa", 2048), Config());
  ASSERT_FALSE(rsa.ok());
  EXPECT_EQ(rsa.status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(SignerTest, RefusesALeafAsTheCa) {
  const Signer signer = MakeSigner(*ca_);
  auto leaf = signer.Sign(leaf_csr_);
  ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
  auto as_ca = Signer::Create(Parse(*leaf), leaf_key_, Config());
  ASSERT_FALSE(as_ca.ok());
  EXPECT_EQ(as_ca.status().code(), ErrorCode::kPolicy);
  EXPECT_EQ(as_ca.status().message().rfind("lint issuer-not-ca", 0), 0u)
      << as_ca.status().message();
}

TEST_F(SignerTest, RefusesWeakCsrKeysMadeByOpenssl) {
  TempDir dir;
  testing::ProcessResult r = testing::RunProcess(
      {"openssl", "req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", dir.Join("k.pem"),
       "-subj", "/CN=weak.example.com", "-out", dir.Join("csr.pem")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto csr = Csr::FromPem(testing::ReadFile(dir.Join("csr.pem")));
  ASSERT_TRUE(csr.ok()) << csr.status().ToString();
  const Signer signer = MakeSigner(*ca_);
  ExpectCode(signer.Sign(*csr), ErrorCode::kPolicy, "lint weak-subject-key");
}

TEST_F(SignerTest, ConcurrentSignsAllSucceedWithDistinctSerials) {
  const Signer signer = MakeSigner(*ca_);
  constexpr int kThreads = 4, kEach = 25;
  std::mutex mu;
  std::vector<std::string> serials;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SignOptions options;
      options.profile = t % 2 == 0 ? "server" : "client";
      for (int i = 0; i < kEach; ++i) {
        auto issued = signer.Sign(leaf_csr_, options);
        std::lock_guard<std::mutex> lock(mu);
        if (!issued.ok()) {
          errors.push_back(issued.status().ToString());
          continue;
        }
        auto cert = x509::Certificate::FromDer(issued->der);
        if (!cert.ok() || !cert->IsSignedBy(ca_->cert)) {
          errors.push_back("bad certificate from thread " + std::to_string(t));
          continue;
        }
        serials.push_back(issued->serial_hex());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(serials.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(std::set<std::string>(serials.begin(), serials.end()).size(), serials.size());
}

TEST_F(SignerTest, CsrWhitelistKeepsOnlyTheListedFields) {
  auto config = ParseSigningConfig(R"({"signing": {"profiles": {"dns-only": {
      "usages": ["signing", "server auth"], "expiry": "1h",
      "CSRWhitelist": {"PublicKey": true, "PublicKeyAlgorithm": true, "DNSNames": true}}}}})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const Signer signer = MakeSigner(*ca_, std::move(config).value());
  SignOptions options;
  options.profile = "dns-only";
  auto issued = signer.Sign(leaf_csr_, options);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  const x509::Certificate cert = Parse(*issued);
  EXPECT_EQ(cert.subject(), "");
  EXPECT_EQ(cert.sans().dns, Names{"svc.example.com"});
  EXPECT_TRUE(cert.sans().ip.empty());
  // With an empty subject the SAN carries the identity and must be critical (RFC 5280 4.2.1.6).
  TempDir dir;
  WriteFile(dir.Join("leaf.pem"), issued->ToPem());
  const std::string text = OpenSsl({"x509", "-in", dir.Join("leaf.pem"), "-noout", "-text"});
  EXPECT_NE(text.find("X509v3 Subject Alternative Name: critical"), std::string::npos) << text;

  // Nothing left to name the subject: the lint refuses.
  const PrivateKey key = NewKey();
  ExpectCode(signer.Sign(MakeCsr("no-sans.example.com", {"10.0.0.1"}, key), options),
             ErrorCode::kPolicy, "lint empty-subject-no-san");
}

TEST_F(SignerTest, DropsSanKindsItDoesNotCopy) {
  TempDir dir;
  testing::ProcessResult r = testing::RunProcess(
      {"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", dir.Join("k.pem"), "-subj", "/CN=other.example.com", "-addext",
       "subjectAltName=DNS:other.example.com,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example."
       "com",
       "-out", dir.Join("csr.pem")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto csr = Csr::FromPem(testing::ReadFile(dir.Join("csr.pem")));
  ASSERT_TRUE(csr.ok()) << csr.status().ToString();
  ASSERT_TRUE(csr->has_other_sans());
  auto issued = MakeSigner(*ca_).Sign(*csr);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  WriteFile(dir.Join("leaf.pem"), issued->ToPem());
  const std::string text =
      OpenSsl({"x509", "-in", dir.Join("leaf.pem"), "-noout", "-ext", "subjectAltName"});
  EXPECT_NE(text.find("DNS:other.example.com"), std::string::npos) << text;
  EXPECT_EQ(text.find("othername"), std::string::npos) << text;
  EXPECT_EQ(text.find("user@example.com"), std::string::npos) << text;
}

TEST_F(SignerTest, CertifiesEveryLeafKeyKindAsRequested) {
  const Signer signer = MakeSigner(*ca_);
  for (const KeySpec& spec : {KeySpec{"ecdsa", 384}, KeySpec{"ecdsa", 521}, KeySpec{"rsa", 2048},
                              KeySpec{"ed25519", 0}}) {
    SCOPED_TRACE(spec.algo + " " + std::to_string(spec.size));
    const PrivateKey key = NewKey(spec.algo, spec.size);
    const Csr csr = MakeCsr("svc.example.com", {"svc.example.com"}, key);
    auto issued = signer.Sign(csr);
    ASSERT_TRUE(issued.ok()) << issued.status().ToString();
    const x509::Certificate cert = Parse(*issued);
    EXPECT_EQ(cert.public_key().description, key.public_key().description);
    TempDir dir;
    WriteFile(dir.Join("csr.pem"), csr.ToPem());
    const std::string verdict = OpensslVerify(dir, ca_->cert, {}, issued->ToPem(), "");
    EXPECT_NE(verdict.find(": OK"), std::string::npos) << verdict;
    // The certificate holds exactly the CSR's key.
    EXPECT_EQ(OpenSsl({"x509", "-in", dir.Join("leaf.pem"), "-noout", "-pubkey"}),
              OpenSsl({"req", "-in", dir.Join("csr.pem"), "-noout", "-pubkey"}));
  }
}

TEST(SignerKeyIdTest, KeyIdsAreTheSha1OfTheKeyBitsAsOpensslComputesThem) {
  // The same keys certified by test_pki, whose SKI is OpenSSL's "hash" method (RFC 5280 4.2.1.2
  // (1)).
  const auto ca_key = testing::TestKey(testing::KeyKind::kEcP256, /*fresh=*/true);
  const auto leaf_key = testing::TestKey(testing::KeyKind::kEcP256, /*fresh=*/true);
  testing::CertSpec with_ski;
  with_ski.cn = "CA with SKI";
  with_ski.is_ca = true;
  with_ski.use_key = ca_key;
  const testing::Issued reference_ca = testing::MakeSelfSigned(with_ski);
  testing::CertSpec without_ski = with_ski;
  without_ski.cn = "CA without SKI";
  without_ski.skid_akid = false;
  const testing::Issued bare_ca = testing::MakeSelfSigned(without_ski);
  ASSERT_EQ(bare_ca.cert.subject_key_id(), "");
  testing::CertSpec leaf_spec;
  leaf_spec.cn = "leaf";
  leaf_spec.use_key = leaf_key;
  const testing::Issued reference_leaf = testing::MakeSelfSigned(leaf_spec);

  auto key = PrivateKey::FromPem(bare_ca.key_pem);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto signer = Signer::Create(bare_ca.cert, *key, Config());
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  auto leaf_private = PrivateKey::FromPem(reference_leaf.key_pem);
  ASSERT_TRUE(leaf_private.ok()) << leaf_private.status().ToString();
  auto issued = signer->Sign(MakeCsr("svc.example.com", {"svc.example.com"}, *leaf_private));
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  const x509::Certificate cert = Parse(*issued);
  EXPECT_EQ(cert.authority_key_id(), reference_ca.cert.subject_key_id());
  EXPECT_EQ(cert.subject_key_id(), reference_leaf.cert.subject_key_id());
  EXPECT_TRUE(cert.IsSignedBy(bare_ca.cert));
}

TEST(SelfSignTest, MakesARootOpensslAccepts) {
  CaSettings settings;
  settings.path_len = 2;
  const Ca ca = MakeCa("Acme Root", settings);
  EXPECT_TRUE(ca.cert.IsSelfIssued());
  EXPECT_TRUE(ca.cert.VerifySelfSignature());
  EXPECT_TRUE(ca.cert.basic_constraints().is_ca);
  EXPECT_EQ(ca.cert.basic_constraints().path_len, 2);
  EXPECT_TRUE(ca.cert.key_usage().key_cert_sign);
  EXPECT_TRUE(ca.cert.key_usage().crl_sign);
  EXPECT_EQ(ca.cert.authority_key_id(), "");
  EXPECT_FALSE(ca.cert.subject_key_id().empty());
  // cfssl's CA default: 5 years.
  EXPECT_EQ(ca.cert.not_after() - ca.cert.not_before(), 43800 * kHour);

  TempDir dir;
  WriteFile(dir.Join("ca.pem"), ca.cert.ToPem());
  const std::string verdict =
      OpenSsl({"verify", "-CAfile", dir.Join("ca.pem"), dir.Join("ca.pem")});
  EXPECT_NE(verdict.find(": OK"), std::string::npos) << verdict;
}

TEST(SelfSignTest, RefusesAKeyThatIsNotTheCsrs) {
  const PrivateKey key = NewKey();
  const PrivateKey other = NewKey();
  CertificateRequest r;
  r.subject.cn = "Mismatch Root";
  r.ca = CaSettings{};
  auto csr = Csr::Generate(r, key);
  ASSERT_TRUE(csr.ok());
  auto root = SelfSign(*csr, other, SigningProfile::ForCa(*r.ca));
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().code(), ErrorCode::kInvalidArgument);
}

// Every CA key kind signs certificates openssl accepts, with cfssl's digest choice.
TEST(SignerKeyKindsTest, EveryCaKeyKindSigns) {
  struct Case {
    std::string algo;
    int size;
    std::string algorithm;
  };
  for (const Case& c :
       {Case{"ecdsa", 256, "ecdsa-with-SHA256"}, Case{"ecdsa", 384, "ecdsa-with-SHA384"},
        Case{"rsa", 2048, "sha256WithRSAEncryption"}, Case{"ed25519", 0, "ED25519"}}) {
    SCOPED_TRACE(c.algo + " " + std::to_string(c.size));
    const Ca ca = MakeCa("Root " + c.algo, {}, c.algo, c.size);
    EXPECT_EQ(ca.cert.signature_algorithm(), c.algorithm);
    const Signer signer = MakeSigner(ca);
    const PrivateKey key = NewKey();
    auto issued = signer.Sign(MakeCsr("svc.example.com", {"svc.example.com"}, key));
    ASSERT_TRUE(issued.ok()) << issued.status().ToString();
    const x509::Certificate cert = Parse(*issued);
    EXPECT_EQ(cert.signature_algorithm(), c.algorithm);
    EXPECT_TRUE(cert.IsSignedBy(ca.cert));
    TempDir dir;
    WriteFile(dir.Join("ca.pem"), ca.cert.ToPem());
    WriteFile(dir.Join("leaf.pem"), issued->ToPem());
    const std::string verdict =
        OpenSsl({"verify", "-CAfile", dir.Join("ca.pem"), dir.Join("leaf.pem")});
    EXPECT_NE(verdict.find(": OK"), std::string::npos) << verdict;
  }
}

}  // namespace
}  // namespace trustplane::pki
