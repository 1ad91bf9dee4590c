// The persistent metadata cache under --cache-dir (SQLite, one file):
//   digest     -> media type, config `created`, labels, platforms (content-
//                 addressed: written once, valid forever)
//   repository -> tags with their digests (when known), listed-at
// It survives restarts, so a steady-state cycle costs one tag list per
// repository. It is only a cache: a corrupt, foreign or other-version file is
// moved aside and rebuilt with a warning, never fatal. Thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/time.h"
#include "registry/metadata_cache.h"
#include "registry/oci.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tagflow::registry {

class Cache : public MetadataCache {
 public:
  inline static const char* kFileName = "registry-cache.sqlite3";

  // Opens or creates `dir`/kFileName (creating `dir`). A file that is not a
  // tagflow cache of this version, or fails SQLite's quick check, is renamed
  // to "<file>.corrupt-<unix seconds>" (path in moved_aside()) and a fresh one
  // created. Errors (kInternal) only when no usable file can be made.
  [[nodiscard]] static Result<std::unique_ptr<Cache>> Open(const std::filesystem::path& dir);
  // A cache that lives in memory only (--cache-dir "" and tests).
  [[nodiscard]] static Result<std::unique_ptr<Cache>> OpenInMemory();

  ~Cache() override;
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // The record for `digest`, or nullopt (also when the read fails).
  std::optional<ImageRecord> GetImage(const std::string& digest) override;
  // Stores records (replacing records of the same digests), in one transaction.
  [[nodiscard]] Result<void> PutImages(const std::vector<ImageRecord>& records) override;

  // The last listing of `repository` (canonical name), or nullopt.
  std::optional<RepositoryRecord> GetRepository(const std::string& repository) override;
  // Replaces the listing of `repository`.
  [[nodiscard]] Result<void> PutRepository(const std::string& repository,
                                           const RepositoryRecord& record) override;
  // Forgets the digest of one tag (a registry webhook says it was pushed again).
  [[nodiscard]] Result<void> ForgetTag(const std::string& repository,
                                       const std::string& tag) override;

  // Where a bad file was moved by Open; empty when none was.
  const std::filesystem::path& moved_aside() const { return moved_aside_; }

 private:
  Cache() = default;
  Result<void> Init();
  Result<void> Exec(const char* sql);
  sqlite3_stmt* Statement(const char* sql);
  Error DbError(std::string_view what) const;

  std::mutex mu_;
  sqlite3* db_ = nullptr;
  std::map<const char*, sqlite3_stmt*> statements_;
  std::filesystem::path moved_aside_;
};

}  // namespace tagflow::registry
