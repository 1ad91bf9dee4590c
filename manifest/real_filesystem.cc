#include "manifest/real_filesystem.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tagflow::manifest {
namespace {

std::unexpected<Error> Errno(std::string_view what, const std::string& path, int err) {
  ErrorKind kind = err == ENOENT || err == ENOTDIR ? ErrorKind::kNotFound : ErrorKind::kInternal;
  return Fail(kind, fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

FileType TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kRegular;
  if (S_ISDIR(mode)) return FileType::kDirectory;
  if (S_ISLNK(mode)) return FileType::kSymlink;
  return FileType::kOther;
}

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Result<void> WriteAll(int fd, std::string_view content, const std::string& path) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path, errno);
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

Result<FileInfo> RealFilesystem::Stat(const std::string& path) const {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return FileInfo{};
    return Errno("cannot stat", path, errno);
  }
  return FileInfo{TypeOf(st.st_mode), static_cast<std::uint64_t>(st.st_size)};
}

Result<std::vector<DirEntry>> RealFilesystem::ReadDir(const std::string& path) const {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return Errno("cannot list", path, errno);
  std::vector<DirEntry> entries;
  while (const dirent* e = ::readdir(dir)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    DirEntry entry{std::string(name), FileType::kOther};
    switch (e->d_type) {
      case DT_REG:
        entry.type = FileType::kRegular;
        break;
      case DT_DIR:
        entry.type = FileType::kDirectory;
        break;
      case DT_LNK:
        entry.type = FileType::kSymlink;
        break;
      case DT_UNKNOWN: {
        Result<FileInfo> info = Stat(JoinPath(path, name));
        if (info) entry.type = info->type;
        break;
      }
      default:
        break;
    }
    entries.push_back(std::move(entry));
  }
  ::closedir(dir);
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return entries;
}

Result<std::string> RealFilesystem::ReadLink(const std::string& path) const {
  std::string target(4096, '\0');
  ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
  if (n < 0) return Errno("cannot read link", path, errno);
  target.resize(static_cast<std::size_t>(n));
  return target;
}

Result<std::string> RealFilesystem::ReadFile(const std::string& path) const {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ELOOP)
      return Fail(ErrorKind::kInvalidInput, fmt::format("{} is a symlink; not followed", path));
    return Errno("cannot open", path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Errno("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode))
    return Fail(ErrorKind::kInvalidInput, fmt::format("{} is not a regular file", path));
  std::string content;
  content.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (true) {
    if (got == content.size()) content.resize(content.size() + 4096);
    ssize_t n = ::read(fd.get(), content.data() + got, content.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot read", path, errno);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  content.resize(got);
  return content;
}

Result<void> RealFilesystem::ReplaceFile(const std::string& path, std::string_view content) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return Errno("cannot stat", path, errno);
  if (S_ISLNK(st.st_mode)) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("{} is a symlink; refusing to write through it", path));
  }
  if (!S_ISREG(st.st_mode))
    return Fail(ErrorKind::kInvalidInput, fmt::format("{} is not a regular file", path));
  std::size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = fmt::format("{}/.{}.tagflow-XXXXXX", dir, base);
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (fd.get() < 0) return Errno("cannot create a temporary file beside", path, errno);
  Result<void> written = WriteAll(fd.get(), content, tmp);
  if (written && ::fchmod(fd.get(), st.st_mode & 07777) != 0)
    written = Errno("cannot chmod", tmp, errno);
  if (written && ::close(fd.release()) != 0) written = Errno("cannot close", tmp, errno);
  if (written && ::rename(tmp.c_str(), path.c_str()) != 0)
    written = Errno("cannot rename over", path, errno);
  if (!written) ::unlink(tmp.c_str());
  return written;
}

}  // namespace tagflow::manifest
