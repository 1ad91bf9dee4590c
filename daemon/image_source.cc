#include "daemon/image_source.h"

#include <fmt/format.h>

namespace tagflow::daemon {

std::map<std::string, registry::RepositoryScan> ScannerImageSource::Scan(
    const std::vector<registry::ScanTarget>& targets) {
  std::lock_guard lock(mu_);
  return scanner_.Scan(targets);
}

Result<std::string> ScannerImageSource::Digest(const image::ImageRef& image,
                                               const std::string& tag) {
  std::lock_guard lock(mu_);
  return DigestOf(scanner_, image, tag);
}

std::vector<WorkloadImages> ScannerImageSource::List(
    std::span<const manifest::Workload> workloads) {
  std::lock_guard lock(mu_);
  return ListImagesFor(scanner_, workloads);
}

std::vector<WorkloadImages> ListingCache::List(std::span<const manifest::Workload> workloads) {
  std::string key;
  for (const manifest::Workload& w : workloads) {
    key += w.id;
    for (const manifest::Container& c : w.containers) {
      key += fmt::format("|{}={}|{}", c.name, c.image.String(),
                         w.policies.TagFilter(c.name).value_or(""));
    }
    key += '\n';
  }
  std::lock_guard lock(mu_);
  auto now = clock_.Now();
  if (listed_at_ && key == key_ && now - *listed_at_ < min_age_) return last_;
  last_ = inner_.List(workloads);
  listed_at_ = now;
  key_ = std::move(key);
  return last_;
}

}  // namespace tagflow::daemon
