// The one glob matcher: tag filters (`glob:master-*`), registry include and
// exclude lists, and known_hosts host patterns all use it.
#pragma once

#include <string_view>

namespace tagflow {

enum class GlobCase { kSensitive, kInsensitive };

// True when the whole of `text` matches `pattern`: `*` matches any run of
// bytes (also empty, across '.' and '/'), `?` exactly one byte, every other
// byte itself (ASCII case folded with kInsensitive, as OpenSSH does for
// host names). Backtracks only to the last `*`: O(|pattern| * |text|) at
// worst, never exponential.
bool GlobMatch(std::string_view pattern, std::string_view text,
               GlobCase mode = GlobCase::kSensitive);

}  // namespace tagflow
