#include "state/sqlite.hpp"

#include <fmt/format.h>

namespace task::sqlite {

Error error_of(sqlite3* db, std::string_view what) {
  int code = sqlite3_extended_errcode(db);
  std::string hint;
  if ((code & 0xff) == SQLITE_BUSY) hint = "another task process holds the state database; try again";
  if ((code & 0xff) == SQLITE_READONLY || (code & 0xff) == SQLITE_CANTOPEN || (code & 0xff) == SQLITE_PERM) {
    hint = "check the permissions of $TASK_HOME (see `task doctor`)";
  }
  if ((code & 0xff) == SQLITE_FULL) hint = "the disk is full";
  return Error{(code & 0xff) == SQLITE_BUSY ? Errc::conflict : Errc::io,
               fmt::format("state database: {}: {}", what, sqlite3_errmsg(db)), hint};
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) == SQLITE_OK) stmt_.reset(raw);
}

Statement::~Statement() {
  if (in_use_ == nullptr) return;
  if (stmt_) {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
    (void)stmt_.release();
  }
  *in_use_ = false;
}

StatementCache& StatementCache::operator=(StatementCache&& other) noexcept {
  if (this != &other) {
    clear();
    entries_ = std::move(other.entries_);
  }
  return *this;
}

StatementCache::~StatementCache() { clear(); }

void StatementCache::clear() {
  for (auto& [sql, entry] : entries_) sqlite3_finalize(entry.stmt);
  entries_.clear();
}

Statement StatementCache::get(sqlite3* db, std::string_view sql) {
  auto it = entries_.find(std::string(sql));
  if (it == entries_.end()) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
      sqlite3_finalize(raw);
      return Statement(db, sql);  // reports the error as an uncached one does
    }
    it = entries_.emplace(std::string(sql), Entry{raw}).first;
  }
  if (*it->second.in_use) return Statement(db, sql);
  *it->second.in_use = true;
  return Statement(db, it->second.stmt, it->second.in_use.get());
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (stmt_) sqlite3_bind_int64(stmt_.get(), index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  if (stmt_) sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  if (stmt_) sqlite3_bind_blob64(stmt_.get(), index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
  if (stmt_) sqlite3_bind_null(stmt_.get(), index);
  return *this;
}

Result<bool> Statement::step() {
  if (!stmt_) return std::unexpected(error_of(db_, "cannot prepare a statement"));
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(error_of(db_, "query failed"));
}

void Statement::reset() {
  if (stmt_) {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
  }
}

Result<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
  }
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

std::string Statement::text(int column) const {
  auto* p = sqlite3_column_text(stmt_.get(), column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column)))
           : std::string{};
}

std::string_view Statement::blob_view(int column) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_.get(), column));
  const auto size = sqlite3_column_bytes(stmt_.get(), column);
  return data == nullptr ? std::string_view() : std::string_view(data, static_cast<std::size_t>(size));
}

std::string_view Statement::text_view(int column) const {
  auto* p = sqlite3_column_text(stmt_.get(), column);
  return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column)))
           : std::string_view{};
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL; }

Result<void> exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    auto err = error_of(db, message ? message : "statement failed");
    sqlite3_free(message);
    return std::unexpected(err);
  }
  return {};
}

Transaction::Transaction(sqlite3* db) : db_(db), begun_(exec(db, "BEGIN IMMEDIATE")) {}

Transaction::~Transaction() {
  if (begun_ && !done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Result<void> Transaction::commit() {
  if (!begun_) return begun_;
  auto r = exec(db_, "COMMIT");
  if (r) done_ = true;
  return r;
}

}  // namespace task::sqlite
