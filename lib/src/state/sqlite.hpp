#pragma once
// A thin RAII layer over SQLite: a connection, prepared statements, transactions, and
// SQLite's error text turned into task::Error.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "task/error.hpp"
#include "core/release.hpp"

namespace task::sqlite {

using Connection = std::unique_ptr<sqlite3, Release<sqlite3_close_v2>>;

Error error_of(sqlite3* db, std::string_view what);

class StatementCache;

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  Statement(Statement&& other) noexcept
      : db_(other.db_), stmt_(std::move(other.stmt_)), in_use_(std::exchange(other.in_use_, nullptr)) {}
  Statement& operator=(Statement&&) = delete;
  ~Statement();
  bool ok() const { return stmt_ != nullptr; }

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, std::nullopt_t);
  Statement& bind_blob(int index, std::string_view bytes);
  // Advances to the next row: true for a row, false when done; errors become Result.
  Result<bool> step();
  Result<void> run();  // steps to completion
  void reset();        // ready to bind and run again

  std::int64_t integer(int column) const;
  std::string text(int column) const;
  std::string_view text_view(int column) const;  // valid until the next step
  std::string_view blob_view(int column) const;  // valid until the next step
  bool is_null(int column) const;

 private:
  friend class StatementCache;
  Statement(sqlite3* db, sqlite3_stmt* cached, bool* in_use) : db_(db), stmt_(cached), in_use_(in_use) {}
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Release<sqlite3_finalize>> stmt_;
  bool* in_use_ = nullptr;  // a cached statement: reset and handed back, not finalized
};

// Statements prepared once per connection and reset after each use, so a query asked a
// thousand times is parsed once. Declared after the connection it serves, so it finalizes
// them before the connection closes. Not for two threads at once (nor is a connection).
class StatementCache {
 public:
  StatementCache() = default;
  StatementCache(StatementCache&&) noexcept = default;
  StatementCache& operator=(StatementCache&& other) noexcept;
  ~StatementCache();
  // The statement of `sql`, or a fresh one while the cached one is in use.
  Statement get(sqlite3* db, std::string_view sql);

 private:
  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    std::unique_ptr<bool> in_use = std::make_unique<bool>(false);
  };
  void clear();
  std::unordered_map<std::string, Entry> entries_;
};

// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless committed: a crash or an
// early return leaves the old state.
class Transaction {
 public:
  explicit Transaction(sqlite3* db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Result<void> begun() const { return begun_; }
  Result<void> commit();

 private:
  sqlite3* db_;
  Result<void> begun_;
  bool done_ = false;
};

Result<void> exec(sqlite3* db, const char* sql);

}  // namespace task::sqlite
