// What the daemon asks of the registries, behind one small interface so the
// Daemon runs against a fake in unit tests. Implementations are thread-safe:
// the loop's cycle and the HTTP threads (GET /api/v1/images) call them at
// the same time.
#pragma once

#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "daemon/api.h"
#include "image/reference.h"
#include "manifest/workload.h"
#include "registry/scanner.h"

namespace tagflow::daemon {

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // Tag lists (with the metadata the targets' filters need) per canonical
  // repository; a repository that failed carries its error.
  virtual std::map<std::string, registry::RepositoryScan> Scan(
      const std::vector<registry::ScanTarget>& targets) = 0;
  // The digest `image`'s repository tag `tag` points at.
  [[nodiscard]] virtual Result<std::string> Digest(const image::ImageRef& image,
                                                   const std::string& tag) = 0;
  // What `list-images` shows for `workloads`.
  virtual std::vector<WorkloadImages> List(std::span<const manifest::Workload> workloads) = 0;
};

// The real source: one registry::Scanner (not thread-safe) behind a mutex.
class ScannerImageSource final : public ImageSource {
 public:
  // Borrows `scanner`.
  explicit ScannerImageSource(registry::Scanner& scanner) : scanner_(scanner) {}

  std::map<std::string, registry::RepositoryScan> Scan(
      const std::vector<registry::ScanTarget>& targets) override;
  Result<std::string> Digest(const image::ImageRef& image, const std::string& tag) override;
  std::vector<WorkloadImages> List(std::span<const manifest::Workload> workloads) override;

 private:
  std::mutex mu_;
  registry::Scanner& scanner_;  // guarded by mu_
};

}  // namespace tagflow::daemon
