#include "daemon/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace tagflow::daemon {
namespace {

PlanProblem Problem(const std::string& workload, const std::string& container, ErrorKind kind,
                    std::string_view message, bool notice = false) {
  return PlanProblem{workload, container, kind, notice,
                     fmt::format("workload {} container {}: {}", workload, container, message)};
}

PlanProblem Problem(const AutomatedContainer& ac, ErrorKind kind, std::string_view message,
                    bool notice = false) {
  return Problem(ac.workload, ac.container, kind, message, notice);
}

// The tag a reference follows: its tag, else "latest".
std::string CurrentTag(const image::ImageRef& image) {
  return image.tag().empty() ? "latest" : image.tag();
}

// Why `tag` is held back by `ac`'s min-age, or "" when it is not.
std::string AgeGate(const AutomatedContainer& ac, const registry::TagMetadata& tag, TimePoint now) {
  if (!ac.release.min_age) return "";
  if (!tag.created) {
    return fmt::format("its creation time is unknown ({}), so tagflow.io/min-age cannot pass",
                       tag.problem.empty() ? "not fetched" : tag.problem);
  }
  auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - *tag.created);
  if (age >= *ac.release.min_age) return "";
  return fmt::format("it is {} old, younger than tagflow.io/min-age {}",
                     FormatDuration(std::max(age, std::chrono::milliseconds(0))),
                     FormatDuration(*ac.release.min_age));
}

}  // namespace

std::string PlanProblem::ToString() const { return message; }

void TrimForPlanning(manifest::Workload& w) {
  std::erase_if(w.annotations, [](const auto& a) { return a.first != kNotifyChannel; });
  w.annotations.shrink_to_fit();
  const manifest::Policies& p = w.policies;
  if (!p.automated() || p.locked() || p.ignored()) {
    std::vector<manifest::Container>().swap(w.containers);  // `= {}` keeps the capacity
    w.policies = {};
    return;
  }
  for (manifest::Container& c : w.containers)
    std::vector<manifest::ValueLocation>().swap(c.sources);
}

std::vector<AutomatedContainer> FindAutomated(const std::vector<manifest::Workload>& workloads,
                                              std::vector<PlanProblem>* problems) {
  std::vector<AutomatedContainer> out;
  size_t containers = 0;  // reserved at once: growing would hold two arrays for a moment
  for (const manifest::Workload& w : workloads) containers += w.containers.size();
  out.reserve(containers);
  // Thousands of containers share a handful of filter specs: each is parsed
  // (and its regex compiled) once, the copies share the compiled form.
  std::map<std::string, Result<image::TagFilter>, std::less<>> parsed;
  for (const manifest::Workload& w : workloads) {
    const manifest::Policies& p = w.policies;
    if (!p.automated() || p.locked() || p.ignored()) continue;
    for (const manifest::Container& c : w.containers) {
      if (c.locked) continue;  // a Flux v2 marker in a locked document
      std::string spec = p.TagFilter(c.name).value_or("");
      auto known = parsed.find(spec);
      if (known == parsed.end()) known = parsed.emplace(spec, image::TagFilter::Parse(spec)).first;
      const Result<image::TagFilter>& filter = known->second;
      Result<manifest::ReleasePolicy> release =
          filter ? p.Release(c.name)
                 : Result<manifest::ReleasePolicy>(std::unexpected(filter.error()));
      if (!release) {  // the container is left out, the others go on
        if (problems) {
          problems->push_back(
              Problem(w.id, c.name, ErrorKind::kInvalidInput, release.error().message));
        }
        continue;
      }
      out.push_back(AutomatedContainer{w.id, c.name, c.file.empty() ? w.file : c.file, c.image,
                                       *filter, *release});
    }
  }
  return out;
}

std::vector<registry::ScanTarget> ScanTargets(const std::vector<AutomatedContainer>& automated) {
  // One target per repository, each filter, wanted tag and gate once: a
  // big repository has thousands of containers on a few hundred images.
  std::vector<registry::ScanTarget> targets;
  std::map<std::string, size_t> index;  // canonical repository -> targets[i]
  std::set<std::string> seen;           // "<i> f|w|g <what>" already added
  for (const AutomatedContainer& ac : automated) {
    const image::ImageRef& image = ac.image;
    auto [it, fresh] = index.emplace(image.CanonicalName(), targets.size());
    if (fresh) targets.push_back(registry::ScanTarget{image, {}, {}, {}});
    registry::ScanTarget& t = targets[it->second];
    std::string at = std::to_string(it->second);
    if (seen.insert(at + " f " + ac.filter.spec()).second) t.filters.push_back(ac.filter);
    if (!image.tag().empty() && seen.insert(at + " w " + image.tag()).second) {
      t.wanted.push_back(image.tag());
    }
    if (ac.release.Gated()) {
      registry::GatedPolicy gate{ac.filter, CurrentTag(image), ac.release.min_age,
                                 ac.release.verify_cosign, ac.release.track_digest};
      std::string key = fmt::format("{} g {}\n{}\n{}\n{}{}", at, gate.filter.spec(), gate.current,
                                    gate.min_age ? gate.min_age->count() : -1, gate.verify_cosign,
                                    gate.track_digest);
      if (seen.insert(std::move(key)).second) t.gated.push_back(std::move(gate));
    }
  }
  return targets;
}

Plan MakePlan(const std::vector<AutomatedContainer>& automated,
              const std::map<std::string, registry::RepositoryScan>& scans,
              const DigestLookup& digest_of, const PlanContext& context, const Holds* holds) {
  Plan plan;
  for (const AutomatedContainer& ac : automated) {
    const image::ImageRef& image = ac.image;
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
    if (ac.release.verify_cosign && !context.cosign_keys) {
      plan.problems.push_back(Problem(
          ac, ErrorKind::kInvalidInput,
          "tagflow.io/verify: cosign needs the public keys to verify with (--cosign-key); not "
          "updated"));
      continue;
    }
    if (ac.release.track_digest && image.tag().empty() && !image.digest().empty()) {
      plan.problems.push_back(
          Problem(ac, ErrorKind::kInvalidInput,
                  fmt::format("tagflow.io/digest follows a tag, and {} names none; not updated",
                              ac.image.String())));
      continue;
    }

    std::string current_tag = CurrentTag(image);
    image::TagInfo current{current_tag, std::nullopt};
    auto found = std::find_if(infos.begin(), infos.end(),
                              [&](const image::TagInfo& t) { return t.tag == current_tag; });
    if (found != infos.end()) current = *found;
    // The newest candidate newer than the current tag that its gates let
    // through; never move down.
    const image::TagInfo* best = nullptr;
    bool undecided = false;  // a gate could not decide: no change on partial knowledge
    // A person rolled this container back from `held` (daemon/rollback.h):
    // only a tag newer than that one may be proposed.
    std::optional<image::TagInfo> held;
    if (auto h =
            holds != nullptr ? holds->find({ac.workload, ac.container}) : Holds::const_iterator();
        holds != nullptr && h != holds->end()) {
      auto info = std::find_if(infos.begin(), infos.end(),
                               [&](const image::TagInfo& t) { return t.tag == h->second; });
      held = info != infos.end() ? *info : image::TagInfo{h->second, std::nullopt};
    }
    std::string held_back;  // the newest candidate the hold refused
    for (const image::TagInfo& candidate : candidates) {
      if (candidate.tag == current_tag || !ac.filter.Newer(candidate, current)) break;
      if (held && !ac.filter.Newer(candidate, *held)) {  // rolled back: wait for a newer tag
        held_back = candidate.tag;
        break;
      }
      if (!ac.release.Gated()) {
        best = &candidate;
        break;
      }
      auto meta = std::find_if(tags.begin(), tags.end(), [&](const registry::TagMetadata& m) {
        return m.tag == candidate.tag;
      });
      if (std::string why = AgeGate(ac, *meta, context.now); !why.empty()) {
        plan.problems.push_back(Problem(ac, ErrorKind::kInvalidInput,
                                        fmt::format("tag {} of {} is not a candidate yet: {}",
                                                    candidate.tag, image.Name(), why),
                                        true));
        continue;
      }
      if (ac.release.verify_cosign) {
        if (meta->signature == registry::SignatureState::kUnchecked) {
          undecided = true;
          break;
        }
        if (meta->signature == registry::SignatureState::kInvalid) {
          plan.skips.push_back(
              GateSkip{ac.workload, ac.container, image.Name(), candidate.tag, meta->digest,
                       meta->signature_problem,
                       fmt::format("workload {} container {}: skipped {}:{}{}: {}", ac.workload,
                                   ac.container, image.Name(), candidate.tag,
                                   meta->digest.empty() ? "" : " (" + meta->digest + ")",
                                   meta->signature_problem)});
          continue;
        }
      }
      best = &candidate;
      break;
    }
    if (undecided) {
      plan.problems.push_back(Problem(
          ac, ErrorKind::kTransient,
          fmt::format("the signatures of {} are not all checked yet; not updated until they are",
                      image.Name()),
          true));
      continue;
    }
    if (best == nullptr && !held_back.empty()) {
      plan.problems.push_back(
          Problem(ac, ErrorKind::kInvalidInput,
                  fmt::format("held after a rollback from {}: no newer tag yet (best: {})",
                              held->tag, held_back),
                  true));
    }
    // The tag to write: the chosen one, else (digest tracking) the current.
    std::string tag = best != nullptr ? best->tag : current_tag;
    if (best == nullptr && !ac.release.track_digest) continue;

    std::string digest;
    if (ac.release.track_digest || !image.digest().empty()) {
      Result<std::string> d = digest_of(image, tag);
      if (!d) {
        plan.problems.push_back(Problem(ac, d.error().kind,
                                        fmt::format("cannot resolve the digest of {}:{}: {}",
                                                    image.Name(), tag, d.error().message)));
        continue;
      }
      if (!image::IsValidDigest(*d)) {
        plan.problems.push_back(Problem(
            ac, ErrorKind::kInvalidInput,
            fmt::format("the registry gave {}:{} a digest that is not algorithm:hex; not updated",
                        image.Name(), tag)));
        continue;
      }
      digest = *d;
    }
    // A gated new tag is written with the digest its gates judged, or not yet.
    if (best != nullptr && ac.release.Gated() && ac.release.track_digest) {
      auto meta = std::find_if(tags.begin(), tags.end(),
                               [&](const registry::TagMetadata& m) { return m.tag == tag; });
      if (meta == tags.end() || meta->digest != digest) {
        plan.problems.push_back(Problem(
            ac, ErrorKind::kInvalidInput,
            fmt::format("{}:{} now points at {}, not the image its gates checked; not updated "
                        "until the next scan checks it",
                        image.Name(), tag, digest),
            true));
        continue;
      }
    }
    // Tracked and nothing moved: the written tag and digest are current.
    if (best == nullptr && image.tag() == tag && image.digest() == digest) continue;
    // The tag was re-pushed: its new digest passes the gates too before it
    // replaces a written one.
    if (best == nullptr && ac.release.Gated() && !image.digest().empty()) {
      auto meta = std::find_if(tags.begin(), tags.end(),
                               [&](const registry::TagMetadata& m) { return m.tag == tag; });
      std::string why;
      if (meta == tags.end() || meta->digest != digest) {
        why = "the scan has not read the new image yet (next cycle)";
      } else if (std::string age = AgeGate(ac, *meta, context.now); !age.empty()) {
        why = age;
      } else if (ac.release.verify_cosign &&
                 meta->signature == registry::SignatureState::kInvalid) {
        plan.skips.push_back(GateSkip{
            ac.workload, ac.container, image.Name(), tag, digest, meta->signature_problem,
            fmt::format("workload {} container {}: skipped {}:{} ({}): {}", ac.workload,
                        ac.container, image.Name(), tag, digest, meta->signature_problem)});
        continue;
      } else if (ac.release.verify_cosign && meta->signature != registry::SignatureState::kValid) {
        why = "its signature is not checked yet";
      }
      if (!why.empty()) {
        plan.problems.push_back(
            Problem(ac, ErrorKind::kInvalidInput,
                    fmt::format("{}:{} was pushed again as {}; not followed yet: {}", image.Name(),
                                tag, digest, why),
                    true));
        continue;
      }
    }
    const std::string& file = ac.file;
    plan.changes.push_back(
        PlannedChange{ac.workload, ac.container, file, image, image.WithTag(tag, digest)});
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
