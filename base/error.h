// Errors as values, shared by every tagflow module.
//
// Every fallible public function returns `Result<T>`; no exception crosses a
// module boundary. An error's kind tells the caller what to do next, and its
// message names the thing at fault (file, workload, container, host, flag) in
// words an operator can act on. Messages never contain credentials.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace tagflow {

enum class ErrorKind {
  kInvalidInput,  // bad manifest, filter, reference, flag: report, do not retry
  kNotFound,      // unknown workload, repository, tag or file
  kTransient,     // network, timeout, 5xx, rate limit: retry later
  kConflict,      // non-fast-forward push, concurrent edit: re-fetch and re-plan
  kUnauthorized,  // 401/403, refused host key: fix credentials, do not hammer
  kInternal,      // a bug or an impossible state
};

// Short lower-case name of a kind ("invalid input", "transient", ...).
std::string_view ErrorKindName(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;

  // Returns a copy whose message is "<context>: <message>", kind unchanged.
  [[nodiscard]] Error Wrap(std::string_view context) const {
    return Error{kind, std::string(context) + ": " + message};
  }
};

template <class T>
using Result = std::expected<T, Error>;

// Shorthands for `return Fail(ErrorKind::kNotFound, "...")` in a Result function.
inline std::unexpected<Error> Fail(ErrorKind kind, std::string message) {
  return std::unexpected<Error>(Error{kind, std::move(message)});
}
inline std::unexpected<Error> Fail(Error error) { return std::unexpected<Error>(std::move(error)); }

}  // namespace tagflow
