#include "manifest/policy.h"

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

bool Policies::IsTrue(std::string_view policy) const {
  auto it = values_.find(std::string(policy));
  return it != values_.end() && it->second == "true";
}

}  // namespace tagflow::manifest
