// Envelope encryption and KEK rotation, run against both KEK providers: the
// local key file and PKCS#11 on a real SoftHSM2 token made by the test setup.
#include "trustplane/crypto/envelope.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <map>
#include <memory>

#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"
#include "trustplane/base/encoding.h"
#include "trustplane/crypto/aes_key_wrap.h"
#include "trustplane/crypto/key_file.h"
#include "trustplane/crypto/pkcs11_provider.h"
#include "trustplane/crypto/rotation.h"

namespace trustplane::crypto {
namespace {

using testing::RunProcess;
using testing::TempDir;

constexpr char kModule[] = "/usr/lib/softhsm/libsofthsm2.so";
constexpr char kPin[] = "1234";

// One SoftHSM2 configuration (its own token directory) for the whole test
// process; each test gets a fresh token in it. SOFTHSM2_CONF is read when
// the module initializes, which happens after this has run.
class SoftHsm {
 public:
  static SoftHsm& Get() {
    static SoftHsm hsm;  // removed at exit, after every provider has closed
    return hsm;
  }
  // Initializes a new token; returns "" on success or what failed.
  std::string NewToken(const std::string& label) {
    auto r = RunProcess({"softhsm2-util", "--init-token", "--free", "--label", label, "--pin", kPin,
                         "--so-pin", "87654321"},
                        env_);
    if (r.exit_code != 0) return "softhsm2-util (Debian package softhsm2) failed: " + r.err;
    return "";
  }
  // Runs pkcs11-tool (Debian package opensc) logged in to the token.
  std::string Tool(const std::string& label, std::vector<std::string> args) {
    std::vector<std::string> argv = {"pkcs11-tool", "--module", kModule, "--token-label",
                                     label,         "--login",  "--pin", kPin};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunProcess(argv, env_);
    if (r.exit_code != 0) return "pkcs11-tool (Debian package opensc) failed: " + r.err;
    return "";
  }
  std::string Uri(const std::string& token, const std::string& object) const {
    return "pkcs11:token=" + token + ";object=" + object + "?module-path=" + kModule +
           "&pin-value=" + kPin;
  }

 private:
  SoftHsm() {
    WriteFile(dir_.Join("tokens/.keep"), "");
    WriteFile(dir_.Join("softhsm2.conf"), "directories.tokendir = " + dir_.Join("tokens") +
                                              "\nobjectstore.backend = file\nlog.level = ERROR\n");
    env_["SOFTHSM2_CONF"] = dir_.Join("softhsm2.conf");
    setenv("SOFTHSM2_CONF", env_["SOFTHSM2_CONF"].c_str(), 1);
  }
  static void WriteFile(const std::string& path, const std::string& content) {
    testing::WriteFile(path, content);
  }
  TempDir dir_;
  std::map<std::string, std::string> env_;
};

std::string NextTokenLabel() {
  static int counter = 0;
  return "tp-test-" + std::to_string(++counter);
}

enum class Backend { kKeyFile, kPkcs11 };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kKeyFile ? "KeyFile" : "Pkcs11";
}

class EnvelopeTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kKeyFile) {
      spec_ = "file:" + dir_.Join("kek.keys");
      ASSERT_TRUE(CreateKeyFile(dir_.Join("kek.keys")).ok());
    } else {
      // The KEK's first version is made by an independent tool, as an operator would.
      std::string token = NextTokenLabel();
      ASSERT_EQ(SoftHsm::Get().NewToken(token), "");
      ASSERT_EQ(SoftHsm::Get().Tool(token, {"--keygen", "--key-type", "AES:32", "--label", "kek",
                                            "--id", "01", "--usage-wrap"}),
                "");
      spec_ = SoftHsm::Get().Uri(token, "kek");
    }
    kek_ = Reopen();
    ASSERT_NE(kek_, nullptr);
  }

  // A second, independent handle on the same KEK (as another process would have).
  std::unique_ptr<KekProvider> Reopen() {
    auto p = OpenKekProvider(spec_);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : nullptr;
  }

  std::string MustSeal(std::string_view plaintext, const EnvelopeContext& ctx) {
    auto sealed = Seal(*kek_, plaintext, ctx);
    EXPECT_TRUE(sealed.ok()) << sealed.status().ToString();
    return sealed.ok() ? *sealed : "";
  }

  TempDir dir_;
  std::string spec_;
  std::unique_ptr<KekProvider> kek_;
  const EnvelopeContext ctx_{"trusted-ca-fingerprints/sha256/ab12", "prod"};
  const std::string pem_ = testing::PemOf({testing::MakeRootCa("Envelope Test Root")});
};

TEST_P(EnvelopeTest, SealThenOpenReturnsThePlaintext) {
  std::string env = MustSeal(pem_, ctx_);
  auto opened = Open(*kek_, env, ctx_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, pem_);

  std::string big(100000, 'x');
  auto big_opened = Open(*kek_, MustSeal(big, ctx_), ctx_);
  ASSERT_TRUE(big_opened.ok());
  EXPECT_EQ(*big_opened, big);
  auto empty_opened = Open(*kek_, MustSeal("", ctx_), ctx_);
  ASSERT_TRUE(empty_opened.ok());
  EXPECT_EQ(*empty_opened, "");

  auto info = InspectEnvelope(env);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->provider, kek_->provider_name());
  EXPECT_EQ(info->key_id, kek_->key_id());
  EXPECT_EQ(info->kek_version, 1u);
  EXPECT_EQ(info->path, ctx_.path);
  EXPECT_EQ(info->environment, ctx_.environment);
}

TEST_P(EnvelopeTest, EnvelopeContainsNoPemAndNoPlaintext) {
  std::string env = MustSeal(pem_, ctx_);
  EXPECT_EQ(env.find("-----BEGIN"), std::string::npos);
  EXPECT_EQ(env.find("CERTIFICATE"), std::string::npos);
  // No 16-byte run of the PEM text or of the DER survives.
  std::string der = testing::DerOf(testing::MakeRootCa("Envelope Test Root 2"));
  std::string env_der = MustSeal(der, ctx_);
  for (size_t i = 0; i + 16 <= pem_.size(); i += 8) {
    ASSERT_EQ(env.find(pem_.substr(i, 16)), std::string::npos) << "at " << i;
  }
  for (size_t i = 0; i + 16 <= der.size(); i += 8) {
    ASSERT_EQ(env_der.find(der.substr(i, 16)), std::string::npos) << "at " << i;
  }
  // A fresh data key and nonce each time: sealing twice gives different bytes.
  EXPECT_NE(MustSeal(pem_, ctx_), env);
}

TEST_P(EnvelopeTest, EveryChangedByteIsRejected) {
  std::string env = MustSeal("a small certificate payload", ctx_);
  for (size_t i = 0; i < env.size(); ++i) {
    std::string bad = env;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto r = Open(*kek_, bad, ctx_);
    ASSERT_FALSE(r.ok()) << "flipping byte " << i << " went unnoticed";
    EXPECT_NE(r.status().code(), ErrorCode::kInternal) << i << ": " << r.status().ToString();
  }
  for (size_t n = 0; n < env.size(); ++n) {
    ASSERT_FALSE(Open(*kek_, env.substr(0, n), ctx_).ok()) << "truncated to " << n;
  }
  EXPECT_FALSE(Open(*kek_, env + "x", ctx_).ok());
}

TEST_P(EnvelopeTest, TamperedPartsFailWithClearErrors) {
  const std::string payload = "payload bytes";
  std::string env = MustSeal(payload, ctx_);
  // Layout from the end: nonce(12) size(8) ciphertext tag(16); the 40-byte
  // wrapped key (RFC 5649 of 32 bytes) sits just before the nonce.
  const size_t tag = env.size() - 16;
  const size_t ct = tag - payload.size();
  const size_t nonce = ct - 8 - 12;
  const size_t wrapped = nonce - 40;
  auto flip = [&](size_t at) {
    std::string bad = env;
    bad[at] = static_cast<char>(bad[at] ^ 0x80);
    return Open(*kek_, bad, ctx_).status();
  };
  for (size_t at : {ct, tag, tag + 15, nonce}) {
    Status s = flip(at);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << at;
    EXPECT_NE(s.message().find("failed authentication"), std::string::npos) << s.ToString();
  }
  Status w = flip(wrapped + 3);
  EXPECT_EQ(w.code(), ErrorCode::kInvalidArgument) << w.ToString();
  EXPECT_NE(w.message().find("integrity"), std::string::npos) << w.ToString();
  Status magic = flip(0);
  EXPECT_EQ(magic.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(magic.message().find("not an envelope"), std::string::npos) << magic.ToString();
  Status format = flip(4);
  EXPECT_NE(format.message().find("format version"), std::string::npos) << format.ToString();
  // Byte 8 is the low byte of the KEK version: 1 becomes 129, which does not exist.
  EXPECT_EQ(flip(8).code(), ErrorCode::kNotFound);
}

TEST_P(EnvelopeTest, WrongPathOrEnvironmentIsRefusedNamingIt) {
  std::string env = MustSeal(pem_, ctx_);
  auto other_path = Open(*kek_, env, {"trusted-ca-fingerprints/sha256/cd34", "prod"});
  EXPECT_EQ(other_path.status().code(), ErrorCode::kPolicy);
  EXPECT_NE(other_path.status().message().find("path 'trusted-ca-fingerprints/sha256/ab12'"),
            std::string::npos)
      << other_path.status().ToString();
  auto other_env = Open(*kek_, env, {ctx_.path, "staging"});
  EXPECT_EQ(other_env.status().code(), ErrorCode::kPolicy);
  EXPECT_NE(other_env.status().message().find("environment 'prod', not 'staging'"),
            std::string::npos)
      << other_env.status().ToString();
  EXPECT_EQ(Open(*kek_, env, {ctx_.path, ""}).status().code(), ErrorCode::kInvalidArgument);
}

TEST_P(EnvelopeTest, EditingTheStoredBindingDoesNotHelpACopy) {
  // Copy to ".../ab13" and rewrite the clear-text path in the header to
  // match: the associated data still differs, so GCM refuses it.
  std::string env = MustSeal(pem_, ctx_);
  size_t at = env.find(ctx_.path);
  ASSERT_NE(at, std::string::npos);
  env[at + ctx_.path.size() - 1] = '3';
  auto r = Open(*kek_, env, {"trusted-ca-fingerprints/sha256/ab13", "prod"});
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("failed authentication"), std::string::npos);
  // The same for the environment: "prod" rewritten to "prog".
  std::string env2 = MustSeal(pem_, ctx_);
  size_t env_at = env2.find(std::string("\x04\x00prod", 6));
  ASSERT_NE(env_at, std::string::npos);
  env2[env_at + 5] = 'g';
  auto r2 = Open(*kek_, env2, {ctx_.path, "prog"});
  EXPECT_EQ(r2.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r2.status().message().find("failed authentication"), std::string::npos);
}

TEST_P(EnvelopeTest, EnvelopeFromAnotherKekIsRejectedNamingBothKeys) {
  TempDir other_dir;
  ASSERT_TRUE(CreateKeyFile(other_dir.Join("other.keys")).ok());
  auto other = KeyFileProvider::Open(other_dir.Join("other.keys"));
  ASSERT_TRUE(other.ok());
  auto foreign = Seal(**other, pem_, ctx_);
  ASSERT_TRUE(foreign.ok());
  auto r = Open(*kek_, *foreign, ctx_);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find((*other)->key_id()), std::string::npos);
  EXPECT_NE(r.status().message().find(kek_->key_id()), std::string::npos);
}

TEST_P(EnvelopeTest, AfterRotationOldAndNewEnvelopesOpen) {
  std::string old_env = MustSeal("sealed before rotation", ctx_);
  auto v2 = kek_->AddVersion();
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(*v2, 2u);
  EXPECT_EQ(*kek_->CurrentVersion(), 2u);
  std::string new_env = MustSeal("sealed after rotation", ctx_);
  EXPECT_EQ(InspectEnvelope(new_env)->kek_version, 2u);
  EXPECT_EQ(*Open(*kek_, old_env, ctx_), "sealed before rotation");
  EXPECT_EQ(*Open(*kek_, new_env, ctx_), "sealed after rotation");
  // A handle opened afresh sees both versions too.
  auto again = Reopen();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->ListVersions()->size(), 2u);
  EXPECT_EQ(*Open(*again, old_env, ctx_), "sealed before rotation");
  EXPECT_EQ(*Open(*again, new_env, ctx_), "sealed after rotation");
}

TEST_P(EnvelopeTest, RewrapReplacesOnlyTheWrappedKey) {
  std::string env = MustSeal(pem_, ctx_);
  ASSERT_TRUE(kek_->AddVersion().ok());
  auto rewrapped = Rewrap(*kek_, env, 2);
  ASSERT_TRUE(rewrapped.ok()) << rewrapped.status().ToString();
  EXPECT_EQ(InspectEnvelope(*rewrapped)->kek_version, 2u);
  // Nonce, size, ciphertext and tag are the same bytes.
  const size_t tail = 12 + 8 + pem_.size() + 16;
  ASSERT_EQ(rewrapped->size(), env.size());
  EXPECT_EQ(rewrapped->substr(rewrapped->size() - tail), env.substr(env.size() - tail));
  EXPECT_NE(*rewrapped, env);
  EXPECT_EQ(*Open(*kek_, *rewrapped, ctx_), pem_);
}

TEST_P(EnvelopeTest, RetiredVersionIsRefusedClearly) {
  std::string old_env = MustSeal("old", ctx_);
  Status current = kek_->RetireVersion(1);
  EXPECT_EQ(current.code(), ErrorCode::kPolicy) << current.ToString();
  EXPECT_NE(current.message().find("current version"), std::string::npos);
  ASSERT_TRUE(kek_->AddVersion().ok());
  ASSERT_TRUE(kek_->RetireVersion(1).ok());
  EXPECT_EQ(kek_->RetireVersion(7).code(), ErrorCode::kNotFound);

  // This handle and a fresh one (another process) agree.
  std::unique_ptr<KekProvider> fresh = Reopen();
  ASSERT_NE(fresh, nullptr);
  for (KekProvider* kek : {kek_.get(), fresh.get()}) {
    auto r = Open(*kek, old_env, ctx_);
    EXPECT_EQ(r.status().code(), ErrorCode::kPolicy) << r.status().ToString();
    EXPECT_NE(r.status().message().find("version 1"), std::string::npos);
    EXPECT_NE(r.status().message().find("retired"), std::string::npos);
    auto versions = kek->ListVersions();
    ASSERT_TRUE(versions.ok());
    ASSERT_EQ(versions->size(), 2u);
    EXPECT_EQ((*versions)[0].state, KekVersionState::kRetired);
    EXPECT_EQ(*Open(*kek, MustSeal("new", ctx_), ctx_), "new");
  }
  EXPECT_EQ(Rewrap(*kek_, old_env, 2).status().code(), ErrorCode::kPolicy);
}

// An in-memory bucket with generations, for the rotation callbacks.
struct FakeBucket {
  std::map<std::string, StoredEnvelope> objects;
  int64_t next_generation = 1;
  int writes = 0;
  int crash_after = -1;                                  // fail every write after this many
  std::function<void(const std::string&)> before_write;  // a concurrent writer

  RotationCallbacks Callbacks() {
    return {[this](const std::string& name) -> Result<StoredEnvelope> {
              auto it = objects.find(name);
              if (it == objects.end()) return Status::NotFound("no object " + name);
              return it->second;
            },
            [this](const std::string& name, const std::string& data, int64_t gen) -> Status {
              if (crash_after >= 0 && writes >= crash_after) {
                return Status::Internal("simulated crash");
              }
              if (before_write) before_write(name);
              auto it = objects.find(name);
              if (it == objects.end()) return Status::NotFound("no object " + name);
              if (it->second.generation != gen) return Status::Conflict("generation changed");
              it->second = {data, next_generation++};
              ++writes;
              return Status::Ok();
            }};
  }
};

TEST_P(EnvelopeTest, RotationInterruptedMidwayFinishesOnRerun) {
  FakeBucket bucket;
  std::vector<std::string> names;
  std::map<std::string, std::string> ciphertext_tails;
  for (int i = 0; i < 10; ++i) {
    std::string name = "allowlisted-certificates/sha256/" + std::to_string(i);
    names.push_back(name);
    std::string env = MustSeal("object " + std::to_string(i), {name, "prod"});
    ciphertext_tails[name] = env.substr(env.size() - 16);
    bucket.objects[name] = {env, bucket.next_generation++};
  }
  ASSERT_TRUE(kek_->AddVersion().ok());

  bucket.crash_after = 4;
  auto crashed = RewrapObjects(*kek_, 2, names, bucket.Callbacks());
  ASSERT_FALSE(crashed.ok());
  EXPECT_NE(crashed.status().message().find(names[4]), std::string::npos)
      << crashed.status().ToString();
  int under_v2 = 0;
  for (const auto& name : names) {
    under_v2 += InspectEnvelope(bucket.objects[name].data)->kek_version == 2;
    // Half-rotated state: every object still opens.
    EXPECT_TRUE(Open(*kek_, bucket.objects[name].data, {name, "prod"}).ok()) << name;
  }
  EXPECT_EQ(under_v2, 4);

  // The rerun starts from another handle, as after a restart.
  auto restarted = Reopen();
  ASSERT_NE(restarted, nullptr);
  bucket.crash_after = -1;
  auto rerun = RewrapObjects(*restarted, 2, names, bucket.Callbacks());
  ASSERT_TRUE(rerun.ok()) << rerun.status().ToString();
  EXPECT_EQ(rerun->rewrapped, 6u);
  EXPECT_EQ(rerun->already_current, 4u);
  ASSERT_TRUE(restarted->RetireVersion(1).ok());
  for (int i = 0; i < 10; ++i) {
    const auto& env = bucket.objects[names[i]].data;
    EXPECT_EQ(InspectEnvelope(env)->kek_version, 2u);
    EXPECT_EQ(env.substr(env.size() - 16), ciphertext_tails[names[i]]) << "payload re-encrypted";
    EXPECT_EQ(*Open(*restarted, env, {names[i], "prod"}), "object " + std::to_string(i));
  }
  // A third run has nothing left to do.
  auto third = RewrapObjects(*restarted, 2, names, bucket.Callbacks());
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->rewrapped, 0u);
  EXPECT_EQ(third->already_current, 10u);
}

TEST_P(EnvelopeTest, RotationRetriesConcurrentChangesAndSkipsGoneOrPlainObjects) {
  FakeBucket bucket;
  bucket.objects["a"] = {MustSeal("a", {"a", "prod"}), bucket.next_generation++};
  bucket.objects["b"] = {MustSeal("b", {"b", "prod"}), bucket.next_generation++};
  bucket.objects["plain"] = {pem_, bucket.next_generation++};
  ASSERT_TRUE(kek_->AddVersion().ok());
  // Another writer re-seals "a" (under v2 already) just before the first write.
  bool raced = false;
  bucket.before_write = [&](const std::string& name) {
    if (name == "a" && !raced) {
      raced = true;
      bucket.objects["a"] = {MustSeal("a2", {"a", "prod"}), bucket.next_generation++};
    }
  };
  auto report = RewrapObjects(*kek_, 2, {"a", "b", "gone", "plain"}, bucket.Callbacks());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(raced);
  EXPECT_EQ(report->rewrapped, 1u);        // b
  EXPECT_EQ(report->already_current, 1u);  // a, after the concurrent re-seal
  EXPECT_EQ(report->vanished, 1u);
  EXPECT_EQ(report->not_encrypted, 1u);
  EXPECT_EQ(*Open(*kek_, bucket.objects["a"].data, {"a", "prod"}), "a2");  // not overwritten
  EXPECT_EQ(bucket.objects["plain"].data, pem_);
  EXPECT_EQ(RewrapObjects(*kek_, 9, {"a"}, bucket.Callbacks()).status().code(),
            ErrorCode::kNotFound);
}

// A bucket of files for the SIGKILL test: the generation is the inode number,
// which changes on every replace (temp file + rename).
RotationCallbacks FileBucket(const std::string& dir, int kill_after_writes) {
  auto writes = std::make_shared<int>(0);
  return {
      [dir](const std::string& name) -> Result<StoredEnvelope> {
        struct stat st {};
        if (::stat((dir + "/" + name).c_str(), &st) != 0) return Status::NotFound(name);
        return StoredEnvelope{testing::ReadFile(dir + "/" + name), static_cast<int64_t>(st.st_ino)};
      },
      [dir, writes, kill_after_writes](const std::string& name, const std::string& data,
                                       int64_t gen) -> Status {
        struct stat st {};
        if (::stat((dir + "/" + name).c_str(), &st) != 0) return Status::NotFound(name);
        if (static_cast<int64_t>(st.st_ino) != gen) return Status::Conflict(name);
        testing::WriteFile(dir + "/" + name + ".tmp", data);
        if (::rename((dir + "/" + name + ".tmp").c_str(), (dir + "/" + name).c_str()) != 0) {
          return Status::Internal("rename failed");
        }
        if (++*writes == kill_after_writes) ::raise(SIGKILL);
        return Status::Ok();
      }};
}

TEST_P(EnvelopeTest, RotationKilledWithSigkillFinishesOnRerun) {
  const std::string bucket = dir_.Join("bucket");
  std::vector<std::string> names;
  for (int i = 0; i < 8; ++i) {
    names.push_back("obj-" + std::to_string(i));
    testing::WriteFile(bucket + "/" + names.back(),
                       MustSeal("payload " + std::to_string(i), {names.back(), "prod"}));
  }
  ASSERT_TRUE(kek_->AddVersion().ok());
  kek_.reset();  // the child opens the KEK itself, like a separate `keys rotate` process

  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto kek = OpenKekProvider(spec_);
    if (kek.ok()) (void)RewrapObjects(**kek, 2, names, FileBucket(bucket, 3));
    ::_exit(0);  // not reached when the kill fires
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << "status " << wstatus;

  kek_ = Reopen();
  ASSERT_NE(kek_, nullptr);
  auto rerun = RewrapObjects(*kek_, 2, names, FileBucket(bucket, -1));
  ASSERT_TRUE(rerun.ok()) << rerun.status().ToString();
  EXPECT_EQ(rerun->already_current, 3u);
  EXPECT_EQ(rerun->rewrapped, 5u);
  ASSERT_TRUE(kek_->RetireVersion(1).ok());
  for (int i = 0; i < 8; ++i) {
    std::string env = testing::ReadFile(bucket + "/" + names[i]);
    EXPECT_EQ(InspectEnvelope(env)->kek_version, 2u);
    auto opened = Open(*kek_, env, {names[i], "prod"});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(*opened, "payload " + std::to_string(i));
  }
}

INSTANTIATE_TEST_SUITE_P(Providers, EnvelopeTest,
                         ::testing::Values(Backend::kKeyFile, Backend::kPkcs11), BackendName);

// PKCS#11 specifics.

TEST(Pkcs11ProviderTest, WrongPinIsAPolicyRefusalAndMissingTokenIsNotFound) {
  std::string token = NextTokenLabel();
  ASSERT_EQ(SoftHsm::Get().NewToken(token), "");
  std::string uri =
      "pkcs11:token=" + token + ";object=kek?module-path=" + kModule + "&pin-value=0000";
  auto wrong = Pkcs11Provider::Open(uri);
  EXPECT_EQ(wrong.status().code(), ErrorCode::kPolicy) << wrong.status().ToString();
  EXPECT_EQ(wrong.status().message().find("0000"), std::string::npos) << "PIN echoed";
  auto missing = Pkcs11Provider::Open(SoftHsm::Get().Uri("no-such-token", "kek"));
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  auto no_module = Pkcs11Provider::Open(
      "pkcs11:token=x;object=kek?module-path=/nonexistent/module.so&pin-value=1");
  EXPECT_EQ(no_module.status().code(), ErrorCode::kNotFound);
}

TEST(Pkcs11ProviderTest, EmptyTokenGetsItsFirstVersionFromAddVersion) {
  std::string token = NextTokenLabel();
  ASSERT_EQ(SoftHsm::Get().NewToken(token), "");
  auto kek = Pkcs11Provider::Open(SoftHsm::Get().Uri(token, "kek"));
  ASSERT_TRUE(kek.ok()) << kek.status().ToString();
  EXPECT_EQ((*kek)->CurrentVersion().status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Seal(**kek, "x", {"p", "e"}).status().code(), ErrorCode::kNotFound);
  ASSERT_EQ(*(*kek)->AddVersion(), 1u);
  auto env = Seal(**kek, "x", {"p", "e"});
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(*Open(**kek, *env, {"p", "e"}), "x");
}

TEST(Pkcs11ProviderTest, TokenWrapsExactlyLikeTheSoftwareKeyWrap) {
  // The same KEK imported into the token and used by OpenSSL in software
  // gives the same RFC 5649 bytes: the two providers share one wrap format.
  TempDir dir;
  SecretKey kek_bytes = SecretKey::Random(32);
  testing::WriteFile(dir.Join("kek.bin"), std::string(kek_bytes.view()));
  std::string token = NextTokenLabel();
  ASSERT_EQ(SoftHsm::Get().NewToken(token), "");
  ASSERT_EQ(SoftHsm::Get().Tool(
                token, {"--write-object", dir.Join("kek.bin"), "--type", "secrkey", "--key-type",
                        "AES:32", "--label", "kek", "--id", "01", "--usage-wrap"}),
            "");
  auto kek = Pkcs11Provider::Open(SoftHsm::Get().Uri(token, "kek"));
  ASSERT_TRUE(kek.ok()) << kek.status().ToString();
  SecretKey data_key = SecretKey::Random(32);
  auto on_token = (*kek)->WrapWithVersion(data_key, 1);
  ASSERT_TRUE(on_token.ok()) << on_token.status().ToString();
  auto in_software = AesKeyWrapPad(kek_bytes, data_key);
  ASSERT_TRUE(in_software.ok());
  EXPECT_EQ(on_token->bytes, *in_software);
  auto back = AesKeyUnwrapPad(kek_bytes, on_token->bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(ConstantTimeEquals(back->view(), data_key.view()));
}

}  // namespace
}  // namespace trustplane::crypto
