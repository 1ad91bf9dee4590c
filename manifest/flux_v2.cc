#include "manifest/flux_v2.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

#include "base/json.h"
#include "base/strings.h"
#include "image/tag_filter.h"
#include "manifest/workload.h"

namespace tagflow::manifest {
namespace {

constexpr std::string_view kMarkerKey = "\"$imagepolicy\"";

Result<std::optional<Marker>> Malformed(std::string_view why) {
  return Fail(ErrorKind::kInvalidInput, fmt::format("malformed $imagepolicy marker: {}", why));
}

// Skips spaces and tabs from `at` on.
std::size_t SkipBlank(std::string_view s, std::size_t at) {
  while (at < s.size() && (s[at] == ' ' || s[at] == '\t')) ++at;
  return at;
}

const FluxImagePolicy* FindPolicy(const FluxObjects& objects, std::string_view ns,
                                  std::string_view name) {
  for (const FluxImagePolicy& p : objects.policies)
    if (p.ns == ns && p.name == name) return &p;
  return nullptr;
}

const FluxImageRepository* FindRepository(const FluxObjects& objects, std::string_view ns,
                                          std::string_view name) {
  for (const FluxImageRepository& r : objects.repositories)
    if (r.ns == ns && r.name == name) return &r;
  return nullptr;
}

// The image of marker container `c` of policy `policy`, or why not.
Result<image::ImageRef> MarkerImage(const FluxObjects& objects, const FluxImagePolicy& policy,
                                    const Container& c) {
  if (!policy.error.empty()) return Fail(ErrorKind::kInvalidInput, policy.error);
  const FluxImageRepository* repo =
      FindRepository(objects, policy.repository_ns, policy.repository);
  if (repo == nullptr) {
    return Fail(ErrorKind::kNotFound,
                fmt::format("its ImageRepository {}/{} is not in the scanned paths",
                            policy.repository_ns, policy.repository));
  }
  Result<image::ImageRef> base = image::ImageRef::Parse(repo->image);
  if (!base) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("ImageRepository {}/{} ({}:{}): spec.image: {}", repo->ns, repo->name,
                            repo->file, repo->line, base.error().message));
  }
  if (const ValueLocation* tag = c.Source(ImageField::kTag); tag != nullptr) {
    const ValueLocation* digest = c.Source(ImageField::kDigest);
    Result<image::ImageRef> ref = image::ImageRef::Parse(
        digest != nullptr ? fmt::format("{}:{}@{}", base->Name(), tag->value, digest->value)
                          : fmt::format("{}:{}", base->Name(), tag->value));
    if (!ref) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("the marked {} do not make an image reference: {}",
                              digest != nullptr ? "tag and digest" : "tag", ref.error().message));
    }
    return ref;
  }
  if (c.image.CanonicalName() != base->CanonicalName()) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("{} is not the image of ImageRepository {}/{} ({})", c.image_text,
                            repo->ns, repo->name, repo->image));
  }
  return c.image;
}

}  // namespace

Result<std::optional<Marker>> ParseMarkerLine(std::string_view line) {
  std::size_t key = line.find(kMarkerKey);
  if (key == std::string_view::npos) return std::optional<Marker>();
  std::size_t brace = line.rfind('{', key);
  std::size_t hash = brace == std::string_view::npos ? brace : line.rfind('#', brace);
  if (hash == std::string_view::npos || Trim(line.substr(hash + 1, brace - hash - 1)) != "")
    return Malformed("expected `# {\"$imagepolicy\": \"<namespace>:<name>\"}`");
  if (Trim(line.substr(brace + 1, key - brace - 1)) != "")
    return Malformed("unexpected text before \"$imagepolicy\"");
  std::size_t at = SkipBlank(line, key + kMarkerKey.size());
  if (at >= line.size() || line[at] != ':') return Malformed("expected ':' after \"$imagepolicy\"");
  at = SkipBlank(line, at + 1);
  if (at >= line.size() || line[at] != '"') return Malformed("expected a quoted policy name");
  std::size_t close = line.find('"', at + 1);
  if (close == std::string_view::npos) return Malformed("unterminated policy name");
  std::string_view value = line.substr(at + 1, close - at - 1);
  std::size_t end = SkipBlank(line, close + 1);
  if (end >= line.size() || line[end] != '}') return Malformed("expected '}' after the policy");
  std::vector<std::string_view> parts = Split(value, ':');
  Marker m;
  m.column = hash;
  if (parts.size() == 3) {
    if (parts[2] == "tag") {
      m.field = MarkerField::kTag;
    } else if (parts[2] == "name") {
      m.field = MarkerField::kName;
    } else if (parts[2] == "digest") {
      m.field = MarkerField::kDigest;
    } else {
      return Malformed(fmt::format("\"{}\": the field must be tag, name or digest", value));
    }
  }
  if ((parts.size() != 2 && parts.size() != 3) || parts[0].empty() || parts[1].empty())
    return Malformed(fmt::format("\"{}\" is not <namespace>:<name>[:tag|:name|:digest]", value));
  m.ns = std::string(parts[0]);
  m.name = std::string(parts[1]);
  return std::optional<Marker>(std::move(m));
}

Result<std::string> FluxPolicyFilter(const YamlNode& spec) {
  nlohmann::json flux = nlohmann::json::object();
  if (const YamlNode* tags = spec.Get("filterTags"); tags != nullptr) {
    if (!tags->IsMap()) return Fail(ErrorKind::kInvalidInput, "spec.filterTags is not a mapping");
    for (std::string_view key : {"pattern", "extract"}) {
      const YamlNode* value = tags->Get(key);
      if (value == nullptr) continue;
      const std::string* text = tags->GetString(key);
      if (text == nullptr)
        return Fail(ErrorKind::kInvalidInput,
                    fmt::format("spec.filterTags.{} is not a string", key));
      if (!text->empty()) flux[std::string(key)] = *text;
    }
  }
  const YamlNode* policy = spec.Get("policy");
  if (policy == nullptr || !policy->IsMap())
    return Fail(ErrorKind::kInvalidInput, "spec.policy is missing");
  if (const YamlNode* semver = policy->Get("semver"); semver != nullptr) {
    const std::string* range = semver->IsMap() ? semver->GetString("range") : nullptr;
    if (range == nullptr || Trim(*range).empty())
      return Fail(ErrorKind::kInvalidInput, "spec.policy.semver.range is missing");
    flux["policy"] = "semver";
    flux["range"] = *range;
  } else {
    for (std::string_view kind : {"alphabetical", "numerical"}) {
      const YamlNode* ordered = policy->Get(kind);
      if (ordered == nullptr) continue;
      const std::string* order = ordered->IsMap() ? ordered->GetString("order") : nullptr;
      flux["policy"] = std::string(kind);
      if (order != nullptr && !order->empty()) flux["order"] = *order;
      break;
    }
  }
  if (!flux.contains("policy")) {
    return Fail(ErrorKind::kInvalidInput,
                "spec.policy has none of semver, alphabetical or numerical");
  }
  // Without filterTags or a descending order, the plain filter says the same.
  std::string filter;
  std::string kind = flux["policy"].get<std::string>();
  if (!flux.contains("pattern") && JsonString(flux, "order", "asc") == "asc") {
    filter = kind == "semver" ? fmt::format("semver:{}", JsonString(flux, "range"))
                              : fmt::format("{}:*", kind);
  } else {
    filter =
        fmt::format("flux:{}", flux.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  Result<image::TagFilter> parsed = image::TagFilter::Parse(filter);
  if (!parsed) return Fail(parsed.error());
  return filter;
}

void ResolveFluxMarkers(const FluxObjects& objects, std::vector<Workload>& workloads,
                        std::vector<Problem>& problems) {
  // Merge: the first part of each id keeps the others' containers. In
  // place: a second array of every workload would double a big scan.
  std::map<std::string, std::size_t> first;
  std::size_t kept = 0;  // workloads[0, kept) stay, compacted in order
  for (std::size_t i = 0; i < workloads.size(); ++i) {
    Workload& w = workloads[i];
    if (w.kind == kImagePolicyKind) {
      auto [at, added] = first.try_emplace(w.id, kept);
      if (!added) {
        Workload& into = workloads[at->second];
        std::move(w.containers.begin(), w.containers.end(), std::back_inserter(into.containers));
        continue;
      }
    }
    if (kept != i) workloads[kept] = std::move(w);
    ++kept;
  }
  workloads.erase(workloads.begin() + static_cast<std::ptrdiff_t>(kept), workloads.end());
  std::erase_if(workloads, [&](Workload& w) {
    if (w.kind != kImagePolicyKind) return false;
    const FluxImagePolicy* policy = FindPolicy(objects, w.ns, w.name);
    std::erase_if(w.containers, [&](Container& c) {
      Result<image::ImageRef> image =
          policy == nullptr ? Fail(ErrorKind::kNotFound, "it is not in the scanned paths")
                            : MarkerImage(objects, *policy, c);
      const ValueLocation& at = c.sources.front();
      if (!image) {
        problems.push_back(Problem{c.file, at.line, at.column, Severity::kError,
                                   fmt::format("$imagepolicy marker: ImagePolicy {}/{}: {}", w.ns,
                                               w.name, image.error().message)});
        return true;
      }
      c.image = std::move(*image);
      c.image_text = c.image.String();  // a `:tag` marker: the ImageRepository's image with it
      return false;
    });
    if (w.containers.empty()) return true;
    std::sort(w.containers.begin(), w.containers.end(), [](const Container& a, const Container& b) {
      return std::pair(a.file, a.sources.front().line) < std::pair(b.file, b.sources.front().line);
    });
    w.file = w.containers.front().file;
    w.line = w.containers.front().sources.front().line;
    Annotations annotations = {{std::string(kPolicyPrefix) + std::string(kAutomated), "true"}};
    for (const Container& c : w.containers) {
      annotations.emplace_back(std::string(kPolicyPrefix) + TagPolicy(c.name), policy->filter);
      // A `:digest` marker is digest tracking (tagflow.io/digest) for its image.
      if (c.Source(ImageField::kDigest) != nullptr) {
        annotations.emplace_back(fmt::format("{}{}.{}", kTagflowPrefix, kDigest, c.name), "true");
      }
    }
    for (const auto& a : policy->tagflow_annotations) annotations.push_back(a);
    w.policies = Policies::FromAnnotations(annotations);
    return false;
  });
}

}  // namespace tagflow::manifest
