#include "git/temp_dirs.h"

#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <string>

namespace tagflow::git {
namespace fs = std::filesystem;

fs::path TempRoot() {
  const char* base = std::getenv("TMPDIR");
  return base && *base ? base : "/tmp";
}

Result<fs::path> MakeProcessTempDir(std::string_view prefix) {
  std::string pattern = (TempRoot() / fmt::format("{}{}-XXXXXX", prefix, getpid())).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return Fail(ErrorKind::kInternal,
                fmt::format("cannot create a temporary directory {}: {}", pattern, errno));
  }
  return fs::path(pattern);
}

size_t RemoveStaleTempDirs(const fs::path& temp_dir, std::string_view prefix) {
  std::error_code ec;
  size_t removed = 0;
  for (fs::directory_iterator it(temp_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    std::string_view rest = std::string_view(name).substr(prefix.size());
    size_t dash = rest.find('-');
    long pid = 0;
    auto [end_pid, parsed] =
        std::from_chars(rest.data(), rest.data() + std::min(dash, rest.size()), pid);
    if (dash == std::string_view::npos || parsed != std::errc() || end_pid != rest.data() + dash ||
        pid <= 0) {
      continue;  // not ours, or an older name without a pid: leave it
    }
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive (or unknowable)
    std::error_code status_ec;
    if (fs::symlink_status(it->path(), status_ec).type() != fs::file_type::directory) continue;
    std::error_code remove_ec;
    if (fs::remove_all(it->path(), remove_ec) != static_cast<std::uintmax_t>(-1) && !remove_ec) {
      ++removed;
    }
  }
  return removed;
}

}  // namespace tagflow::git
