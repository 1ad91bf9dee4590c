#include "daemon/api.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "base/time.h"
#include "daemon/plan.h"

namespace tagflow::daemon {
namespace {

nlohmann::ordered_json TagJson(const std::string& name, const registry::ListedTag& tag) {
  nlohmann::ordered_json j;
  j["ID"] = name + ":" + tag.tag;
  if (!tag.digest.empty()) j["Digest"] = tag.digest;
  if (tag.created) j["CreatedAt"] = FormatRfc3339(*tag.created);
  return j;
}

}  // namespace

std::vector<WorkloadImages> ListImagesFor(registry::Scanner& scanner,
                                          std::span<const manifest::Workload> workloads,
                                          size_t shown) {
  std::vector<registry::ImageListRequest> requests;
  std::vector<std::string> filter_errors;
  for (const manifest::Workload& w : workloads) {
    for (const manifest::Container& c : w.containers) {
      std::string spec = w.policies.TagFilter(c.name).value_or("");
      Result<image::TagFilter> filter = image::TagFilter::Parse(spec);
      filter_errors.push_back(filter ? "" : filter.error().message);
      requests.push_back({c.image, filter ? *filter : *image::TagFilter::Parse(""), shown});
    }
  }
  std::vector<registry::ImageListing> listings = registry::ListImages(scanner, requests);
  std::vector<WorkloadImages> out;
  size_t i = 0;
  for (const manifest::Workload& w : workloads) {
    WorkloadImages wi{w.id, {}};
    for (const manifest::Container& c : w.containers) {
      wi.containers.push_back({c.name, std::move(listings[i]), filter_errors[i]});
      ++i;
    }
    out.push_back(std::move(wi));
  }
  return out;
}

void AttachRollbacks(std::vector<WorkloadImages>& images, const std::vector<Rollback>& rollbacks) {
  for (const Rollback& r : rollbacks) {
    for (WorkloadImages& w : images) {
      if (w.id != r.workload) continue;
      for (ContainerImages& c : w.containers) {
        if (c.name == r.container) c.rollback = r;
      }
    }
  }
}

nlohmann::ordered_json ImagesJson(const std::vector<WorkloadImages>& images) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const WorkloadImages& w : images) {
    nlohmann::ordered_json containers = nlohmann::ordered_json::array();
    for (const ContainerImages& c : w.containers) {
      const registry::ImageListing& l = c.listing;
      std::string name = l.image.Name();
      nlohmann::ordered_json current;
      current["ID"] = l.image.String();
      if (l.current) {
        if (!l.current->digest.empty()) current["Digest"] = l.current->digest;
        if (l.current->created) current["CreatedAt"] = FormatRfc3339(*l.current->created);
      }
      nlohmann::ordered_json cj;
      cj["Name"] = c.name;
      cj["Current"] = current;
      // Newest first: held from the rolled-back-from tag down to the current one.
      std::set<std::string> held;
      bool holding = false;
      for (const registry::ListedTag& t : l.available) {
        if (c.rollback && t.tag == c.rollback->from_tag) holding = true;
        if (c.rollback && t.tag == c.rollback->to_tag) holding = false;
        if (holding) held.insert(t.tag);
      }
      // A held tag is not what the automation picks.
      if (l.latest_filtered && c.filter_error.empty() && !held.contains(l.latest_filtered->tag))
        cj["LatestFiltered"] = TagJson(name, *l.latest_filtered);
      nlohmann::ordered_json available = nlohmann::ordered_json::array();
      for (const registry::ListedTag& t : l.available) {
        nlohmann::ordered_json tag = TagJson(name, t);
        if (held.contains(t.tag)) tag["Held"] = true;
        available.push_back(std::move(tag));
      }
      cj["Available"] = available;
      std::string error = !l.error.empty() ? l.error : c.filter_error;
      if (!error.empty()) cj["AvailableError"] = error;
      if (c.rollback) {
        cj["Rollback"] = {{"From", c.rollback->from_tag},
                          {"To", c.rollback->to_tag},
                          {"Commit", c.rollback->commit},
                          {"Author", c.rollback->author}};
      }
      containers.push_back(cj);
    }
    out.push_back({{"ID", w.id}, {"Containers", containers}});
  }
  return out;
}

Result<std::string> DigestOf(registry::Scanner& scanner, const image::ImageRef& image,
                             const std::string& tag) {
  return scanner.CurrentDigest(image, tag);
}

Result<std::optional<image::ImageRef>> LatestAllowedImage(registry::Scanner& scanner,
                                                          const manifest::Workload& w,
                                                          const manifest::Container& c) {
  Result<image::TagFilter> filter =
      image::TagFilter::Parse(w.policies.TagFilter(c.name).value_or(""));
  if (!filter) {
    return Fail(filter.error().Wrap(fmt::format("workload {} container {}", w.id, c.name)));
  }
  std::vector<AutomatedContainer> one = {
      {w.id, c.name, c.file.empty() ? w.file : c.file, c.image, *filter}};
  std::map<std::string, registry::RepositoryScan> scans;
  for (const registry::ScanTarget& t : ScanTargets(one)) {
    scans.emplace(t.image.CanonicalName(),
                  registry::RepositoryScan{t.image, false, scanner.ScanRepository(t)});
  }
  Plan plan = MakePlan(one, scans, [&](const image::ImageRef& image, const std::string& tag) {
    return DigestOf(scanner, image, tag);
  });
  for (const PlanProblem& p : plan.problems) {
    if (!p.notice) return Fail(p.kind, p.message);
  }
  if (plan.changes.empty()) return std::optional<image::ImageRef>();
  return std::optional<image::ImageRef>(plan.changes.front().to);
}

nlohmann::ordered_json WorkloadsJson(std::span<const manifest::Workload> workloads) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const manifest::Workload& w : workloads) {
    nlohmann::ordered_json containers = nlohmann::ordered_json::array();
    for (const manifest::Container& c : w.containers) {
      containers.push_back({{"Name", c.name}, {"Current", {{"ID", c.image_text}}}});
    }
    nlohmann::ordered_json policies = nlohmann::ordered_json::object();
    for (const auto& [policy, value] : w.policies.values()) policies[policy] = value;
    out.push_back({{"ID", w.id},
                   {"Containers", std::move(containers)},
                   {"Policies", std::move(policies)},
                   {"Automated", w.policies.automated()},
                   {"Locked", w.policies.locked()},
                   {"Ignore", w.policies.ignored()}});
  }
  return out;
}

}  // namespace tagflow::daemon
