// Differential tests: whenever the fast parser accepts a text, yaml-cpp must
// accept it too and build the same tree with the same positions.
#include "manifest/fast_yaml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "manifest/yaml_tree.h"

namespace tagflow::manifest::internal {
namespace {

namespace stdfs = std::filesystem;

// Equal kinds, values, tags, styles and positions (empty values: kind only,
// their position is where the next token starts and is not used).
::testing::AssertionResult SameWithPositions(const YamlNode& a, const YamlNode& b,
                                             const std::string& path = "$") {
  if (a.kind != b.kind) return ::testing::AssertionFailure() << path << ": kind differs";
  if (a.kind == YamlNode::Kind::kNull) return ::testing::AssertionSuccess();
  if (a.offset != b.offset || a.line != b.line || a.column != b.column) {
    return ::testing::AssertionFailure()
           << path << ": position " << a.offset << " " << a.line << ":" << a.column << " vs "
           << b.offset << " " << b.line << ":" << b.column;
  }
  if (a.tag != b.tag || a.value != b.value || a.flow != b.flow) {
    return ::testing::AssertionFailure() << path << ": value/tag/style \"" << a.value << "\" "
                                         << a.tag << " vs \"" << b.value << "\" " << b.tag;
  }
  if (a.children.size() != b.children.size())
    return ::testing::AssertionFailure() << path << ": size differs";
  for (std::size_t i = 0; i < a.children.size(); ++i) {
    auto r = SameWithPositions(a.children[i], b.children[i], path + "/" + std::to_string(i));
    if (!r) return r;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult AgreesWithYamlCpp(const std::string& text, bool* fast_used = nullptr) {
  std::size_t bom = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  std::optional<YamlStream> fast = ParseYamlFast(text, bom);
  if (fast_used != nullptr) *fast_used = fast.has_value();
  if (!fast) return ::testing::AssertionSuccess();
  Result<YamlStream> slow = ParseYamlWithYamlCpp(text);
  if (!slow)
    return ::testing::AssertionFailure()
           << "fast parser accepted what yaml-cpp rejects: " << slow.error().message;
  if (fast->documents.size() != slow->documents.size()) {
    return ::testing::AssertionFailure()
           << fast->documents.size() << " documents vs " << slow->documents.size();
  }
  for (std::size_t i = 0; i < fast->documents.size(); ++i) {
    const YamlDocument& f = fast->documents[i];
    const YamlDocument& s = slow->documents[i];
    if (f.offset != s.offset || f.line != s.line) {
      return ::testing::AssertionFailure()
             << "document " << i << " starts at " << f.offset << " vs " << s.offset;
    }
    auto r = SameWithPositions(f.root, s.root, "doc" + std::to_string(i));
    if (!r) return r;
  }
  return ::testing::AssertionSuccess();
}

const std::vector<std::string>& Samples() {
  static const std::vector<std::string> samples = {
      "a: 1\n",
      "a: 1\n---\n",
      "---\na: 1\n---\n# only a comment\n",
      "a: 1\n...\n---\nb: 2\n",
      "a: 1\n...\nb: 2\n",
      "--- # start\n- a\n- b\n...\n",
      "\xEF\xBB\xBFkey: \"välue\"\r\nnext: x # c\r\n",
      "é: x\nlist:\n- 1\n-\n- \n  - nested\nmap:\n  k: v\n\n  # comment\n  j: ~\nn: null\ne:\n",
      "kind: Deployment\nmetadata:\n  name: web   # c\n  labels: {a: b, c: \"d\"}\nspec:\n  "
      "containers:\n"
      "  - name: app\n    image: \"nginx:1.2\"\n    args: ['--x', \"-y\", z]\n  -   name: two\n    "
      "  image: 'a:b'\n",
      "{\n  \"apiVersion\": \"v1\",\n  \"spec\": {\"containers\": [ {\"name\": \"a\", \"image\": "
      "\"x:1\"} ]}\n}\n",
      "a: {b: [1, {c: d}], e: []}\nf: [ ]\ng: { }\n",
      "k: 'it''s'\nl: \"q \\\" \\\\ \\/ \\n \\t\"\nm: a#b\nn: http://x:80/y\no: -1\np: -Xmx1g\n",
      "a:\n  b:\n    c:\n    - d\n    e: f\n  g: h\ni: j",
      "- a: 1\n  b: 2\n- c: 3\n",
      "a:\n  scalar below\nb: 1\n",
      "\"quoted key\": 1\n'single': 2\n",
      "<<: x\n~: y\n",
  };
  return samples;
}

TEST(FastYaml, AcceptsTheCommonShapesAndAgreesWithYamlCpp) {
  for (const std::string& s : Samples()) {
    bool fast = false;
    EXPECT_TRUE(AgreesWithYamlCpp(s, &fast)) << s;
    EXPECT_TRUE(fast) << "should take the fast path:\n" << s;
  }
}

TEST(FastYaml, GivesUpOnWhatItDoesNotHandle) {
  for (std::string s :
       {"a:\t1\n", "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: |\n  x\n", "a: >-\n  x\n",
        "a: plain\n  continued\n", "%YAML 1.2\n---\na: 1\n", "? complex\n: key\n", "a: \"x\\e\"\n",
        "a: \"two\n  lines\"\n", "- - nested\n", "a: [1, 2,]\n", "a: {b}\n", "a: b: c\n", "...\n",
        "a: 1\n b: 2\n", "a: [1,\n2]\n", "a:\n- 1\n - 2\n", "a: x\r\n\rb: y\n"}) {
    EXPECT_FALSE(ParseYamlFast(s, 0).has_value()) << s;
    bool fast = true;
    EXPECT_TRUE(AgreesWithYamlCpp(s, &fast));
  }
  std::string deep(200, '[');
  EXPECT_FALSE(ParseYamlFast(deep, 0).has_value());
}

std::vector<std::string> CorpusTexts() {
  std::vector<std::string> texts;
  stdfs::path corpus =
      stdfs::path(__FILE__).parent_path().parent_path() / "test" / "golden" / "corpus";
  for (const auto& e : stdfs::recursive_directory_iterator(corpus)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    texts.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return texts;
}

TEST(FastYaml, GoldenCorpusAgreesAndMostlyTakesTheFastPath) {
  std::vector<std::string> texts = CorpusTexts();
  ASSERT_GE(texts.size(), 30u);
  int fast_count = 0;
  for (const std::string& t : texts) {
    bool fast = false;
    EXPECT_TRUE(AgreesWithYamlCpp(t, &fast)) << t;
    fast_count += fast ? 1 : 0;
  }
  EXPECT_GE(fast_count * 10, static_cast<int>(texts.size()) * 7)
      << fast_count << " of " << texts.size();
}

// Random edits of every sample and corpus file: the fast parser may give up,
// but whatever it accepts, yaml-cpp must read the same way.
TEST(FastYaml, MutationsNeverMakeTheParsersDisagree) {
  std::vector<std::string> inputs = CorpusTexts();
  for (const std::string& s : Samples()) inputs.push_back(s);
  // TAGFLOW_FUZZ_ROUNDS / TAGFLOW_FUZZ_SEED widen the search when run by hand.
  const char* rounds_env = std::getenv("TAGFLOW_FUZZ_ROUNDS");
  const char* seed_env = std::getenv("TAGFLOW_FUZZ_SEED");
  int rounds = rounds_env != nullptr ? std::atoi(rounds_env) : 150;
  std::mt19937 rng(seed_env != nullptr ? static_cast<unsigned>(std::atoi(seed_env)) : 20240601u);
  constexpr std::string_view kInsert = " :-#\"'\n{}[],x&*|>!~.\r";
  int accepted = 0;
  int total = 0;
  for (const std::string& input : inputs) {
    if (input.empty()) continue;
    for (int round = 0; round < rounds; ++round) {
      std::string m = input;
      int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits && !m.empty(); ++e) {
        std::size_t at = rng() % m.size();
        switch (rng() % 4) {
          case 0:
            m.erase(at, 1);
            break;
          case 1:
            m.insert(at, 1, kInsert[rng() % kInsert.size()]);
            break;
          case 2:
            m.insert(at, " ");
            break;
          default: {
            std::size_t line = m.rfind('\n', at);
            m.insert(line == std::string::npos ? 0 : line + 1, (rng() % 2) ? " " : "  ");
          }
        }
      }
      ParseFailure failure;
      if (!ParseYamlWithYamlCpp(m, &failure) && failure.what.find("UTF-8") != std::string::npos)
        continue;
      bool fast = false;
      ASSERT_TRUE(AgreesWithYamlCpp(m, &fast)) << "input:\n" << m;
      accepted += fast ? 1 : 0;
      ++total;
    }
  }
  EXPECT_GT(accepted, total / 10) << "the mutations should exercise the fast path too";
}

TEST(FastYaml, ParseYamlUsesEitherPathTransparently) {
  for (const std::string& s : Samples()) {
    Result<YamlStream> a = ParseYaml(s);
    Result<YamlStream> b = ParseYamlWithYamlCpp(s);
    ASSERT_TRUE(a && b) << s;
    ASSERT_EQ(a->documents.size(), b->documents.size());
    for (std::size_t i = 0; i < a->documents.size(); ++i)
      EXPECT_TRUE(SameTree(a->documents[i].root, b->documents[i].root));
  }
}

}  // namespace
}  // namespace tagflow::manifest::internal
