#include "daemon/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace tagflow::daemon {
namespace {

PlanProblem Problem(const AutomatedContainer& ac, ErrorKind kind, std::string message,
                    bool notice = false) {
  return PlanProblem{
      ac.workload->id, ac.container->name, kind, notice,
      fmt::format("workload {} container {}: {}", ac.workload->id, ac.container->name, message)};
}

}  // namespace

std::string PlanProblem::ToString() const { return message; }

std::vector<AutomatedContainer> FindAutomated(const std::vector<manifest::Workload>& workloads,
                                              std::vector<PlanProblem>* problems) {
  std::vector<AutomatedContainer> out;
  for (const manifest::Workload& w : workloads) {
    const manifest::Policies& p = w.policies;
    if (!p.automated() || p.locked() || p.ignored()) continue;
    for (const manifest::Container& c : w.containers) {
      if (c.locked) continue;  // a Flux v2 marker in a locked document
      std::string spec = p.TagFilter(c.name).value_or("");
      Result<image::TagFilter> filter = image::TagFilter::Parse(spec);
      if (!filter) {
        if (problems) {
          problems->push_back(PlanProblem{
              w.id, c.name, ErrorKind::kInvalidInput, false,
              fmt::format("workload {} container {}: {}", w.id, c.name, filter.error().message)});
        }
        continue;
      }
      out.push_back(AutomatedContainer{&w, &c, std::move(*filter)});
    }
  }
  return out;
}

std::vector<registry::ScanTarget> ScanTargets(const std::vector<AutomatedContainer>& automated) {
  std::vector<registry::ScanTarget> targets;
  for (const AutomatedContainer& ac : automated) {
    registry::ScanTarget t{ac.container->image, {ac.filter}, {}};
    if (!ac.container->image.tag().empty()) t.wanted.push_back(ac.container->image.tag());
    targets.push_back(std::move(t));
  }
  return targets;
}

Plan MakePlan(const std::vector<AutomatedContainer>& automated,
              const std::map<std::string, registry::RepositoryScan>& scans,
              const DigestLookup& digest_of, const Holds* holds) {
  Plan plan;
  for (const AutomatedContainer& ac : automated) {
    const image::ImageRef& image = ac.container->image;
    auto scan = scans.find(image.CanonicalName());
    if (scan == scans.end()) {
      plan.problems.push_back(
          Problem(ac, ErrorKind::kInternal, fmt::format("image {} was not scanned", image.Name())));
      continue;
    }
    if (scan->second.excluded) continue;
    if (!scan->second.tags) {
      plan.problems.push_back(
          Problem(ac, scan->second.tags.error().kind, scan->second.tags.error().message));
      continue;
    }
    const std::vector<registry::TagMetadata>& tags = *scan->second.tags;
    std::vector<image::TagInfo> infos;
    infos.reserve(tags.size());
    for (const registry::TagMetadata& t : tags) {
      // The registry client drops tags outside the grammar; this keeps any
      // other source from ever writing one (a tag is written into YAML).
      if (image::IsValidTag(t.tag)) infos.push_back(t.Info());
    }

    // Not on partial knowledge: a matching tag whose metadata waits for a
    // later scan may be the newest.
    size_t deferred = std::count_if(tags.begin(), tags.end(), [&](const registry::TagMetadata& t) {
      return t.deferred && ac.filter.Matches(t.tag);
    });
    if (deferred > 0) {
      plan.problems.push_back(Problem(
          ac, ErrorKind::kTransient,
          fmt::format("the scan of {} is not complete yet ({} matching tag(s) wait for metadata); "
                      "not updated until it is",
                      image.Name(), deferred),
          true));
      continue;
    }
    std::vector<std::string> unknown;
    std::vector<image::TagInfo> candidates = ac.filter.Select(infos, &unknown);
    for (const std::string& tag : unknown) {
      auto meta = std::find_if(tags.begin(), tags.end(),
                               [&](const registry::TagMetadata& m) { return m.tag == tag; });
      std::string why =
          meta != tags.end() && !meta->problem.empty() ? meta->problem : "no creation time";
      plan.problems.push_back(Problem(
          ac, ErrorKind::kInvalidInput,
          fmt::format("tag {} of {} is not a candidate: {}", tag, image.Name(), why), true));
    }
    if (candidates.empty()) continue;
    const image::TagInfo& best = candidates.front();

    std::string current_tag = image.tag().empty() ? "latest" : image.tag();
    if (best.tag == current_tag) continue;
    image::TagInfo current{current_tag, std::nullopt};
    auto found = std::find_if(infos.begin(), infos.end(),
                              [&](const image::TagInfo& t) { return t.tag == current_tag; });
    if (found != infos.end()) current = *found;
    if (!ac.filter.Newer(best, current)) continue;  // never move down
    if (holds != nullptr) {
      auto held = holds->find({ac.workload->id, ac.container->name});
      if (held != holds->end()) {
        auto info = std::find_if(infos.begin(), infos.end(),
                                 [&](const image::TagInfo& t) { return t.tag == held->second; });
        image::TagInfo held_info =
            info != infos.end() ? *info : image::TagInfo{held->second, std::nullopt};
        if (!ac.filter.Newer(best, held_info)) {  // rolled back: wait for a newer tag
          plan.problems.push_back(
              Problem(ac, ErrorKind::kInvalidInput,
                      fmt::format("held after a rollback from {}: no newer tag yet (best: {})",
                                  held->second, best.tag),
                      true));
          continue;
        }
      }
    }

    std::string digest;
    if (!image.digest().empty()) {
      Result<std::string> d = digest_of(image, best.tag);
      if (!d) {
        plan.problems.push_back(Problem(ac, d.error().kind,
                                        fmt::format("cannot resolve the digest of {}:{}: {}",
                                                    image.Name(), best.tag, d.error().message)));
        continue;
      }
      if (!image::IsValidDigest(*d)) {
        plan.problems.push_back(Problem(
            ac, ErrorKind::kInvalidInput,
            fmt::format("the registry gave {}:{} a digest that is not algorithm:hex; not updated",
                        image.Name(), best.tag)));
        continue;
      }
      digest = *d;
    }
    const std::string& file = ac.container->file.empty() ? ac.workload->file : ac.container->file;
    plan.changes.push_back(PlannedChange{ac.workload->id, ac.container->name, file, image,
                                         image.WithTag(best.tag, digest)});
  }
  return plan;
}

std::string CommitMessage(const std::vector<PlannedChange>& changes, bool ci_skip,
                          const std::string& ci_skip_message) {
  std::vector<std::string> refs;
  for (const PlannedChange& c : changes) {
    std::string ref = c.to.String();
    if (std::find(refs.begin(), refs.end(), ref) == refs.end()) refs.push_back(ref);
  }
  std::sort(refs.begin(), refs.end());
  std::string message;
  if (refs.size() == 1) {
    message = "Auto-release " + refs.front() + "\n";
  } else {
    message = fmt::format("Auto-release multiple ({}) images\n\n", refs.size());
    for (const std::string& ref : refs) message += " - " + ref + "\n";
  }
  if (ci_skip) message += "\n" + ci_skip_message + "\n";
  return message;
}

}  // namespace tagflow::daemon
