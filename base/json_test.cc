#include "base/json.h"

#include <gtest/gtest.h>

namespace tagflow {
namespace {

TEST(ParseJsonTest, ReadsDocumentsAndRefusesGarbage) {
  std::optional<nlohmann::json> doc = ParseJson(R"({"a": [1, "x"]})");
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["a"][1], "x");
  EXPECT_FALSE(ParseJson("{"));
  EXPECT_FALSE(ParseJson(""));
  EXPECT_FALSE(ParseJson("\"\xff\xfe\""));  // invalid UTF-8 in a string
}

TEST(ParseJsonTest, RefusesDeepNesting) {
  std::string ok = std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']');
  EXPECT_TRUE(ParseJson(ok));
  std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  EXPECT_FALSE(ParseJson(deep));
}

TEST(JsonAccessTest, WrongTypesGiveNeutralValuesInsteadOfThrowing) {
  nlohmann::json doc = *ParseJson(R"({"s": "v", "n": 1, "o": {"s": "w"}})");
  EXPECT_EQ(JsonString(doc, "s"), "v");
  EXPECT_EQ(JsonString(doc, "n"), "");
  EXPECT_EQ(JsonString(doc, "missing", "fb"), "fb");
  EXPECT_EQ(JsonString(JsonMember(doc, "o"), "s"), "w");
  EXPECT_TRUE(JsonMember(doc, "missing").is_null());
  EXPECT_TRUE(JsonMember(nlohmann::json::array(), "s").is_null());
  EXPECT_EQ(JsonString(nlohmann::json(42), "s"), "");
  EXPECT_EQ(JsonString(JsonMember(JsonMember(doc, "n"), "x"), "y"), "");
}

}  // namespace
}  // namespace tagflow
