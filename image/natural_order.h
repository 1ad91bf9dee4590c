// Natural (version-aware) string order, used to break ties between tags.
#pragma once

#include <string_view>

namespace tagflow::image {

// Compares `a` and `b` so that runs of ASCII digits compare by numeric value
// ("1.9" < "1.10", "build-2" < "build-10") and every other byte compares by
// its unsigned value. A string that is a prefix of another sorts first
// ("1.10" < "1.10.0"). Digit runs of equal value but different spelling
// ("01" vs "1") and any other remaining tie fall back to plain byte order, so
// the result is 0 only for identical strings: a total, deterministic order.
// Returns <0, 0 or >0.
int NaturalCompare(std::string_view a, std::string_view b);

}  // namespace tagflow::image
