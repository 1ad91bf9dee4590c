#include "manifest/memory_filesystem.h"

#include <fmt/format.h>

namespace tagflow::manifest {

void InMemoryFilesystem::AddParents(const std::string& path) {
  for (std::size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    nodes_.try_emplace(path.substr(0, slash), Node{FileType::kDirectory, ""});
  }
}

void InMemoryFilesystem::AddFile(const std::string& path, std::string content) {
  AddParents(path);
  nodes_[path] = Node{FileType::kRegular, std::move(content)};
}

void InMemoryFilesystem::AddDirectory(const std::string& path) {
  AddParents(path);
  nodes_[path] = Node{FileType::kDirectory, ""};
}

void InMemoryFilesystem::AddSymlink(const std::string& path, std::string target) {
  AddParents(path);
  nodes_[path] = Node{FileType::kSymlink, std::move(target)};
}

const InMemoryFilesystem::Node* InMemoryFilesystem::Find(const std::string& path) const {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

std::optional<std::string> InMemoryFilesystem::Contents(const std::string& path) const {
  const Node* node = Find(path);
  if (node == nullptr || node->type != FileType::kRegular) return std::nullopt;
  return node->data;
}

Result<FileInfo> InMemoryFilesystem::Stat(const std::string& path) const {
  const Node* node = Find(path);
  if (node == nullptr) return FileInfo{};
  return FileInfo{node->type, node->type == FileType::kRegular ? node->data.size() : 0};
}

Result<std::vector<DirEntry>> InMemoryFilesystem::ReadDir(const std::string& path) const {
  const Node* dir = Find(path);
  if (dir == nullptr || dir->type != FileType::kDirectory)
    return Fail(ErrorKind::kNotFound, fmt::format("cannot list {}: no such directory", path));
  std::vector<DirEntry> entries;
  std::string prefix = path + "/";
  for (auto it = nodes_.lower_bound(prefix); it != nodes_.end() && it->first.starts_with(prefix);
       ++it) {
    std::string_view name = std::string_view(it->first).substr(prefix.size());
    if (name.find('/') == std::string_view::npos)
      entries.push_back(DirEntry{std::string(name), it->second.type});
  }
  return entries;
}

Result<std::string> InMemoryFilesystem::ReadLink(const std::string& path) const {
  const Node* node = Find(path);
  if (node == nullptr || node->type != FileType::kSymlink)
    return Fail(ErrorKind::kInvalidInput, fmt::format("{} is not a symlink", path));
  return node->data;
}

Result<std::string> InMemoryFilesystem::ReadFile(const std::string& path) const {
  const Node* node = Find(path);
  if (node == nullptr)
    return Fail(ErrorKind::kNotFound, fmt::format("cannot open {}: no such file", path));
  if (node->type == FileType::kSymlink)
    return Fail(ErrorKind::kInvalidInput, fmt::format("{} is a symlink; not followed", path));
  if (node->type != FileType::kRegular)
    return Fail(ErrorKind::kInvalidInput, fmt::format("{} is not a regular file", path));
  return node->data;
}

Result<void> InMemoryFilesystem::ReplaceFile(const std::string& path, std::string_view content) {
  auto it = nodes_.find(path);
  if (it == nodes_.end())
    return Fail(ErrorKind::kNotFound, fmt::format("cannot stat {}: no such file", path));
  if (it->second.type == FileType::kSymlink)
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("{} is a symlink; refusing to write through it", path));
  if (it->second.type != FileType::kRegular)
    return Fail(ErrorKind::kInvalidInput, fmt::format("{} is not a regular file", path));
  if (failing_.contains(path))
    return Fail(ErrorKind::kInternal, fmt::format("cannot write {}: injected failure", path));
  it->second.data = std::string(content);
  ++writes_;
  return {};
}

}  // namespace tagflow::manifest
