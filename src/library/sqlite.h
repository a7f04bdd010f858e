// A thin RAII layer over SQLite for the image catalog: a connection, prepared statements with
// typed binding, and transactions. Every failure becomes a Status naming the database file and
// SQLite's own message, so callers never look at result codes.
//
// Thread-safety: a SqliteDb must be used by one thread at a time (the catalog guards it with a
// mutex); statements belong to their connection.
#ifndef ALIKE_LIBRARY_SQLITE_H_
#define ALIKE_LIBRARY_SQLITE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace alike::library {

class SqliteDb;

class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  // Parameters are numbered from 1, as in SQL's ?1, ?2...
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindBlob(int index, std::span<const uint8_t> blob);
  Statement& BindNull(int index);
  Statement& Bind(int index, const std::optional<double>& value);

  // Advances to the next row: true with a row, false when done.
  Result<bool> Step();
  // Runs a statement that returns no rows.
  Status Run();
  // Resets for another execution, keeping nothing bound.
  void Reset();

  int64_t Int(int column) const;
  double Double(int column) const;
  bool IsNull(int column) const;
  std::string Text(int column) const;
  std::vector<uint8_t> Blob(int column) const;

 private:
  friend class SqliteDb;
  Statement(sqlite3_stmt* stmt, const SqliteDb* db) : stmt_(stmt), db_(db) {}
  sqlite3_stmt* stmt_ = nullptr;
  const SqliteDb* db_ = nullptr;
};

class SqliteDb {
 public:
  // Opens or creates `path` in WAL mode with synchronous=FULL: a committed transaction is on
  // disk before Commit returns. secure_delete overwrites deleted content (thumbnails of removed
  // images must not linger in free pages). `vfs` names the SQLite VFS its file calls go through
  // (tests register one that fails); empty: SQLite's default.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path,
                                                const std::string& vfs = "");
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Result<Statement> Prepare(std::string_view sql) const;
  // Runs one or more statements without results (schema, pragmas).
  Status Exec(const std::string& sql);
  int64_t LastInsertId() const;
  int64_t Changes() const;
  // Copies the whole database to `dest` consistently (SQLite's online backup).
  Status BackupTo(const std::string& dest) const;
  const std::string& path() const { return path_; }

  Status Error(std::string_view what) const;  // "<path>: <what>: <sqlite message>"

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless Commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> Begin(SqliteDb& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;
};

// Runs `fn(stmt)` for every row of a prepared query.
template <typename Fn>
Status ForEachRow(Statement& stmt, Fn&& fn) {
  for (;;) {
    auto row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::OK();
    fn(stmt);
  }
}

// The integer in the one row `sql` (with ?1 bound to `key`) returns, if any.
Result<std::optional<uint64_t>> LookUpId(const SqliteDb& db, const char* sql,
                                         const std::string& key);

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_SQLITE_H_
