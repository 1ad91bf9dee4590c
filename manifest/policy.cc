#include "manifest/policy.h"

#include <fmt/format.h>

#include "base/time.h"

namespace tagflow::manifest {
namespace {

// The policy named by `key` and how strongly its spelling ranks (0 best).
std::optional<std::pair<std::string, int>> Classify(std::string_view key) {
  if (key.starts_with(kPolicyPrefix) && key.size() > kPolicyPrefix.size())
    return std::pair{std::string(key.substr(kPolicyPrefix.size())), 0};
  if (key.starts_with(kLegacyPolicyPrefix) && key.size() > kLegacyPolicyPrefix.size())
    return std::pair{std::string(key.substr(kLegacyPolicyPrefix.size())), 1};
  if (key.starts_with(kFilterPrefix) && key.size() > kFilterPrefix.size())
    return std::pair{TagPolicy(key.substr(kFilterPrefix.size())), 2};
  return std::nullopt;
}

}  // namespace

std::string TagPolicy(std::string_view container) {
  return std::string(kTagPrefix) + std::string(container);
}

std::optional<std::string> PolicyOfAnnotation(std::string_view key) {
  auto classified = Classify(key);
  if (!classified) return std::nullopt;
  return std::move(classified->first);
}

std::vector<std::string> PolicyAnnotationKeys(std::string_view policy) {
  std::vector<std::string> keys = {std::string(kPolicyPrefix) + std::string(policy),
                                   std::string(kLegacyPolicyPrefix) + std::string(policy)};
  if (policy.starts_with(kTagPrefix))
    keys.push_back(std::string(kFilterPrefix) + std::string(policy.substr(kTagPrefix.size())));
  return keys;
}

Policies Policies::FromAnnotations(const Annotations& annotations) {
  Policies policies;
  std::map<std::string, int> rank;
  for (const auto& [key, value] : annotations) {
    if (key.starts_with(kTagflowPrefix) && key.size() > kTagflowPrefix.size()) {
      policies.tagflow_[key.substr(kTagflowPrefix.size())] = value;
    }
    auto classified = Classify(key);
    if (!classified) continue;
    auto [policy, r] = std::move(*classified);
    auto it = rank.find(policy);
    if (it != rank.end() && it->second <= r) continue;
    rank[policy] = r;
    policies.values_[policy] = value;
  }
  return policies;
}

std::optional<std::string> Policies::Get(std::string_view policy) const {
  auto it = values_.find(std::string(policy));
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Policies::TagflowValue(std::string_view name,
                                                  std::string_view container) const {
  if (auto it = tagflow_.find(fmt::format("{}.{}", name, container)); it != tagflow_.end())
    return it->second;
  if (auto it = tagflow_.find(std::string(name)); it != tagflow_.end()) return it->second;
  return std::nullopt;
}

Result<ReleasePolicy> Policies::Release(std::string_view container) const {
  ReleasePolicy out;
  // The key a value came from, for messages.
  auto key = [&](std::string_view name) {
    std::string per = fmt::format("{}.{}", name, container);
    return fmt::format("{}{}", kTagflowPrefix, tagflow_.contains(per) ? per : std::string(name));
  };
  if (std::optional<std::string> v = TagflowValue(kDigest, container)) {
    if (*v != "true" && *v != "false") {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("{}: \"{}\" is not \"true\" or \"false\"", key(kDigest), *v));
    }
    out.track_digest = *v == "true";
  }
  if (std::optional<std::string> v = TagflowValue(kMinAge, container)) {
    Result<std::chrono::milliseconds> age = ParseDuration(*v);
    if (!age || age->count() <= 0) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("{}: \"{}\" is not a positive duration (like 30m, 2h, 1h30m)",
                              key(kMinAge), *v));
    }
    out.min_age = *age;
  }
  if (std::optional<std::string> v = TagflowValue(kVerify, container)) {
    if (*v != "cosign") {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("{}: \"{}\" is not a supported verifier (only \"cosign\")",
                              key(kVerify), *v));
    }
    out.verify_cosign = true;
  }
  return out;
}

bool Policies::IsTrue(std::string_view policy) const {
  auto it = values_.find(std::string(policy));
  return it != values_.end() && it->second == "true";
}

}  // namespace tagflow::manifest
