#pragma once
#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>
#include <Poco/Dynamic/Var.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mw::db {

namespace detail {
class SqliteState;
class SqliteRegistry;
}  // namespace detail

enum class Dialect { SQLite, PostgreSQL };

// A bound SQL parameter; placeholders are written $1, $2, ... for both databases.
class Param {
 public:
  enum class Kind { Null, Int, Real, Text };
  Param(std::nullptr_t) {}
  Param(int v) : kind_(Kind::Int), i_(v) {}
  Param(long v) : kind_(Kind::Int), i_(v) {}
  Param(long long v) : kind_(Kind::Int), i_(v) {}
  Param(unsigned v) : kind_(Kind::Int), i_(v) {}
  Param(bool v) : kind_(Kind::Int), i_(v ? 1 : 0) {}
  Param(double v) : kind_(Kind::Real), d_(v) {}
  Param(std::string v) : kind_(Kind::Text), s_(std::move(v)) {}
  Param(const char* v) : kind_(Kind::Text), s_(v) {}
  Param(std::string_view v) : kind_(Kind::Text), s_(v) {}
  template <typename T>
  Param(const std::optional<T>& v) : Param(nullptr) {
    if (v) *this = Param(*v);
  }
  Kind kind() const { return kind_; }
  std::int64_t i() const { return i_; }
  double d() const { return d_; }
  const std::string& s() const { return s_; }

 private:
  Kind kind_ = Kind::Null;
  std::int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
};
using Params = std::vector<Param>;

// One column value with lenient conversions (drivers report types differently).
class Value {
 public:
  explicit Value(const Poco::Dynamic::Var* v) : v_(v) {}
  bool isNull() const { return v_ == nullptr || v_->isEmpty(); }
  std::int64_t i() const;  // 0 when NULL
  double d() const;
  std::string s() const;  // "" when NULL
  bool b() const;         // 0/1, true/false
  std::optional<std::int64_t> opt() const {
    return isNull() ? std::nullopt : std::optional<std::int64_t>(i());
  }
  std::optional<std::string> optS() const {
    return isNull() ? std::nullopt : std::optional<std::string>(s());
  }

 private:
  const Poco::Dynamic::Var* v_;
};

class Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> names, std::vector<Poco::Dynamic::Var> vals)
      : names_(std::move(names)), vals_(std::move(vals)) {}
  Value operator[](size_t i) const { return Value(i < vals_.size() ? &vals_[i] : nullptr); }
  Value operator[](std::string_view name) const;  // throws on an unknown column
  size_t size() const { return vals_.size(); }
  const std::vector<std::string>& names() const { return *names_; }

 private:
  std::shared_ptr<const std::vector<std::string>> names_;
  std::vector<Poco::Dynamic::Var> vals_;
};
using Rows = std::vector<Row>;

// A borrowed pooled connection. Not thread-safe; use one per thread/request.
class Conn {
 public:
  // With a pool, a statement outside a transaction that finds its connection closed by the
  // server (restart, pg_terminate_backend, idle timeout) runs once more on a fresh one.
  Conn(Poco::Data::Session session, Dialect dialect, Poco::Data::SessionPool* pool = nullptr,
       detail::SqliteState* sqlite = nullptr);
  Rows query(const std::string& sql, const Params& params = {});
  std::optional<Row> one(const std::string& sql, const Params& params = {});
  std::int64_t scalar(const std::string& sql, const Params& params = {});  // first column or 0
  std::size_t exec(const std::string& sql, const Params& params = {});     // affected rows
  std::int64_t insert(const std::string& sql, const Params& params = {});  // `... RETURNING id`
  Dialect dialect() const { return dialect_; }
  bool postgres() const { return dialect_ == Dialect::PostgreSQL; }
  Poco::Data::Session& session() { return session_; }

 private:
  template <typename F>
  auto reconnecting(F&& run) -> decltype(run());
  Poco::Data::Session session_;
  Dialect dialect_;
  Poco::Data::SessionPool* pool_ = nullptr;
  detail::SqliteState* sqlite_ = nullptr;  // SQLite: the connection's prepared statements
  int txDepth_ = 0;  // open Tx objects: a lost connection lost the transaction, nothing to retry
  friend class Tx;
};

// Rolls back unless commit() was called. `immediate` takes SQLite's write lock at once. Inside
// another Tx on the same connection it is a savepoint: a repo's own Tx then joins the caller's.
class Tx {
 public:
  explicit Tx(Conn& c, bool immediate = true);
  ~Tx();
  void commit();
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;

 private:
  Conn& c_;
  std::string savepoint_;  // "" for the outermost
  bool done_ = false;
};

class Database {
 public:
  // url: sqlite://path/to/file.db or postgresql://user:pass@host:port/db
  explicit Database(const std::string& url, int maxSessions = 32);
  ~Database();
  Conn conn();  // waits (up to 30 s) when every session is in use
  Dialect dialect() const { return dialect_; }
  // Applies migrations/NNNN_*.sql not yet recorded; returns how many ran.
  int migrate(const std::string& dir, bool verbose = false);
  // Migrations in `dir` not yet applied (0 when the schema is current), for /readyz.
  int pendingMigrations(const std::string& dir);
  bool ping();

 private:
  Dialect dialect_;
  std::unique_ptr<Poco::Data::SessionPool> pool_;
  // After pool_, so that statements are finalized before the pool closes its connections.
  std::unique_ptr<detail::SqliteRegistry> sqlite_;
};

// SQLite's online backup API: a consistent copy of the live database written to `file` (which is
// replaced) while other connections keep reading and writing. PostgreSQL: throws (use pg_dump).
void backup(Database& db, const std::string& file);

// A LIKE pattern matching s anywhere; %, _ and backslash are taken literally (ESCAPE backslash).
std::string containsPattern(const std::string& s);
// "postgresql://u:p@h:5432/db" -> libpq "host=h port=5432 user=u password=p dbname=db".
std::string postgresConnectionString(const std::string& url);
// Dialect-specific spellings inside migrations: {{pk}}, {{now}}, {{blob}}, and lines
// "-- sqlite: ..." or "-- postgresql: ..." that only that database runs.
std::string adaptSql(std::string sql, Dialect d);

// A LIKE pattern for "contains text", lowercased, with text taken literally: %, _ and the
// escape are escaped with '!' (write ESCAPE '!' after it; ASCII letters only are lowered, as the
// column is compared with LOWER()).
std::string likeContaining(const std::string& text);

// "$first, $first+1, ..." (count of them), for an IN list of bound parameters.
std::string placeholders(std::size_t first, std::size_t count);

// Pads an IN list (the last `count` of params, count > 0) to 8, 32, 128 or 512 values by
// repeating its last, and returns the new count: a connection keeps each statement text it
// ran prepared, and a list of every length from 1 to 500 held megabytes per connection (a
// sender's peak RSS 44 -> 37 MB over 20,000 messages, bench_delivery). Lists past 512 stay.
std::size_t padList(Params& params, std::size_t count);

}  // namespace mw::db
