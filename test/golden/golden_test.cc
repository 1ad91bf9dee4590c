// Golden tests of the scan and the byte-exact rewrite on a corpus shaped like
// real manifest repositories (test/golden/corpus).
//
// The corpus is copied into a temporary directory, scanned (compared with
// expected-scan.txt), edited as edits.txt says through the real filesystem,
// and every file is byte-compared: with corpus/<file>.golden when edited,
// with the original otherwise. TAGFLOW_UPDATE_GOLDEN=1 rewrites the expected
// files from the current output (review the diff before committing it).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "manifest/real_filesystem.h"
#include "manifest/scan.h"
#include "manifest/update.h"

namespace tagflow::manifest {
namespace {

namespace stdfs = std::filesystem;

const stdfs::path kGoldenDir = TAGFLOW_GOLDEN_DIR;
const stdfs::path kCorpus = kGoldenDir / "corpus";

bool Updating() { return std::getenv("TAGFLOW_UPDATE_GOLDEN") != nullptr; }

std::string ReadBytes(const stdfs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const stdfs::path& p, std::string_view bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

// Corpus files (not the .golden ones), relative and sorted.
std::vector<std::string> CorpusFiles() {
  std::vector<std::string> files;
  for (const auto& e : stdfs::recursive_directory_iterator(kCorpus)) {
    if (e.is_regular_file() && e.path().extension() != ".golden")
      files.push_back(stdfs::relative(e.path(), kCorpus).generic_string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct SpecEdit {
  std::string file;
  Edit edit;
};

std::vector<SpecEdit> ReadSpec() {
  std::vector<SpecEdit> out;
  std::istringstream in(ReadBytes(kGoldenDir / "edits.txt"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string file, id, op, arg;
    words >> file >> id >> op;
    std::getline(words >> std::ws, arg);
    std::size_t eq = arg.find('=');
    if (op == "image") {
      Result<image::ImageRef> ref = image::ImageRef::Parse(arg.substr(eq + 1));
      EXPECT_TRUE(ref) << line;
      out.push_back({file, ImageEdit{id, arg.substr(0, eq), ref.value_or(image::ImageRef())}});
    } else if (op == "set") {
      out.push_back({file, PolicyEdit{id, arg.substr(0, eq), arg.substr(eq + 1)}});
    } else if (op == "unset") {
      out.push_back({file, PolicyEdit{id, arg, std::nullopt}});
    } else {
      ADD_FAILURE() << "bad line in edits.txt: " << line;
    }
  }
  return out;
}

class GoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (stdfs::temp_directory_path() / "tagflow-golden-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    for (const std::string& f : CorpusFiles()) {
      stdfs::create_directories((root_ / f).parent_path());
      stdfs::copy_file(kCorpus / f, root_ / f);
    }
  }
  void TearDown() override { stdfs::remove_all(root_); }

  ScanResult ScanCopy() {
    Result<ScanResult> r = Scan(fs_, root_.string(), {});
    EXPECT_TRUE(r) << r.error().message;
    return r.value_or(ScanResult{});
  }

  Result<std::vector<std::string>> ApplySpec(const ScanResult& scan) {
    std::vector<Edit> edits;
    for (const SpecEdit& e : ReadSpec()) edits.push_back(e.edit);
    return ApplyEdits(fs_, root_.string(), scan, edits, false);
  }

  stdfs::path root_;
  RealFilesystem fs_;
};

TEST_F(GoldenTest, CorpusHasAtLeastThirtyManifests) {
  std::vector<std::string> files = CorpusFiles();
  auto yaml = std::count_if(files.begin(), files.end(), [](const std::string& f) {
    return f.ends_with(".yaml") || f.ends_with(".yml");
  });
  EXPECT_GE(yaml, 30);
}

TEST_F(GoldenTest, ScanFindsTheExpectedWorkloadsAndProblems) {
  ScanResult scan = ScanCopy();
  std::string text;
  for (const Workload& w : scan.workloads) {
    std::string policies;
    for (const auto& [k, v] : w.policies.values()) policies += fmt::format(" {}={}", k, v);
    text += fmt::format("{} ({}:{}){}\n", w.id, w.file, w.line, policies);
    for (const Container& c : w.containers) {
      text += fmt::format("  {} {}{}\n", c.name, c.image_text,
                          c.sources.front().not_editable.empty() ? "" : " (not editable)");
    }
  }
  for (const Problem& p : scan.problems)
    text += fmt::format("{}: {}\n", SeverityName(p.severity), p.ToString());
  stdfs::path expected = kGoldenDir / "expected-scan.txt";
  if (Updating()) WriteBytes(expected, text);
  EXPECT_EQ(text, ReadBytes(expected));
  // Errors come from the files under invalid/ only, and each of them has one.
  std::set<std::string> with_errors;
  for (const Problem& p : scan.problems) {
    if (p.severity != Severity::kError) continue;
    EXPECT_TRUE(p.file.starts_with("invalid/")) << p.ToString();
    with_errors.insert(p.file);
  }
  for (const std::string& f : CorpusFiles()) {
    if (f.starts_with("invalid/")) {
      EXPECT_TRUE(with_errors.contains(f)) << f;
    }
  }
}

// Issue 11 item 6: a duplicate key on the way to an image or an annotation
// makes its document an error naming the key and both lines, never a guess;
// the other documents of the file are scanned (and edited, see edits.txt).
TEST_F(GoldenTest, ADuplicateKeyRefusesItsDocumentInsteadOfGuessing) {
  struct Case {
    std::string file;
    std::string id;
    std::string container;
    std::string image;
    std::string key;
    int first;
    int second;
  };
  const std::vector<Case> cases = {
      {"invalid/duplicate-image.yaml", "invalid:deployment/twice-image", "web",
       "example.com/web:2.0.0", "image", 15, 18},
      {"invalid/duplicate-spec.yaml", "invalid:deployment/twice-spec", "api",
       "example.com/api:3.2.0", "spec", 19, 25},
      {"invalid/duplicate-annotations.yaml", "invalid:deployment/twice-annotations", "worker",
       "example.com/worker:0.2.0", "annotations", 6, 10},
      {"invalid/duplicate-annotations.yaml", "invalid:cronjob/twice-annotation-key", "job",
       "example.com/job:1.0.1", "fluxcd.io/tag.job", 25, 26},
  };
  ScanResult scan = ScanCopy();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    EXPECT_EQ(scan.Find(c.id), nullptr) << "a document with a duplicate key yields no workload";
    std::string want =
        fmt::format("duplicate key \"{}\" at lines {} and {}", c.key, c.first, c.second);
    auto error = std::find_if(scan.problems.begin(), scan.problems.end(), [&](const Problem& p) {
      return p.file == c.file && p.severity == Severity::kError &&
             p.message.find(want) != std::string::npos;
    });
    ASSERT_NE(error, scan.problems.end()) << want;
    EXPECT_EQ(error->line, c.second);
    EXPECT_THAT(error->ToString(), ::testing::StartsWith(fmt::format("{}:{}:", c.file, c.second)));

    // `release --update-image` on the file itself: refused with the reason.
    std::string content = ReadBytes(root_ / c.file);
    std::vector<Edit> edits = {
        ImageEdit{c.id, c.container, image::ImageRef::Parse(c.image).value()}};
    Result<std::string> out = RewriteManifest(c.file, content, edits);
    ASSERT_FALSE(out) << "edited a guess:\n" << *out;
    EXPECT_THAT(out.error().message, ::testing::HasSubstr(want));
  }
}

TEST_F(GoldenTest, RewriteMatchesTheGoldenBytesAndLeavesEveryOtherFileAlone) {
  ScanResult scan = ScanCopy();
  Result<std::vector<std::string>> changed = ApplySpec(scan);
  ASSERT_TRUE(changed) << changed.error().message;
  std::set<std::string> edited;
  for (const SpecEdit& e : ReadSpec()) edited.insert(e.file);
  EXPECT_EQ(std::set<std::string>(changed->begin(), changed->end()), edited)
      << "every file named in edits.txt changes, and no other";
  int compared = 0;
  for (const std::string& f : CorpusFiles()) {
    std::string actual = ReadBytes(root_ / f);
    stdfs::path golden = kCorpus / (f + ".golden");
    if (edited.contains(f)) {
      if (Updating()) WriteBytes(golden, actual);
      ASSERT_TRUE(stdfs::exists(golden)) << f << " is edited but has no .golden";
      EXPECT_EQ(actual, ReadBytes(golden)) << f;
    } else {
      EXPECT_FALSE(stdfs::exists(golden)) << f << " has a .golden but no edit";
      EXPECT_EQ(actual, ReadBytes(kCorpus / f)) << f << " must stay byte-identical";
    }
    ++compared;
  }
  EXPECT_GE(compared, 30);
}

TEST_F(GoldenTest, EditedFilesScanToTheNewValuesAndAreStable) {
  ASSERT_TRUE(ApplySpec(ScanCopy()));
  ScanResult after = ScanCopy();
  for (const SpecEdit& e : ReadSpec()) {
    if (const auto* image = std::get_if<ImageEdit>(&e.edit)) {
      const Workload* w = after.Find(image->workload);
      ASSERT_NE(w, nullptr) << image->workload;
      const Container* c = w->FindContainer(image->container);
      ASSERT_NE(c, nullptr) << image->workload << " " << image->container;
      EXPECT_EQ(c->image.CanonicalName(), image->image.CanonicalName());
      EXPECT_EQ(c->image.tag(), image->image.tag()) << image->workload;
      EXPECT_EQ(c->image.digest(), image->image.digest()) << image->workload;
    } else {
      const auto& policy = std::get<PolicyEdit>(e.edit);
      const Workload* w = after.Find(policy.workload);
      ASSERT_NE(w, nullptr) << policy.workload;
      EXPECT_EQ(w->policies.Get(policy.policy), policy.value)
          << policy.workload << " " << policy.policy;
    }
  }
  Result<std::vector<std::string>> again = ApplySpec(after);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_THAT(*again, ::testing::IsEmpty())
      << "applying the same edits twice changes nothing the second time";
}

}  // namespace
}  // namespace tagflow::manifest
