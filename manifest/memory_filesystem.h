// An in-memory Filesystem for tests: files, directories and symlinks in a
// map, with a switch to make writes fail.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "manifest/filesystem.h"

namespace tagflow::manifest {

class InMemoryFilesystem : public Filesystem {
 public:
  // Adds (or replaces) regular file `path`, creating its parent directories.
  void AddFile(const std::string& path, std::string content);
  void AddDirectory(const std::string& path);
  // Adds a symlink at `path` pointing at `target` (never resolved).
  void AddSymlink(const std::string& path, std::string target);
  // The contents of regular file `path`, or nullopt.
  std::optional<std::string> Contents(const std::string& path) const;
  // From now on ReplaceFile(`path`) fails with kInternal and changes nothing.
  void FailWritesTo(const std::string& path) { failing_.insert(path); }
  // Number of successful ReplaceFile calls.
  int writes() const { return writes_; }

  Result<FileInfo> Stat(const std::string& path) const override;
  Result<std::vector<DirEntry>> ReadDir(const std::string& path) const override;
  Result<std::string> ReadLink(const std::string& path) const override;
  Result<std::string> ReadFile(const std::string& path) const override;
  Result<void> ReplaceFile(const std::string& path, std::string_view content) override;

 private:
  struct Node {
    FileType type = FileType::kRegular;
    std::string data;  // file contents or link target
  };

  void AddParents(const std::string& path);
  const Node* Find(const std::string& path) const;

  std::map<std::string, Node> nodes_;
  std::set<std::string> failing_;
  int writes_ = 0;
};

}  // namespace tagflow::manifest
