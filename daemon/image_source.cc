#include "daemon/image_source.h"

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

}  // namespace tagflow::daemon
