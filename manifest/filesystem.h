// The files a scan reads and an edit writes, behind a small interface: one
// real implementation (real_filesystem.h) and an in-memory fake
// (memory_filesystem.h) for tests.
//
// Paths are '/'-separated strings handed through unchanged. No method
// follows a symlink: a symlink is reported as such, never read through and
// never written through. Const methods may be called from several threads
// at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace tagflow::manifest {

enum class FileType { kMissing, kRegular, kDirectory, kSymlink, kOther };

struct FileInfo {
  FileType type = FileType::kMissing;
  std::uint64_t size = 0;  // bytes, for regular files
};

struct DirEntry {
  std::string name;
  FileType type = FileType::kOther;
};

class Filesystem {
 public:
  virtual ~Filesystem() = default;

  // What `path` itself is (lstat). A missing path is {kMissing}, not an
  // error; other failures are kInternal naming the path.
  [[nodiscard]] virtual Result<FileInfo> Stat(const std::string& path) const = 0;

  // The entries of directory `path` except "." and "..", sorted by name.
  // kNotFound when it does not exist.
  [[nodiscard]] virtual Result<std::vector<DirEntry>> ReadDir(const std::string& path) const = 0;

  // The target of symlink `path` as stored in the link.
  [[nodiscard]] virtual Result<std::string> ReadLink(const std::string& path) const = 0;

  // The bytes of regular file `path`. kInvalidInput for a symlink or
  // anything but a regular file, kNotFound when missing.
  [[nodiscard]] virtual Result<std::string> ReadFile(const std::string& path) const = 0;

  // Replaces the contents of the existing regular file `path` atomically:
  // a temporary file in the same directory, then a rename over `path`,
  // keeping its permissions. Readers see the old or the new bytes, never a
  // mix. kInvalidInput when `path` is a symlink or not a regular file;
  // nothing is left behind on failure.
  [[nodiscard]] virtual Result<void> ReplaceFile(const std::string& path,
                                                 std::string_view content) = 0;
};

// "a/b" from "a" and "b"; `rel` "" gives `dir`.
std::string JoinPath(std::string_view dir, std::string_view rel);

// Normalises a path that must stay inside a root: '/'-separated, no empty
// or "." components, no trailing slash; "" and "." mean the root itself.
// kInvalidInput for an absolute path or one with "..".
[[nodiscard]] Result<std::string> CleanRelativePath(std::string_view path);

}  // namespace tagflow::manifest
