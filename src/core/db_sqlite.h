#pragma once
// SQLite straight through its C API, for core/db only. POCO's Statement prepares every statement
// again (sqlite3_prepare was 29% of an authenticated /mailings page, and the three PRAGMAs each
// conn() ran another 8%: perf during bench_http); here a pooled connection keeps its prepared
// statements and is configured once.
#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/db.h"

namespace mw::db::detail {

// One pooled SQLite connection: its prepared statements by SQL text. Used by one thread at a
// time (the pool lends a connection to one Conn).
class SqliteState {
 public:
  explicit SqliteState(sqlite3* db);
  ~SqliteState();
  SqliteState(const SqliteState&) = delete;
  SqliteState& operator=(const SqliteState&) = delete;

  // Runs one statement; nullopt when the text holds several (the caller falls back to POCO).
  std::optional<Rows> run(const std::string& sql, const Params& params, std::size_t* changes);

 private:
  struct Prepared {
    sqlite3_stmt* stmt = nullptr;
    std::shared_ptr<const std::vector<std::string>> names;
  };
  Prepared* prepare(const std::string& sql);
  void clear();
  sqlite3* db_;
  // Never finalized before this state goes: while a statement lives, a closed connection stays
  // allocated (a zombie, see sqlite3_close_v2), so no new connection can reuse its address and
  // be taken for this configured one.
  sqlite3_stmt* anchor_ = nullptr;
  std::unordered_map<std::string, Prepared> stmts_;
};

// The states of every connection a Database's pool opened, keyed by handle.
class SqliteRegistry {
 public:
  // The state of `db`, configured on first sight: busy timeout, foreign keys, synchronous=NORMAL,
  // a Unicode lower().
  SqliteState& of(sqlite3* db);

 private:
  std::mutex mutex_;
  std::unordered_map<sqlite3*, std::unique_ptr<SqliteState>> states_;
};

// Binds params to $1..$N (written ?N by forDialect); throws Poco::Data::DataException.
void bindParams(sqlite3* db, sqlite3_stmt* st, const Params& params);
// "$N" -> "?N" outside quotes: SQLite numbers "$N" by first appearance, "?N" by N.
std::string sqliteText(const std::string& sql);

}  // namespace mw::db::detail
