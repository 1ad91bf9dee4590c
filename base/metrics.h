// A small thread-safe Prometheus metrics registry: counters, gauges and
// summaries (sum + count), rendered in the text exposition format 0.0.4.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tagflow {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  enum class Type { kCounter, kGauge, kSummary };

  // Declares a metric family; using an undeclared name is allowed (it renders
  // as untyped), declaring twice keeps the first.
  void Describe(std::string_view name, Type type, std::string_view help);

  // counter += delta
  void Add(std::string_view name, const Labels& labels = {}, double delta = 1);
  // gauge = value
  void Set(std::string_view name, const Labels& labels, double value);
  // summary: <name>_sum += value, <name>_count += 1
  void Observe(std::string_view name, const Labels& labels, double value);

  // The current value of one series (0 when absent), for tests and /readyz.
  double Value(std::string_view name, const Labels& labels = {}) const;

  // Every family in name order, HELP and TYPE lines first.
  std::string Render() const;

 private:
  struct Family {
    Type type = Type::kGauge;
    bool described = false;
    std::string help;
    std::map<std::string, double> series;  // rendered label set -> value
  };
  static std::string RenderLabels(const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace tagflow
