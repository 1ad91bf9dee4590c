// Issue 11 item 6: a key written twice on the way to an image or an
// annotation makes its document an error naming the key and both lines; a
// reader that took the first (or the last) would edit or report a guess.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "manifest/extract.h"
#include "manifest/memory_filesystem.h"
#include "manifest/rewrite.h"
#include "manifest/update.h"

namespace tagflow::manifest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::vector<std::string> Ids(const FileScan& s) {
  std::vector<std::string> out;
  for (const Workload& w : s.workloads) out.push_back(w.id);
  return out;
}

constexpr std::string_view kOther = R"(---
kind: Deployment
metadata:
  name: other
spec:
  template:
    spec:
      containers:
      - name: app
        image: example.com/other:1.0.0
)";

struct DuplicateCase {
  std::string name;
  std::string document;  // the first document of the file
  std::string key;
  int first;  // 1-based lines of the two keys
  int second;
};

void PrintTo(const DuplicateCase& c, std::ostream* os) { *os << c.name; }

class DuplicateKey : public ::testing::TestWithParam<DuplicateCase> {};

TEST_P(DuplicateKey, RefusesTheDocumentNamingBothLinesAndKeepsTheRest) {
  const DuplicateCase& c = GetParam();
  FileScan s = ScanText("dup.yaml", c.document + std::string(kOther));
  EXPECT_THAT(Ids(s), ElementsAre("default:deployment/other"));
  ASSERT_THAT(s.problems, SizeIs(1));
  const Problem& p = s.problems[0];
  EXPECT_EQ(p.severity, Severity::kError);
  EXPECT_EQ(p.file, "dup.yaml");
  EXPECT_EQ(p.line, c.second);
  EXPECT_THAT(p.message, HasSubstr("duplicate key \"" + c.key + "\" at lines " +
                                   std::to_string(c.first) + " and " + std::to_string(c.second)));
  EXPECT_THAT(p.message, HasSubstr("document 1 is skipped"));
}

INSTANTIATE_TEST_SUITE_P(
    OnThePath, DuplicateKey,
    ::testing::Values(
        DuplicateCase{"image",
                      "kind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
                      "      containers:\n      - name: web\n        image: example.com/web:1.0.0\n"
                      "        image: example.com/web:1.1.0\n",
                      "image", 9, 10},
        DuplicateCase{"spec",
                      "kind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: "
                      "a:1}]\nspec:\n  containers: [{name: c, image: a:2}]\n",
                      "spec", 3, 5},
        DuplicateCase{"annotations",
                      "kind: Pod\nmetadata:\n  name: p\n  annotations: {fluxcd.io/automated: "
                      "\"true\"}\n  annotations: {fluxcd.io/locked: \"true\"}\nspec:\n  "
                      "containers: [{name: c, image: a:1}]\n",
                      "annotations", 4, 5},
        DuplicateCase{"annotation",
                      "kind: Pod\nmetadata:\n  name: p\n  annotations:\n    fluxcd.io/tag.c: "
                      "glob:1.*\n    fluxcd.io/tag.c: glob:2.*\nspec:\n  containers: [{name: c, "
                      "image: a:1}]\n",
                      "fluxcd.io/tag.c", 5, 6},
        DuplicateCase{"name",
                      "kind: Pod\nmetadata:\n  name: p\n  name: q\nspec:\n  containers: [{name: "
                      "c, image: a:1}]\n",
                      "name", 3, 4},
        DuplicateCase{"kind", "kind: Pod\nkind: Deployment\nmetadata: {name: p}\n", "kind", 1, 2},
        DuplicateCase{"containers",
                      "kind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: "
                      "a:1}]\n  containers: [{name: c, image: a:2}]\n",
                      "containers", 4, 5},
        DuplicateCase{"template",
                      "kind: Job\nmetadata: {name: j}\nspec:\n  template: {spec: {containers: "
                      "[]}}\n  template: {spec: {containers: [{name: c, image: a:1}]}}\n",
                      "template", 4, 5},
        DuplicateCase{"list-item-spec",
                      "kind: List\nitems:\n- kind: Pod\n  metadata: {name: p}\n  spec: {}\n  "
                      "spec:\n    containers: [{name: c, image: a:1}]\n",
                      "spec", 5, 6},
        DuplicateCase{"helm-values-key",
                      "kind: HelmRelease\nmetadata: {name: r}\nspec:\n  values:\n    redis: "
                      "{image: redis:6}\n    redis: {image: redis:7}\n",
                      "redis", 5, 6},
        DuplicateCase{"helm-tag",
                      "kind: HelmRelease\nmetadata: {name: r}\nspec:\n  values:\n    image: "
                      "{repository: redis, tag: '6', tag: '7'}\n",
                      "tag", 5, 5}),
    [](const auto& info) {
      std::string name = info.param.name;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST(DuplicateKeyOffThePath, IsNoBusinessOfTheScan) {
  // Twice `ports`, `labels` and a values key holding no image: kubectl's
  // choice changes nothing tagflow reads or writes.
  FileScan s = ScanText("f.yaml", R"(kind: Deployment
metadata:
  name: web
  labels: {a: b}
  labels: {a: c}
spec:
  template:
    spec:
      containers:
      - name: web
        ports: [{containerPort: 80}]
        image: example.com/web:1.0.0
        ports: [{containerPort: 81}]
---
kind: HelmRelease
metadata: {name: r}
spec:
  values:
    replicas: 1
    replicas: 2
    image: redis:7
)");
  EXPECT_THAT(Ids(s), ElementsAre("default:deployment/web", "default:helmrelease/r"));
  EXPECT_THAT(s.problems, IsEmpty());
}

TEST(DuplicateKeyRelease, IsRefusedNeverAGuess) {
  // `release --update-image example.com/web:2.0.0` used to report success
  // and edit the first of the two lines.
  InMemoryFilesystem fs;
  std::string text =
      "kind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n"
      "      - name: web\n        image: example.com/web:1.0.0\n        image: "
      "example.com/web:1.1.0\n";
  fs.AddFile("/repo/web.yaml", text);
  Result<ScanResult> scan = Scan(fs, "/repo", {});
  ASSERT_TRUE(scan);
  EXPECT_TRUE(scan->HasErrors());
  EXPECT_EQ(scan->Find("default:deployment/web"), nullptr);
  std::vector<std::string> ids = {"default:deployment/web"};
  ReleaseSpec spec{image::ImageRef::Parse("example.com/web:2.0.0").value(), {}, false};
  Result<ChangeSet> out = ReleaseImages(fs, "/repo", *scan, ids, spec, {}, false);
  EXPECT_FALSE(out);
  EXPECT_EQ(*fs.Contents("/repo/web.yaml"), text);
  // Straight at the file, the rewrite names the reason.
  std::vector<Edit> edits = {ImageEdit{"default:deployment/web", "web",
                                       image::ImageRef::Parse("example.com/web:2.0.0").value()}};
  Result<std::string> rewritten = RewriteManifest("web.yaml", text, edits);
  ASSERT_FALSE(rewritten);
  EXPECT_EQ(rewritten.error().kind, ErrorKind::kNotFound);
  EXPECT_THAT(rewritten.error().message,
              HasSubstr("web.yaml:10:9: default:deployment/web: duplicate key \"image\" at lines "
                        "9 and 10"));
}

}  // namespace
}  // namespace tagflow::manifest
