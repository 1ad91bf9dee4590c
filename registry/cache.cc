#include "registry/cache.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "base/json.h"

namespace tagflow::registry {
namespace {

constexpr int kApplicationId = 0x74676677;  // "tgfw"
constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE images(
  digest TEXT PRIMARY KEY,
  media_type TEXT NOT NULL,
  created_ns INTEGER,
  labels TEXT NOT NULL,
  platforms TEXT NOT NULL,
  problem TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE repositories(
  name TEXT PRIMARY KEY,
  listed_at_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE tags(
  repository TEXT NOT NULL,
  tag TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY(repository, tag)
) WITHOUT ROWID;
)sql";

int64_t ToNanos(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
TimePoint FromNanos(int64_t ns) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(ns)));
}

std::string Text(sqlite3_stmt* s, int column) {
  const unsigned char* p = sqlite3_column_text(s, column);
  return p == nullptr ? "" : reinterpret_cast<const char*>(p);
}

void BindText(sqlite3_stmt* s, int index, const std::string& value) {
  sqlite3_bind_text(s, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
}

// Resets a cached statement when it goes out of scope.
struct StatementUse {
  sqlite3_stmt* s;
  ~StatementUse() {
    if (s != nullptr) {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  }
};

std::string PlatformsJson(const std::vector<IndexEntry>& entries) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : entries) {
    out.push_back({{"digest", e.digest},
                   {"mediaType", e.media_type},
                   {"os", e.platform.os},
                   {"architecture", e.platform.architecture},
                   {"variant", e.platform.variant}});
  }
  return out.dump();
}

std::vector<IndexEntry> ParsePlatformsJson(const std::string& text) {
  std::vector<IndexEntry> entries;
  auto doc = ParseJsonOrDiscarded(text);
  if (!doc.is_array()) return entries;
  for (const auto& e : doc) {
    if (!e.is_object()) continue;
    IndexEntry entry;
    entry.digest = JsonString(e, "digest");
    entry.media_type = JsonString(e, "mediaType");
    entry.platform.os = JsonString(e, "os");
    entry.platform.architecture = JsonString(e, "architecture");
    entry.platform.variant = JsonString(e, "variant");
    entries.push_back(std::move(entry));
  }
  return entries;
}

void MoveAside(const std::filesystem::path& file, const std::filesystem::path& target) {
  std::error_code ec;
  std::filesystem::rename(file, target, ec);
  for (const char* suffix : {"-wal", "-shm"}) {
    std::filesystem::path side = file.string() + suffix;
    if (std::filesystem::exists(side, ec)) {
      std::filesystem::rename(side, target.string() + suffix, ec);
    }
  }
}

}  // namespace

Result<std::unique_ptr<Cache>> Cache::Open(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Fail(ErrorKind::kInternal,
                fmt::format("cannot create cache directory {}: {}", dir.string(), ec.message()));
  }
  std::filesystem::path file = dir / kFileName;
  std::filesystem::path moved;
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Cache> cache(new Cache());
    cache->moved_aside_ = moved;
    int rc =
        sqlite3_open_v2(file.c_str(), &cache->db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    Result<void> ok = rc == SQLITE_OK ? cache->Init() : Fail(cache->DbError("open"));
    if (ok) return cache;
    if (attempt > 0) {
      return Fail(ok.error().Wrap(fmt::format("cache {}", file.string())));
    }
    cache.reset();
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    moved = file.string() + fmt::format(".corrupt-{}", now);
    spdlog::warn("cache {} is unusable ({}); moved aside to {} and rebuilt", file.string(),
                 ok.error().message, moved.string());
    MoveAside(file, moved);
  }
}

Result<std::unique_ptr<Cache>> Cache::OpenInMemory() {
  std::unique_ptr<Cache> cache(new Cache());
  if (sqlite3_open(":memory:", &cache->db_) != SQLITE_OK) return Fail(cache->DbError("open"));
  if (auto ok = cache->Init(); !ok) return Fail(ok.error());
  return cache;
}

Cache::~Cache() {
  for (auto& [sql, s] : statements_) sqlite3_finalize(s);
  if (db_ != nullptr) sqlite3_close(db_);
}

Error Cache::DbError(std::string_view what) const {
  return Error{ErrorKind::kInternal,
               fmt::format("sqlite {}: {}", what, db_ != nullptr ? sqlite3_errmsg(db_) : "no db")};
}

Result<void> Cache::Exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return Fail(DbError(sql));
  return {};
}

sqlite3_stmt* Cache::Statement(const char* sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) return nullptr;
  statements_[sql] = s;
  return s;
}

Result<void> Cache::Init() {
  sqlite3_busy_timeout(db_, 5000);
  auto pragma_int = [&](const char* sql) -> Result<int64_t> {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) return Fail(DbError(sql));
    int rc = sqlite3_step(s);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW) return Fail(DbError(sql));
    return v;
  };
  auto app_id = pragma_int("PRAGMA application_id");
  if (!app_id) return Fail(app_id.error());
  auto version = pragma_int("PRAGMA user_version");
  if (!version) return Fail(version.error());
  auto objects = pragma_int("SELECT count(*) FROM sqlite_master");
  if (!objects) return Fail(objects.error());
  if (*app_id == 0 && *version == 0 && *objects == 0) {
    if (auto ok = Exec("PRAGMA journal_mode=WAL"); !ok) return ok;
    if (auto ok = Exec("BEGIN"); !ok) return ok;
    if (auto ok = Exec(kSchema); !ok) return ok;
    std::string ids = fmt::format("PRAGMA application_id={}; PRAGMA user_version={}",
                                  kApplicationId, kSchemaVersion);
    if (auto ok = Exec(ids.c_str()); !ok) return ok;
    if (auto ok = Exec("COMMIT"); !ok) return ok;
  } else if (*app_id != kApplicationId) {
    return Fail(ErrorKind::kInternal, "not a tagflow cache (foreign SQLite file)");
  } else if (*version != kSchemaVersion) {
    return Fail(ErrorKind::kInternal, fmt::format("cache schema version {}, this tagflow uses {}",
                                                  *version, kSchemaVersion));
  } else {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, "PRAGMA quick_check", -1, &s, nullptr) != SQLITE_OK) {
      return Fail(DbError("quick_check"));
    }
    std::string result = sqlite3_step(s) == SQLITE_ROW ? Text(s, 0) : "";
    sqlite3_finalize(s);
    if (result != "ok") return Fail(ErrorKind::kInternal, "integrity check failed: " + result);
    if (auto ok = Exec("PRAGMA journal_mode=WAL"); !ok) return ok;
  }
  return Exec("PRAGMA synchronous=NORMAL");
}

std::optional<ImageRecord> Cache::GetImage(const std::string& digest) {
  std::lock_guard lock(mu_);
  sqlite3_stmt* s = Statement(
      "SELECT media_type, created_ns, labels, platforms, problem FROM images WHERE digest = ?");
  if (s == nullptr) return std::nullopt;
  StatementUse use{s};
  BindText(s, 1, digest);
  if (sqlite3_step(s) != SQLITE_ROW) return std::nullopt;
  ImageRecord r;
  r.digest = digest;
  r.media_type = Text(s, 0);
  if (sqlite3_column_type(s, 1) != SQLITE_NULL)
    r.config.created = FromNanos(sqlite3_column_int64(s, 1));
  auto labels = ParseJsonOrDiscarded(Text(s, 2));
  if (labels.is_object()) {
    for (const auto& [key, value] : labels.items()) {
      if (value.is_string()) r.config.labels[key] = value.get<std::string>();
    }
  }
  r.platforms = ParsePlatformsJson(Text(s, 3));
  r.problem = Text(s, 4);
  return r;
}

Result<void> Cache::PutImages(const std::vector<ImageRecord>& records) {
  if (records.empty()) return {};
  std::lock_guard lock(mu_);
  if (auto ok = Exec("BEGIN"); !ok) return ok;
  sqlite3_stmt* s = Statement(
      "INSERT OR REPLACE INTO images(digest, media_type, created_ns, labels, platforms, problem) "
      "VALUES(?, ?, ?, ?, ?, ?)");
  if (s == nullptr) {
    Exec("ROLLBACK");
    return Fail(DbError("prepare insert image"));
  }
  for (const auto& r : records) {
    StatementUse use{s};
    BindText(s, 1, r.digest);
    BindText(s, 2, r.media_type);
    if (r.config.created) {
      sqlite3_bind_int64(s, 3, ToNanos(*r.config.created));
    } else {
      sqlite3_bind_null(s, 3);
    }
    BindText(s, 4, nlohmann::json(r.config.labels).dump());
    BindText(s, 5, PlatformsJson(r.platforms));
    BindText(s, 6, r.problem);
    if (sqlite3_step(s) != SQLITE_DONE) {
      Error e = DbError("insert image");
      Exec("ROLLBACK");
      return Fail(e);
    }
  }
  return Exec("COMMIT");
}

std::optional<RepositoryRecord> Cache::GetRepository(const std::string& repository) {
  std::lock_guard lock(mu_);
  sqlite3_stmt* head = Statement("SELECT listed_at_ns FROM repositories WHERE name = ?");
  if (head == nullptr) return std::nullopt;
  RepositoryRecord record;
  {
    StatementUse use{head};
    BindText(head, 1, repository);
    if (sqlite3_step(head) != SQLITE_ROW) return std::nullopt;
    record.listed_at = FromNanos(sqlite3_column_int64(head, 0));
  }
  sqlite3_stmt* s = Statement("SELECT tag, digest FROM tags WHERE repository = ? ORDER BY tag");
  if (s == nullptr) return std::nullopt;
  StatementUse use{s};
  BindText(s, 1, repository);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) record.tags.push_back({Text(s, 0), Text(s, 1)});
  if (rc != SQLITE_DONE) return std::nullopt;
  return record;
}

Result<void> Cache::PutRepository(const std::string& repository, const RepositoryRecord& record) {
  std::lock_guard lock(mu_);
  if (auto ok = Exec("BEGIN"); !ok) return ok;
  auto fail = [&](std::string_view what) {
    Error e = DbError(what);
    Exec("ROLLBACK");
    return Fail(e);
  };
  sqlite3_stmt* clear = Statement("DELETE FROM tags WHERE repository = ?");
  sqlite3_stmt* insert = Statement("INSERT INTO tags(repository, tag, digest) VALUES(?, ?, ?)");
  sqlite3_stmt* head =
      Statement("INSERT OR REPLACE INTO repositories(name, listed_at_ns) VALUES(?, ?)");
  if (clear == nullptr || insert == nullptr || head == nullptr) return fail("prepare repository");
  {
    StatementUse use{clear};
    BindText(clear, 1, repository);
    if (sqlite3_step(clear) != SQLITE_DONE) return fail("clear tags");
  }
  for (const auto& t : record.tags) {
    StatementUse use{insert};
    BindText(insert, 1, repository);
    BindText(insert, 2, t.tag);
    BindText(insert, 3, t.digest);
    if (sqlite3_step(insert) != SQLITE_DONE) return fail("insert tag");
  }
  {
    StatementUse use{head};
    BindText(head, 1, repository);
    sqlite3_bind_int64(head, 2, ToNanos(record.listed_at));
    if (sqlite3_step(head) != SQLITE_DONE) return fail("insert repository");
  }
  return Exec("COMMIT");
}

Result<void> Cache::ForgetTag(const std::string& repository, const std::string& tag) {
  std::lock_guard lock(mu_);
  sqlite3_stmt* s = Statement("UPDATE tags SET digest = '' WHERE repository = ? AND tag = ?");
  if (s == nullptr) return Fail(DbError("prepare forget tag"));
  StatementUse use{s};
  BindText(s, 1, repository);
  BindText(s, 2, tag);
  if (sqlite3_step(s) != SQLITE_DONE) return Fail(DbError("forget tag"));
  return {};
}

}  // namespace tagflow::registry
