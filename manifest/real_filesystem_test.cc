#include "manifest/real_filesystem.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "manifest/scan.h"

namespace tagflow::manifest {
namespace {

namespace stdfs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RealFilesystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (stdfs::temp_directory_path() / "tagflow-fs-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { stdfs::remove_all(dir_); }

  std::string Path(std::string_view rel) const { return dir_ + "/" + std::string(rel); }
  void Write(std::string_view rel, std::string_view content) const {
    stdfs::create_directories(stdfs::path(Path(rel)).parent_path());
    std::ofstream(Path(rel), std::ios::binary) << content;
  }
  std::string Read(std::string_view rel) const {
    std::ifstream in(Path(rel), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string dir_;
  RealFilesystem fs_;
};

TEST_F(RealFilesystemTest, StatListAndReadWithoutFollowingSymlinks) {
  Write("a.yaml", "a: 1\n");
  Write("sub/b.yml", "b: 2\n");
  stdfs::create_symlink("a.yaml", Path("link.yaml"));
  EXPECT_EQ(fs_.Stat(Path("a.yaml"))->type, FileType::kRegular);
  EXPECT_EQ(fs_.Stat(Path("a.yaml"))->size, 5u);
  EXPECT_EQ(fs_.Stat(Path("link.yaml"))->type, FileType::kSymlink);
  EXPECT_EQ(fs_.Stat(Path("missing"))->type, FileType::kMissing);
  Result<std::vector<DirEntry>> entries = fs_.ReadDir(dir_);
  ASSERT_TRUE(entries);
  std::vector<std::string> names;
  for (const DirEntry& e : *entries) names.push_back(e.name);
  EXPECT_THAT(names, ElementsAre("a.yaml", "link.yaml", "sub"));
  EXPECT_EQ((*entries)[1].type, FileType::kSymlink);
  EXPECT_EQ((*entries)[2].type, FileType::kDirectory);
  EXPECT_EQ(fs_.ReadFile(Path("a.yaml")).value(), "a: 1\n");
  EXPECT_EQ(fs_.ReadLink(Path("link.yaml")).value(), "a.yaml");
  Result<std::string> through = fs_.ReadFile(Path("link.yaml"));
  ASSERT_FALSE(through);
  EXPECT_THAT(through.error().message, HasSubstr("symlink"));
  EXPECT_EQ(fs_.ReadFile(Path("missing")).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(fs_.ReadDir(Path("missing")).error().kind, ErrorKind::kNotFound);
}

TEST_F(RealFilesystemTest, ReplaceFileIsAtomicKeepsTheModeAndLeavesNoTemporaryFile) {
  Write("a.yaml", "old\n");
  ASSERT_EQ(::chmod(Path("a.yaml").c_str(), 0640), 0);
  ASSERT_TRUE(fs_.ReplaceFile(Path("a.yaml"), "new\n"));
  EXPECT_EQ(Read("a.yaml"), "new\n");
  EXPECT_EQ(stdfs::status(Path("a.yaml")).permissions() & stdfs::perms::all,
            stdfs::perms::owner_read | stdfs::perms::owner_write | stdfs::perms::group_read);
  EXPECT_EQ(std::distance(stdfs::directory_iterator(dir_), stdfs::directory_iterator()), 1);
}

TEST_F(RealFilesystemTest, ReplaceFileRefusesSymlinksAndMissingFiles) {
  Write("target.yaml", "keep\n");
  stdfs::create_symlink("target.yaml", Path("link.yaml"));
  Result<void> out = fs_.ReplaceFile(Path("link.yaml"), "changed\n");
  ASSERT_FALSE(out);
  EXPECT_THAT(out.error().message, HasSubstr("symlink"));
  EXPECT_EQ(Read("target.yaml"), "keep\n");
  EXPECT_TRUE(stdfs::is_symlink(Path("link.yaml")));
  EXPECT_FALSE(fs_.ReplaceFile(Path("missing.yaml"), "x"));
  EXPECT_FALSE(fs_.ReplaceFile(dir_, "x"));
}

TEST_F(RealFilesystemTest, ScanOnDiskSkipsSymlinkLoopsAndOutsideLinks) {
  Write("apps/a.yaml",
        "kind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: app:1}]}\n");
  stdfs::create_directory_symlink(".", Path("apps/loop"));
  stdfs::create_symlink("/etc/passwd", Path("apps/passwd.yaml"));
  Result<ScanResult> r = Scan(fs_, dir_, {});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->workloads.size(), 1u);
  EXPECT_EQ(r->workloads[0].file, "apps/a.yaml");
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_THAT(r->problems[0].ToString(),
              HasSubstr("apps/passwd.yaml: symlink to /etc/passwd points outside"));
}

TEST_F(RealFilesystemTest, AFiftyMegabyteFileIsReportedAndSkippedWithoutReadingIt) {
  Write("big.yaml", "");
  stdfs::resize_file(Path("big.yaml"), 50u << 20);
  Write("ok.yaml",
        "kind: Pod\nmetadata: {name: ok}\nspec: {containers: [{name: c, image: app:1}]}\n");
  Result<ScanResult> r = Scan(fs_, dir_, {});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->workloads.size(), 1u);
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].severity, Severity::kError);
  EXPECT_EQ(r->problems[0].ToString(),
            "big.yaml: file is 50.0 MiB, over the limit of 16.0 MiB; skipped");
}

}  // namespace
}  // namespace tagflow::manifest
