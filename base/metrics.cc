#include "base/metrics.h"

#include <fmt/format.h>

namespace tagflow {
namespace {

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view TypeName(Metrics::Type t) {
  switch (t) {
    case Metrics::Type::kCounter:
      return "counter";
    case Metrics::Type::kGauge:
      return "gauge";
    case Metrics::Type::kSummary:
      return "summary";
  }
  return "untyped";
}

}  // namespace

std::string Metrics::RenderLabels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ",";
    out += labels[i].first + "=\"" + EscapeLabelValue(labels[i].second) + "\"";
  }
  return out + "}";
}

void Metrics::Describe(std::string_view name, Type type, std::string_view help) {
  std::lock_guard lock(mu_);
  Family& f = families_[std::string(name)];
  if (f.described) return;
  f.described = true;
  f.type = type;
  f.help = help;
}

void Metrics::Add(std::string_view name, const Labels& labels, double delta) {
  std::lock_guard lock(mu_);
  families_[std::string(name)].series[RenderLabels(labels)] += delta;
}

void Metrics::Set(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  families_[std::string(name)].series[RenderLabels(labels)] = value;
}

void Metrics::Observe(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  Family& f = families_[std::string(name)];
  std::string l = RenderLabels(labels);
  f.series["_sum" + l] += value;
  f.series["_count" + l] += 1;
}

double Metrics::Value(std::string_view name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto s = it->second.series.find(RenderLabels(labels));
  return s == it->second.series.end() ? 0 : s->second;
}

std::string Metrics::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (f.described) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, TypeName(f.type));
    }
    for (const auto& [labels, value] : f.series) {
      // Summary series are stored as "_sum{..}" / "_count{..}": the suffix
      // belongs to the name.
      out += fmt::format("{}{} {}\n", name, labels, value);
    }
  }
  return out;
}

}  // namespace tagflow
