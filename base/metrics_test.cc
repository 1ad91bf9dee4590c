#include "base/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tagflow {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, RendersCountersWithLabelsAndHelp) {
  Metrics m;
  m.Describe("tagflow_registry_requests_total", Metrics::Type::kCounter, "Registry requests.");
  m.Add("tagflow_registry_requests_total", {{"host", "localhost:5000"}, {"status", "200"}});
  m.Add("tagflow_registry_requests_total", {{"host", "localhost:5000"}, {"status", "200"}}, 2);
  std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE tagflow_registry_requests_total counter\n"));
  EXPECT_THAT(
      text,
      HasSubstr("tagflow_registry_requests_total{host=\"localhost:5000\",status=\"200\"} 3\n"));
  EXPECT_EQ(
      m.Value("tagflow_registry_requests_total", {{"host", "localhost:5000"}, {"status", "200"}}),
      3);
}

TEST(MetricsTest, SummariesHaveSumAndCount) {
  Metrics m;
  m.Describe("tagflow_cycle_duration_seconds", Metrics::Type::kSummary, "Cycle duration.");
  m.Observe("tagflow_cycle_duration_seconds", {}, 0.5);
  m.Observe("tagflow_cycle_duration_seconds", {}, 1.5);
  std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("tagflow_cycle_duration_seconds_sum 2\n"));
  EXPECT_THAT(text, HasSubstr("tagflow_cycle_duration_seconds_count 2\n"));
}

TEST(MetricsTest, EscapesLabelValues) {
  Metrics m;
  m.Set("g", {{"file", "a\"b\\c\nd"}}, 1);
  EXPECT_THAT(m.Render(), HasSubstr("g{file=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST(MetricsTest, AbsentSeriesIsZero) {
  Metrics m;
  EXPECT_EQ(m.Value("nothing"), 0);
}

}  // namespace
}  // namespace tagflow
