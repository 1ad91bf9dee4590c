#include "base/error.h"

namespace tagflow {

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput:
      return "invalid input";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kTransient:
      return "transient";
    case ErrorKind::kConflict:
      return "conflict";
    case ErrorKind::kUnauthorized:
      return "unauthorized";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace tagflow
