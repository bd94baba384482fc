#include "trustplane/store/fs_object_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/temp_dir.h"

namespace trustplane::store {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using trustplane::testing::TempDir;

int64_t NowNanos() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::vector<std::string> Names(const std::vector<ObjectInfo>& infos) {
  std::vector<std::string> names;
  for (const auto& info : infos) names.push_back(info.name);
  return names;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class FsObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = FsObjectStore::Open(root());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    fs_store_ = std::move(opened).value();
  }

  std::string root() const { return dir_.Join("bucket"); }
  // Through the interface, as callers use it (List's default arguments live there).
  ObjectStore& store() { return *fs_store_; }

  ObjectInfo Create(const std::string& name, const std::string& data = "payload",
                    const Metadata& metadata = {}) {
    auto created = store().PutIfAbsent({name, data, metadata});
    EXPECT_TRUE(created.ok()) << name << ": " << created.status().ToString();
    return created.ok() ? *created : ObjectInfo{};
  }

  std::vector<std::string> ListNames(const std::string& prefix) {
    auto all = store().ListAll(prefix);
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    return all.ok() ? Names(*all) : std::vector<std::string>{};
  }

  std::vector<std::string> StagingEntries() {
    std::vector<std::string> entries;
    for (const auto& e : fs::directory_iterator(root() + "/.staging")) {
      entries.push_back(e.path().filename().string());
    }
    return entries;
  }

  TempDir dir_;
  std::unique_ptr<FsObjectStore> fs_store_;
};

TEST_F(FsObjectStoreTest, CreatedObjectReadsBackWithDataMetadataAndGeneration) {
  const Metadata metadata = {{"kind", "anchor"},
                             {"subject", "CN=Ünïcode CA, O=Example"},
                             {"empty", ""},
                             {"binary", std::string("a\0b\n", 4)}};
  const int64_t before = NowNanos();
  ObjectInfo created =
      Create("trusted-ca-fingerprints/sha256/ab12", "-----BEGIN CERT-----", metadata);
  const int64_t after = NowNanos();

  EXPECT_EQ(created.name, "trusted-ca-fingerprints/sha256/ab12");
  EXPECT_GT(created.generation, 0);
  EXPECT_EQ(created.size, 20u);
  EXPECT_GE(created.updated_unix_nanos, before);
  EXPECT_LE(created.updated_unix_nanos, after);

  auto got = store().Get("trusted-ca-fingerprints/sha256/ab12");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->data, "-----BEGIN CERT-----");
  EXPECT_EQ(got->info.name, created.name);
  EXPECT_EQ(got->info.generation, created.generation);
  EXPECT_EQ(got->info.size, created.size);
  EXPECT_EQ(got->info.updated_unix_nanos, created.updated_unix_nanos);
  EXPECT_EQ(got->info.metadata, metadata);

  auto stat = store().Stat("trusted-ca-fingerprints/sha256/ab12");
  ASSERT_TRUE(stat.ok()) << stat.status().ToString();
  EXPECT_EQ(stat->generation, created.generation);
  EXPECT_EQ(stat->size, created.size);
  EXPECT_EQ(stat->metadata, metadata);
}

TEST_F(FsObjectStoreTest, EmptyAndLargeBinaryPayloadsRoundTrip) {
  std::string large(3 << 20, '\0');
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 131 + (i >> 9));
  Create("empty", "");
  Create("large", large);

  auto empty = store().Get("empty");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->data, "");
  EXPECT_EQ(empty->info.size, 0u);
  auto got = store().Get("large");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->data == large);
  EXPECT_EQ(got->info.size, large.size());
}

TEST_F(FsObjectStoreTest, CreatingAnExistingObjectIsAConflictAndKeepsTheOriginal) {
  ObjectInfo first = Create("trusted-ca-fingerprints/sha256/ab", "first", {{"tenant", "a"}});
  auto second =
      store().PutIfAbsent({"trusted-ca-fingerprints/sha256/ab", "second", {{"tenant", "b"}}});
  ASSERT_EQ(second.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(second.status().message(), "object trusted-ca-fingerprints/sha256/ab already exists");

  auto got = store().Get("trusted-ca-fingerprints/sha256/ab");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->data, "first");
  EXPECT_EQ(got->info.generation, first.generation);
  EXPECT_EQ(got->info.metadata.at("tenant"), "a");
}

TEST_F(FsObjectStoreTest, MissingObjectsAreNotFound) {
  Create("dir/present");
  for (const char* name : {"absent", "dir/absent", "nodir/absent", "dir/present/below"}) {
    EXPECT_EQ(store().Get(name).status().code(), ErrorCode::kNotFound) << name;
    EXPECT_EQ(store().Stat(name).status().code(), ErrorCode::kNotFound) << name;
    EXPECT_EQ(store().PutIfGeneration({name, "x", {}}, 1).status().code(), ErrorCode::kNotFound)
        << name;
    EXPECT_EQ(store().RemoveIfGeneration(name, 1).code(), ErrorCode::kNotFound) << name;
  }
  EXPECT_EQ(store().Get("nodir/absent").status().message(), "object nodir/absent not found");
}

TEST_F(FsObjectStoreTest, PutIfGenerationReplacesOnlyAtTheExpectedGeneration) {
  ObjectInfo v1 = Create("trust-configs/prod.yaml", "v1", {{"revision", "1"}, {"old", "x"}});
  auto v2 = store().PutIfGeneration({"trust-configs/prod.yaml", "v2", {{"revision", "2"}}},
                                    v1.generation);
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_GT(v2->generation, v1.generation);
  EXPECT_EQ(v2->size, 2u);

  auto stale = store().PutIfGeneration({"trust-configs/prod.yaml", "lost", {}}, v1.generation);
  ASSERT_EQ(stale.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(stale.status().message(),
            "object trust-configs/prod.yaml: generation mismatch: expected " +
                std::to_string(v1.generation) + ", found " + std::to_string(v2->generation));

  auto got = store().Get("trust-configs/prod.yaml");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->data, "v2");
  EXPECT_EQ(got->info.generation, v2->generation);
  EXPECT_EQ(got->info.metadata, (Metadata{{"revision", "2"}}));  // replaced, not merged

  EXPECT_EQ(store().PutIfGeneration({"trust-configs/prod.yaml", "x", {}}, -1).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(FsObjectStoreTest, ExpectedGenerationZeroMeansTheObjectMustNotExist) {
  auto created = store().PutIfGeneration({"fresh", "one", {}}, 0);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_GT(created->generation, 0);
  EXPECT_EQ(store().PutIfGeneration({"fresh", "two", {}}, 0).status().code(), ErrorCode::kConflict);
  EXPECT_EQ(store().RemoveIfGeneration("fresh", 0).code(), ErrorCode::kConflict);
  EXPECT_EQ(store().Get("fresh")->data, "one");
}

TEST_F(FsObjectStoreTest, RemoveIfGenerationDeletesOnlyAtTheExpectedGeneration) {
  ObjectInfo v1 = Create("audit/0001.json");
  auto v2 = store().PutIfGeneration({"audit/0001.json", "v2", {}}, v1.generation);
  ASSERT_TRUE(v2.ok());

  Status stale = store().RemoveIfGeneration("audit/0001.json", v1.generation);
  EXPECT_EQ(stale.code(), ErrorCode::kConflict);
  EXPECT_THAT(stale.message(), HasSubstr("generation mismatch"));
  EXPECT_TRUE(store().Stat("audit/0001.json").ok());
  EXPECT_EQ(store().RemoveIfGeneration("audit/0001.json", -5).code(), ErrorCode::kInvalidArgument);

  Status removed = store().RemoveIfGeneration("audit/0001.json", v2->generation);
  ASSERT_TRUE(removed.ok()) << removed.ToString();
  EXPECT_EQ(store().Get("audit/0001.json").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(ListNames("audit/").empty());
  EXPECT_EQ(store().RemoveIfGeneration("audit/0001.json", v2->generation).code(),
            ErrorCode::kNotFound);
}

TEST_F(FsObjectStoreTest, GenerationsStrictlyIncreaseAcrossReplaceDeleteAndRecreate) {
  std::vector<int64_t> generations;
  for (int i = 0; i < 20; ++i) {
    ObjectInfo created = Create("cycle/name");
    generations.push_back(created.generation);
    auto replaced = store().PutIfGeneration({"cycle/name", "again", {}}, created.generation);
    ASSERT_TRUE(replaced.ok());
    generations.push_back(replaced->generation);
    ASSERT_TRUE(store().RemoveIfGeneration("cycle/name", replaced->generation).ok());
  }
  for (size_t i = 1; i < generations.size(); ++i)
    EXPECT_GT(generations[i], generations[i - 1]) << i;
}

// The directory tombstone (documented in fs_object_store.cc) is what keeps a
// re-created name above its deleted generation when the wall clock is behind.
TEST_F(FsObjectStoreTest, GenerationsStayAboveADeletedGenerationWhenTheClockIsBehind) {
  ObjectInfo old = Create("clock/x");
  ASSERT_TRUE(store().RemoveIfGeneration("clock/x", old.generation).ok());
  const int64_t future = 4'000'000'000'000'000'000;  // year 2096
  char text[32];
  std::snprintf(text, sizeof text, "%020lld\n", static_cast<long long>(future));
  trustplane::testing::WriteFile(root() + "/objects/clock/.tombstone", text);

  ObjectInfo recreated = Create("clock/x");
  EXPECT_EQ(recreated.generation, future + 1);
  auto replaced = store().PutIfGeneration({"clock/x", "v2", {}}, recreated.generation);
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(replaced->generation, future + 2);
  auto stat = store().Stat("clock/x");
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->generation, future + 2);
  // Deleting raises the tombstone to the deleted generation.
  ASSERT_TRUE(store().RemoveIfGeneration("clock/x", future + 2).ok());
  EXPECT_EQ(Create("clock/x").generation, future + 3);

  std::vector<NewObject> batch;
  for (int i = 0; i < 70; ++i) batch.push_back({"clock/batch-" + std::to_string(i), "b", {}});
  for (const auto& result : store().PutAllIfAbsent(batch)) {
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(result->generation, future + 3);
    EXPECT_EQ(store().Stat(result->name)->generation, future + 3);
  }
}

TEST_F(FsObjectStoreTest, NamesThatArePrefixesOfOtherNamesCoexist) {
  const std::vector<std::string> names = {"a",     "a/b",     "a/b/c",       "x.obj",  "x.obj/y",
                                          "x.dir", "x.dir/z", "q.obj.dir/w", "q.obj/w"};
  for (const auto& name : names) Create(name, "data of " + name);
  for (const auto& name : names) {
    auto got = store().Get(name);
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString();
    EXPECT_EQ(got->data, "data of " + name);
  }
  EXPECT_EQ(ListNames(""), Sorted(names));
  EXPECT_EQ(ListNames("x.obj/"), (std::vector<std::string>{"x.obj/y"}));
  EXPECT_EQ(ListNames("q.obj/"), (std::vector<std::string>{"q.obj/w"}));
}

TEST_F(FsObjectStoreTest, InvalidNamesAreRejectedByEveryMethodAndWriteNothing) {
  const std::vector<std::string> invalid = {"",
                                            "/abs",
                                            "trailing/",
                                            "a//b",
                                            "../escape",
                                            "a/../b",
                                            "a/./b",
                                            ".hidden",
                                            "a/.tombstone",
                                            std::string("ctl\x01", 4),
                                            std::string(252, 'n'),
                                            "dir/" + std::string(252, 'n')};
  for (const auto& name : invalid) {
    EXPECT_EQ(store().Get(name).status().code(), ErrorCode::kInvalidArgument) << name;
    EXPECT_EQ(store().Stat(name).status().code(), ErrorCode::kInvalidArgument) << name;
    EXPECT_EQ(store().PutIfAbsent({name, "x", {}}).status().code(), ErrorCode::kInvalidArgument)
        << name;
    EXPECT_EQ(store().PutIfGeneration({name, "x", {}}, 1).status().code(),
              ErrorCode::kInvalidArgument)
        << name;
    EXPECT_EQ(store().RemoveIfGeneration(name, 1).code(), ErrorCode::kInvalidArgument) << name;
    auto batch = store().PutAllIfAbsent(std::vector<NewObject>{{name, "x", {}}});
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch[0].status().code(), ErrorCode::kInvalidArgument) << name;
  }
  EXPECT_TRUE(ListNames("").empty());
  Create("dir/" + std::string(251, 'n'));  // the longest segment the store accepts
}

TEST_F(FsObjectStoreTest, ListReturnsAllNamesInByteOrder) {
  const std::vector<std::string> names = {"a", "a-b", "a/b", "a/b/c", "a/b-c",  "a0",
                                          "b", "é",   "z",   "a.obj", "a.dir/q"};
  for (const auto& name : names) Create(name);
  EXPECT_EQ(ListNames(""), Sorted(names));
}

TEST_F(FsObjectStoreTest, ListPagesCoverEveryObjectExactlyOnceForAnyPageSize) {
  std::vector<std::string> names;
  for (int i = 0; i < 30; ++i) {
    names.push_back("p/" + std::to_string(i % 3) + "/n" + std::to_string(i));
    if (i % 5 == 0) names.push_back("p/" + std::to_string(i));
  }
  for (const auto& name : names) Create(name, name, {{"i", name}});
  for (size_t page_size : {1, 2, 3, 7, 35, 36, 1000}) {
    std::vector<std::string> seen;
    std::string token;
    int pages = 0;
    do {
      auto page = store().List("p/", token, page_size);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      ASSERT_FALSE(page->objects.empty()) << "empty page of size " << page_size;
      ASSERT_LE(page->objects.size(), page_size);
      for (const auto& info : page->objects) {
        EXPECT_GT(info.generation, 0);
        EXPECT_EQ(info.size, info.name.size());
        EXPECT_EQ(info.metadata.at("i"), info.name);
        seen.push_back(info.name);
      }
      token = page->next_page_token;
      ASSERT_LT(++pages, 100);
    } while (!token.empty());
    EXPECT_EQ(seen, Sorted(names)) << "page size " << page_size;
  }
}

TEST_F(FsObjectStoreTest, ListByPrefixMatchesDirectoriesAndPartialSegments) {
  for (const char* name : {"audit/0001.json", "audit/0002.json", "auditor/x", "audits",
                           "trust-configs/prod.yaml", "trust-configs/history/prod/1.yaml"}) {
    Create(name);
  }
  using V = std::vector<std::string>;
  EXPECT_EQ(ListNames("audit/"), (V{"audit/0001.json", "audit/0002.json"}));
  EXPECT_EQ(ListNames("audit"), (V{"audit/0001.json", "audit/0002.json", "auditor/x", "audits"}));
  EXPECT_EQ(ListNames("audit/0002"), (V{"audit/0002.json"}));
  EXPECT_EQ(ListNames("trust-configs/"),
            (V{"trust-configs/history/prod/1.yaml", "trust-configs/prod.yaml"}));
  EXPECT_EQ(ListNames("trust-configs/history/prod/"), (V{"trust-configs/history/prod/1.yaml"}));
  EXPECT_EQ(ListNames("audit/0001.json"), (V{"audit/0001.json"}));
  EXPECT_EQ(ListNames("audits/"), V{});
  EXPECT_EQ(ListNames("nothing/"), V{});
  for (const char* impossible : {"../", "/", "audit//", ".staging/", "audit/."}) {
    EXPECT_EQ(ListNames(impossible), V{}) << impossible;
  }
  EXPECT_EQ(ListNames("").size(), 6u);
  EXPECT_EQ(store().List("", "", 0).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(FsObjectStoreTest, ListContinuesAfterTheTokenWhenObjectsChangeBetweenPages) {
  for (const char* name : {"l/a", "l/b", "l/c", "l/d"}) Create(name);
  auto first = store().List("l/", "", 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Names(first->objects), (std::vector<std::string>{"l/a", "l/b"}));
  Create("l/aa");  // before the token: not seen
  Create("l/bb");  // after it: seen
  auto second = store().List("l/", first->next_page_token, 2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Names(second->objects), (std::vector<std::string>{"l/bb", "l/c"}));
  auto third = store().List("l/", second->next_page_token, 2);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(Names(third->objects), (std::vector<std::string>{"l/d"}));
  EXPECT_EQ(third->next_page_token, "");
}

TEST_F(FsObjectStoreTest, BatchReportsEachObjectsOutcomeInInputOrder) {
  ObjectInfo existing = Create("batch/2", "original");
  const std::vector<NewObject> batch = {
      {"batch/1", "one", {{"k", "v"}}}, {"batch/2", "clobber", {}},   {"bad//name", "x", {}},
      {"batch/3", "three", {}},         {"batch/1", "duplicate", {}}, {"other/4", "four", {}}};
  auto results = store().PutAllIfAbsent(batch);
  ASSERT_EQ(results.size(), batch.size());
  EXPECT_TRUE(results[0].ok()) << results[0].status().ToString();
  EXPECT_EQ(results[1].status().code(), ErrorCode::kConflict);
  EXPECT_EQ(results[1].status().message(), "object batch/2 already exists");
  EXPECT_EQ(results[2].status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(results[3].ok()) << results[3].status().ToString();
  EXPECT_EQ(results[4].status().code(), ErrorCode::kConflict);
  EXPECT_TRUE(results[5].ok()) << results[5].status().ToString();
  EXPECT_EQ(results[0]->name, "batch/1");
  EXPECT_EQ(results[5]->name, "other/4");

  EXPECT_EQ(store().Get("batch/1")->data, "one");
  EXPECT_EQ(store().Get("batch/1")->info.metadata.at("k"), "v");
  EXPECT_EQ(store().Get("batch/1")->info.generation, results[0]->generation);
  EXPECT_EQ(store().Get("batch/2")->data, "original");
  EXPECT_EQ(store().Get("batch/2")->info.generation, existing.generation);
  EXPECT_EQ(ListNames(""), (std::vector<std::string>{"batch/1", "batch/2", "batch/3", "other/4"}));
}

TEST_F(FsObjectStoreTest, LargeBatchCreatesEverythingNewAndConflictsOnTheRest) {
  for (int i = 0; i < 200; i += 10)
    Create("big/" + std::to_string(i % 3) + "/" + std::to_string(i), "old");
  std::vector<NewObject> batch;
  for (int i = 0; i < 200; ++i) {
    batch.push_back(
        {"big/" + std::to_string(i % 3) + "/" + std::to_string(i), "new " + std::to_string(i), {}});
  }
  auto results = store().PutAllIfAbsent(batch);
  ASSERT_EQ(results.size(), 200u);
  for (int i = 0; i < 200; ++i) {
    if (i % 10 == 0) {
      EXPECT_EQ(results[i].status().code(), ErrorCode::kConflict) << i;
      EXPECT_EQ(store().Get(batch[i].name)->data, "old");
    } else {
      ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status().ToString();
      EXPECT_EQ(results[i]->name, batch[i].name);
      EXPECT_EQ(store().Get(batch[i].name)->data, batch[i].data);
    }
  }
  EXPECT_EQ(ListNames("big/").size(), 200u);
}

TEST_F(FsObjectStoreTest, WritesLeaveNoStagedFilesBehind) {
  ObjectInfo a = Create("s/a");
  (void)store().PutIfAbsent({"s/a", "conflict", {}});
  ASSERT_TRUE(store().PutIfGeneration({"s/a", "v2", {}}, a.generation).ok());
  std::vector<NewObject> batch(80, NewObject{"s/dup", "d", {}});
  batch.push_back({"s/b", "b", {}});
  (void)store().PutAllIfAbsent(batch);
  const auto staging = StagingEntries();
  ASSERT_EQ(staging.size(), 1u);
  EXPECT_TRUE(fs::is_empty(root() + "/.staging/" + staging[0]));
}

TEST_F(FsObjectStoreTest, ObjectsSurviveReopening) {
  ObjectInfo created = Create("keep/me", "kept", {{"m", "1"}});
  fs_store_.reset();
  auto reopened = FsObjectStore::Open(root());
  ASSERT_TRUE(reopened.ok());
  auto got = (*reopened)->Get("keep/me");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->data, "kept");
  EXPECT_EQ(got->info.generation, created.generation);
  EXPECT_EQ(got->info.metadata.at("m"), "1");
}

TEST_F(FsObjectStoreTest, CorruptObjectFilesAreInternalErrorsNamingTheFile) {
  Create("c/truncated", "some payload");
  Create("c/flipped", "some payload");
  Create("c/magic", "some payload");
  const std::string truncated = root() + "/objects/c/truncated.obj";
  const std::string flipped = root() + "/objects/c/flipped.obj";
  const std::string magic = root() + "/objects/c/magic.obj";
  fs::resize_file(truncated, fs::file_size(truncated) - 1);
  {
    std::fstream f(flipped, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put('X');
  }
  {
    std::fstream f(magic, std::ios::in | std::ios::out | std::ios::binary);
    f.put('X');
  }

  for (const auto& [name, path] : {std::pair{"c/truncated", truncated}, {"c/magic", magic}}) {
    for (const Status& s : {store().Get(name).status(), store().Stat(name).status()}) {
      EXPECT_EQ(s.code(), ErrorCode::kInternal) << name;
      EXPECT_THAT(s.message(), HasSubstr("corrupt object file " + path)) << name;
    }
  }
  EXPECT_THAT(store().Stat("c/magic").status().message(), HasSubstr("bad magic"));
  auto flipped_get = store().Get("c/flipped");
  EXPECT_EQ(flipped_get.status().code(), ErrorCode::kInternal);
  EXPECT_THAT(flipped_get.status().message(), HasSubstr(flipped));
  EXPECT_THAT(flipped_get.status().message(), HasSubstr("SHA-256"));
  EXPECT_EQ(store().List("c/", "", 10).status().code(), ErrorCode::kInternal);
}

TEST_F(FsObjectStoreTest, OpenRemovesAbandonedStagingDirectoriesButNotLiveOnes) {
  Create("visible");
  const std::string abandoned = root() + "/.staging/99999-deadbeef";
  trustplane::testing::WriteFile(abandoned + "/99999-0", "half-written object");
  const auto live = StagingEntries();  // ours (still open) and the abandoned one
  ASSERT_EQ(live.size(), 2u);

  auto second = FsObjectStore::Open(root());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(fs::exists(abandoned));
  EXPECT_EQ(StagingEntries().size(), 2u);  // the first store's and the second's
  EXPECT_EQ(Names(*(*second)->ListAll("")), (std::vector<std::string>{"visible"}));
  // The first store's staging directory survived: it can still write.
  Create("still-works");
}

TEST_F(FsObjectStoreTest, OpenFailsWhenTheBucketPathIsAFile) {
  trustplane::testing::WriteFile(dir_.Join("file"), "x");
  auto opened = FsObjectStore::Open(dir_.Join("file"));
  EXPECT_EQ(opened.status().code(), ErrorCode::kInternal);
  EXPECT_THAT(opened.status().message(), HasSubstr(dir_.Join("file")));
}

TEST_F(FsObjectStoreTest, RacingThreadsCreateEachNameExactlyOnce) {
  constexpr int kThreads = 8;
  constexpr int kNames = 20;
  std::vector<std::vector<int>> wins(kThreads, std::vector<int>(kNames, 0));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kNames; ++n) {
        const int name = (n + t * 3) % kNames;
        auto r = store().PutIfAbsent({"threads/" + std::to_string(name), std::to_string(t), {}});
        if (r.ok())
          wins[t][name] = 1;
        else
          EXPECT_EQ(r.status().code(), ErrorCode::kConflict) << r.status().ToString();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int n = 0; n < kNames; ++n) {
    int winners = 0;
    int winner = -1;
    for (int t = 0; t < kThreads; ++t) {
      winners += wins[t][n];
      if (wins[t][n]) winner = t;
    }
    EXPECT_EQ(winners, 1) << n;
    EXPECT_EQ(store().Get("threads/" + std::to_string(n))->data, std::to_string(winner));
  }
}

}  // namespace
}  // namespace trustplane::store
