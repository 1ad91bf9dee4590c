#include "image/natural_order.h"

#include <cstddef>

#include "base/strings.h"

namespace tagflow::image {
namespace {

// Length of the digit run starting at `s[i]`.
size_t DigitRun(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && IsDigit(s[j])) ++j;
  return j - i;
}

// Compares two digit runs by numeric value, however long they are.
int CompareDigitRuns(std::string_view x, std::string_view y) {
  while (x.size() > 1 && x.front() == '0') x.remove_prefix(1);
  while (y.size() > 1 && y.front() == '0') y.remove_prefix(1);
  if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
  int c = x.compare(y);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

int NaturalCompare(std::string_view a, std::string_view b) {
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (IsDigit(a[i]) && IsDigit(b[j])) {
      size_t n = DigitRun(a, i);
      size_t m = DigitRun(b, j);
      if (int c = CompareDigitRuns(a.substr(i, n), b.substr(j, m)); c != 0) return c;
      i += n;
      j += m;
      continue;
    }
    auto x = static_cast<unsigned char>(a[i]);
    auto y = static_cast<unsigned char>(b[j]);
    if (x != y) return x < y ? -1 : 1;
    ++i;
    ++j;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace tagflow::image
