#include "registry/cache.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "test/support/process.h"

namespace tagflow::registry {
namespace {

using testing::TempDir;

ImageRecord Image(const std::string& digest) {
  ImageRecord r;
  r.digest = digest;
  r.media_type = std::string(kOciManifest);
  r.config.created = ParseTimestamp("2024-03-04T05:06:07.5Z");
  r.config.labels = {{"org.opencontainers.image.created", "2024-01-01T00:00:00Z"}, {"a", "b"}};
  return r;
}

ImageRecord Index(const std::string& digest) {
  ImageRecord r;
  r.digest = digest;
  r.media_type = std::string(kOciIndex);
  r.platforms = {{"sha256:amd", std::string(kOciManifest), {"linux", "amd64", ""}},
                 {"sha256:arm", std::string(kOciManifest), {"linux", "arm", "v7"}}};
  return r;
}

TEST(CacheTest, StoresImagesAndRepositoriesAndSurvivesReopen) {
  TempDir dir;
  {
    auto cache = Cache::Open(dir.path() / "c");
    ASSERT_TRUE(cache) << cache.error().message;
    EXPECT_TRUE((*cache)->moved_aside().empty());
    ImageRecord unknown;
    unknown.digest = "sha256:art";
    unknown.media_type = "application/vnd.cncf.helm.config";
    unknown.problem = "unsupported manifest type";
    ASSERT_TRUE((*cache)->PutImages({Image("sha256:img"), Index("sha256:idx"), unknown}));
    RepositoryRecord repo{{{"v1", "sha256:img"}, {"v2", ""}},
                          *ParseTimestamp("2024-05-05T00:00:00Z")};
    ASSERT_TRUE((*cache)->PutRepository("r.io/team/app", repo));
  }
  auto cache = Cache::Open(dir.path() / "c");
  ASSERT_TRUE(cache);
  auto img = (*cache)->GetImage("sha256:img");
  ASSERT_TRUE(img);
  EXPECT_EQ(img->media_type, kOciManifest);
  EXPECT_EQ(FormatRfc3339(*img->config.created), "2024-03-04T05:06:07.5Z");
  EXPECT_EQ(img->config.labels.at("a"), "b");
  auto idx = (*cache)->GetImage("sha256:idx");
  ASSERT_TRUE(idx);
  ASSERT_EQ(idx->platforms.size(), 2u);
  EXPECT_EQ(idx->platforms[1].platform, (Platform{"linux", "arm", "v7"}));
  EXPECT_FALSE(idx->config.created);
  EXPECT_EQ((*cache)->GetImage("sha256:art")->problem, "unsupported manifest type");
  EXPECT_FALSE((*cache)->GetImage("sha256:nope"));

  auto repo = (*cache)->GetRepository("r.io/team/app");
  ASSERT_TRUE(repo);
  ASSERT_EQ(repo->tags.size(), 2u);
  EXPECT_EQ(repo->tags[0].digest, "sha256:img");
  EXPECT_EQ(repo->tags[1].digest, "");
  EXPECT_EQ(FormatRfc3339(repo->listed_at), "2024-05-05T00:00:00Z");
  EXPECT_FALSE((*cache)->GetRepository("r.io/other"));

  ASSERT_TRUE((*cache)->ForgetTag("r.io/team/app", "v1"));
  EXPECT_EQ((*cache)->GetRepository("r.io/team/app")->tags[0].digest, "");
  ASSERT_TRUE((*cache)->PutRepository("r.io/team/app", {{{"v3", "sha256:x"}}, {}}));
  EXPECT_EQ((*cache)->GetRepository("r.io/team/app")->tags.size(), 1u);
}

TEST(CacheTest, CorruptFileIsMovedAsideAndRebuilt) {
  TempDir dir;
  std::filesystem::path file = dir.path() / Cache::kFileName;
  testing::WriteFile(file, std::string(8192, '\x5a') + "this is not an SQLite database");
  auto cache = Cache::Open(dir.path());
  ASSERT_TRUE(cache) << cache.error().message;
  ASSERT_FALSE((*cache)->moved_aside().empty());
  EXPECT_TRUE(std::filesystem::exists((*cache)->moved_aside()));
  EXPECT_NE(testing::ReadFile((*cache)->moved_aside()).find("not an SQLite"), std::string::npos);
  ASSERT_TRUE((*cache)->PutImages({Image("sha256:new")}));
  EXPECT_TRUE((*cache)->GetImage("sha256:new"));
}

TEST(CacheTest, ForeignDatabaseIsMovedAside) {
  TempDir dir;
  std::filesystem::path file = dir.path() / Cache::kFileName;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE precious(x); INSERT INTO precious VALUES(1);", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto cache = Cache::Open(dir.path());
  ASSERT_TRUE(cache);
  EXPECT_FALSE((*cache)->moved_aside().empty());
  ASSERT_TRUE((*cache)->PutImages({Image("sha256:a")}));

  // A tagflow cache of another schema version is moved aside too.
  cache->reset();
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto again = Cache::Open(dir.path());
  ASSERT_TRUE(again);
  EXPECT_FALSE((*again)->moved_aside().empty());
  EXPECT_FALSE((*again)->GetImage("sha256:a"));
}

TEST(CacheTest, TruncatedDatabaseIsRebuilt) {
  TempDir dir;
  {
    auto cache = Cache::Open(dir.path());
    ASSERT_TRUE(cache);
    std::vector<ImageRecord> many;
    for (int i = 0; i < 300; ++i) many.push_back(Image("sha256:" + std::to_string(i)));
    ASSERT_TRUE((*cache)->PutImages(many));
  }
  std::filesystem::path file = dir.path() / Cache::kFileName;
  std::filesystem::remove(file.string() + "-wal");
  std::string bytes = testing::ReadFile(file);
  ASSERT_GT(bytes.size(), 8192u);
  for (size_t i = 4096; i < bytes.size(); i += 97) bytes[i] = '\x7f';  // scribble over pages
  testing::WriteFile(file, bytes);
  auto cache = Cache::Open(dir.path());
  ASSERT_TRUE(cache) << cache.error().message;
  EXPECT_FALSE((*cache)->moved_aside().empty());
  EXPECT_TRUE((*cache)->PutImages({Image("sha256:fresh")}));
}

TEST(CacheTest, UnwritableDirectoryIsAnError) {
  TempDir dir;
  testing::WriteFile(dir.path() / "file", "x");
  auto cache = Cache::Open(dir.path() / "file" / "sub");
  ASSERT_FALSE(cache);
  EXPECT_EQ(cache.error().kind, ErrorKind::kInternal);
  EXPECT_TRUE(Cache::OpenInMemory());
}

}  // namespace
}  // namespace tagflow::registry
