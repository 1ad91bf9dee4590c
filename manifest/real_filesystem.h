// The real, POSIX filesystem.
#pragma once

#include "manifest/filesystem.h"

namespace tagflow::manifest {

// Filesystem on the local disk: lstat, readdir, readlink, reads with
// O_NOFOLLOW, and ReplaceFile as mkstemp in the same directory + fchmod +
// rename(2). No fsync: the work tree is a scratch copy that the next cycle
// resets from git.
class RealFilesystem : public Filesystem {
 public:
  Result<FileInfo> Stat(const std::string& path) const override;
  Result<std::vector<DirEntry>> ReadDir(const std::string& path) const override;
  Result<std::string> ReadLink(const std::string& path) const override;
  Result<std::string> ReadFile(const std::string& path) const override;
  Result<void> ReplaceFile(const std::string& path, std::string_view content) override;
};

}  // namespace tagflow::manifest
