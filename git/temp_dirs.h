// Private temporary directories named after the process that made them
// (`<prefix><pid>-XXXXXX` under $TMPDIR, default /tmp), so that what a
// killed process left behind can be told apart and removed: the clones of
// libgit2_repo.h, the GnuPG homes of gpg.h, the scratch files of
// ssh_signing.h.
#pragma once

#include <filesystem>
#include <string_view>

#include "base/error.h"

namespace tagflow::git {

// $TMPDIR, else /tmp.
std::filesystem::path TempRoot();

// Creates `<TempRoot()>/<prefix><pid>-XXXXXX` with mode 0700.
[[nodiscard]] Result<std::filesystem::path> MakeProcessTempDir(std::string_view prefix);

// Removes the `<prefix><pid>-*` directories in `temp_dir` whose process no
// longer exists; never follows a symlink, never touches a live process's
// directory or anything else. Returns how many were removed.
size_t RemoveStaleTempDirs(const std::filesystem::path& temp_dir, std::string_view prefix);

}  // namespace tagflow::git
