#include "trustplane/crypto/key_file.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/temp_dir.h"
#include "trustplane/crypto/envelope.h"

namespace trustplane::crypto {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

unsigned ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  ::closedir(d);
  return out;
}

TEST(KeyFileTest, CreatesAPrivateFileWithOneVersion) {
  TempDir dir;
  const std::string path = dir.Join("kek.keys");
  ASSERT_TRUE(CreateKeyFile(path).ok());
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"kek.keys"});  // no temp left
  std::string text = ReadFile(path);
  EXPECT_NE(text.find("format trustplane-kek/1\n"), std::string::npos);
  EXPECT_NE(text.find("version 1 enabled "), std::string::npos);
  auto kek = KeyFileProvider::Open(path);
  ASSERT_TRUE(kek.ok()) << kek.status().ToString();
  EXPECT_EQ((*kek)->provider_name(), "file");
  EXPECT_EQ((*kek)->key_id().rfind("kf-", 0), 0u);
  EXPECT_EQ(*(*kek)->CurrentVersion(), 1u);
  // Two files never share a key.
  ASSERT_TRUE(CreateKeyFile(dir.Join("other.keys")).ok());
  EXPECT_NE(ReadFile(dir.Join("other.keys")).substr(text.find("version 1")),
            text.substr(text.find("version 1")));
}

TEST(KeyFileTest, CreateNeverOverwritesAnExistingFile) {
  TempDir dir;
  const std::string path = dir.Join("kek.keys");
  ASSERT_TRUE(CreateKeyFile(path).ok());
  std::string before = ReadFile(path);
  Status again = CreateKeyFile(path);
  EXPECT_EQ(again.code(), ErrorCode::kConflict);
  EXPECT_EQ(ReadFile(path), before);
  EXPECT_EQ(CreateKeyFile(dir.Join("missing-dir/kek.keys")).code(), ErrorCode::kInternal);
}

TEST(KeyFileTest, RefusesAFileOthersCanRead) {
  TempDir dir;
  const std::string path = dir.Join("kek.keys");
  ASSERT_TRUE(CreateKeyFile(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto kek = KeyFileProvider::Open(path);
  EXPECT_EQ(kek.status().code(), ErrorCode::kPolicy);
  EXPECT_NE(kek.status().message().find("chmod 600"), std::string::npos);
}

TEST(KeyFileTest, RotationRewritesTheFileAtomicallyAndPrivately) {
  TempDir dir;
  const std::string path = dir.Join("kek.keys");
  ASSERT_TRUE(CreateKeyFile(path).ok());
  auto writer = KeyFileProvider::Open(path);
  auto reader = KeyFileProvider::Open(path);  // loaded before the rotation
  ASSERT_TRUE(writer.ok() && reader.ok());
  ASSERT_EQ(*(*writer)->AddVersion(), 2u);
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"kek.keys"});
  // The stale handle picks up version 2 when it meets it.
  auto env = Seal(**writer, "x", {"p", "prod"});
  ASSERT_TRUE(env.ok());
  auto opened = Open(**reader, *env, {"p", "prod"});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  // A rotation from the stale handle keeps the other's version (it starts from the file).
  ASSERT_EQ(*(*reader)->AddVersion(), 3u);
  auto fresh = KeyFileProvider::Open(path);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ((*fresh)->ListVersions()->size(), 3u);
  EXPECT_TRUE(Open(**fresh, *env, {"p", "prod"}).ok());
  // A long-running holder (a server beside the CLI) seals under the newest
  // version and honours a retirement as soon as the file changes.
  EXPECT_EQ(*(*writer)->CurrentVersion(), 3u);
  auto env_v3 = Seal(**writer, "y", {"p", "prod"});
  ASSERT_TRUE(env_v3.ok());
  EXPECT_EQ(InspectEnvelope(*env_v3)->kek_version, 3u);
  ASSERT_TRUE((*fresh)->RetireVersion(2).ok());
  EXPECT_EQ(Open(**writer, *env, {"p", "prod"}).status().code(), ErrorCode::kPolicy);
}

TEST(KeyFileTest, MalformedFilesAreRejectedWithoutEchoingKeyMaterial) {
  TempDir dir;
  const std::string path = dir.Join("kek.keys");
  const std::string secret_hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd";
  auto try_open = [&](const std::string& content) {
    ::unlink(path.c_str());
    WriteFile(path, content);
    EXPECT_EQ(::chmod(path.c_str(), 0600), 0);
    return KeyFileProvider::Open(path).status();
  };
  const std::string head = "format trustplane-kek/1\nkey-id kf-1\n";
  // 62 hex digits: too short for AES-256.
  Status short_key = try_open(head + "version 1 enabled " + secret_hex + "\n");
  EXPECT_EQ(short_key.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(short_key.message().find("line 3"), std::string::npos) << short_key.ToString();
  EXPECT_EQ(short_key.message().find(secret_hex.substr(0, 16)), std::string::npos);
  EXPECT_EQ(try_open(head + "version 1 maybe " + secret_hex + "ef\n").code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(try_open(head + "version 2 enabled " + secret_hex + "ef\nversion 1 enabled " +
                     secret_hex + "ef\n")
                .code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(try_open("key-id kf-1\nversion 1 enabled " + secret_hex + "ef\n").code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(try_open("format trustplane-kek/2\nkey-id kf-1\n").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(KeyFileProvider::Open(dir.Join("absent")).status().code(), ErrorCode::kInvalidArgument);
  // A well-formed hand-written file works, and its retired version refuses.
  Status ok = try_open(head + "version 1 retired " + secret_hex + "ef\nversion 2 enabled " +
                       secret_hex + "ee\n");
  EXPECT_TRUE(ok.ok()) << ok.ToString();
}

TEST(KeyFileTest, OpenKekProviderAcceptsFileSpecsAndBarePaths) {
  TempDir dir;
  ASSERT_TRUE(CreateKeyFile(dir.Join("kek.keys")).ok());
  auto a = OpenKekProvider("file:" + dir.Join("kek.keys"));
  auto b = OpenKekProvider(dir.Join("kek.keys"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->key_id(), (*b)->key_id());
  EXPECT_EQ(OpenKekProvider("").status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace trustplane::crypto
