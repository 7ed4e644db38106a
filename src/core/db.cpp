#include "core/db.h"

#include "core/db_each.h"
#include "core/db_sqlite.h"
#include "core/resources.h"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/SessionPoolContainer.h>
#include <Poco/Data/Statement.h>
#include <Poco/URI.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

using namespace Poco::Data::Keywords;

namespace mw::db {
namespace {

void registerConnectors() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Before any SQLite connection exists. A connection is used by one thread at a time (the
    // pool lends it), so SQLite's serialized mode, a mutex taken by every call (each column of
    // each row read), only cost time, and so did counting its memory under a global mutex:
    // together ~6% of an authenticated page's CPU (perf, /mailings at 5,000 requests/s).
    sqlite3_shutdown();
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::PostgreSQL::Connector::registerConnector();
  });
}

void bindAll(Poco::Data::Statement& st, const Params& params) {
  for (const auto& p : params) {
    switch (p.kind()) {
      case Param::Kind::Null:
        st, use(Poco::Data::Keywords::null);
        break;
      case Param::Kind::Int:
        st, bind(static_cast<Poco::Int64>(p.i()));
        break;
      case Param::Kind::Real:
        st, bind(p.d());
        break;
      case Param::Kind::Text:
        st, bind(p.s());
        break;
    }
  }
}

std::string forDialect(const std::string& sql, Dialect d) {
  return d == Dialect::SQLite ? detail::sqliteText(sql) : sql;
}

Rows collect(Poco::Data::Statement& st) {
  Rows rows;
  Poco::Data::RecordSet rs(st);
  auto names = std::make_shared<std::vector<std::string>>();
  for (size_t c = 0; c < rs.columnCount(); ++c) names->push_back(rs.columnName(c));
  rows.reserve(rs.rowCount());
  for (size_t r = 0; r < rs.rowCount(); ++r) {
    std::vector<Poco::Dynamic::Var> vals;
    vals.reserve(names->size());
    for (size_t c = 0; c < names->size(); ++c) vals.push_back(rs.value(c, r));
    rows.emplace_back(names, std::move(vals));
  }
  return rows;
}

}  // namespace

std::int64_t Value::i() const {
  if (isNull()) return 0;
  if (v_->isString()) {
    std::string s = v_->extract<std::string>();
    if (s == "t" || s == "true") return 1;
    if (s == "f" || s == "false") return 0;
  }
  if (v_->isBoolean()) return v_->convert<bool>() ? 1 : 0;
  return v_->convert<Poco::Int64>();
}

double Value::d() const {
  return isNull() ? 0.0 : v_->convert<double>();
}

std::string Value::s() const {
  return isNull() ? std::string() : v_->convert<std::string>();
}

bool Value::b() const {
  return i() != 0;
}

Value Row::operator[](std::string_view name) const {
  for (size_t i = 0; i < names_->size(); ++i)
    if ((*names_)[i] == name) return Value(&vals_[i]);
  throw std::out_of_range("no column named " + std::string(name));
}

Conn::Conn(Poco::Data::Session session, Dialect dialect, Poco::Data::SessionPool* pool,
           detail::SqliteState* sqlite)
    : session_(std::move(session)), dialect_(dialect), pool_(pool), sqlite_(sqlite) {}

namespace {

// libpq's words for a connection the server has closed; the statement never ran then (POCO
// prepares first, and the prepare is what fails).
bool lostConnection(const std::string& message) {
  for (const char* m :
       {"server closed the connection", "no connection to the server", "terminating connection",
        "could not send data to server", "connection not open"})
    if (message.find(m) != std::string::npos) return true;
  return false;
}

}  // namespace

template <typename F>
auto Conn::reconnecting(F&& run) -> decltype(run()) {
  // Every idle session of the pool may have been cut at once, and each is found out only by its
  // first statement (failing at once): try up to the pool's size, plus one new connection.
  for (int attempt = 0;; ++attempt) {
    try {
      return run();
    } catch (const Poco::Exception& e) {
      if (txDepth_ > 0 || !pool_ || dialect_ != Dialect::PostgreSQL ||
          attempt > pool_->capacity() || !lostConnection(e.displayText()))
        throw;
      // The broken session goes back as not connected and is dropped by the pool.
      session_ = pool_->get();
    }
  }
}

Rows Conn::query(const std::string& sql, const Params& params) {
  if (sqlite_)
    if (auto rows = sqlite_->run(sql, params, nullptr)) return std::move(*rows);
  return reconnecting([&] {
    Poco::Data::Statement st(session_);
    st << forDialect(sql, dialect_);
    bindAll(st, params);
    st.execute();
    return collect(st);
  });
}

std::optional<Row> Conn::one(const std::string& sql, const Params& params) {
  Rows rows = query(sql, params);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

std::int64_t Conn::scalar(const std::string& sql, const Params& params) {
  auto row = one(sql, params);
  return row && row->size() > 0 ? (*row)[0].i() : 0;
}

std::size_t Conn::exec(const std::string& sql, const Params& params) {
  std::size_t changes = 0;
  if (sqlite_ && sqlite_->run(sql, params, &changes)) return changes;
  return reconnecting([&]() -> std::size_t {
    Poco::Data::Statement st(session_);
    st << forDialect(sql, dialect_);
    bindAll(st, params);
    return st.execute();
  });
}

std::int64_t Conn::insert(const std::string& sql, const Params& params) {
  auto row = one(sql, params);
  if (!row) throw std::runtime_error("insert returned no id");
  return (*row)[0].i();
}

std::size_t execEach(Conn& c, const std::string& sql, std::size_t count,
                     const std::function<Params(std::size_t)>& rowParams,
                     std::vector<std::size_t>* perRow) {
  if (perRow) perRow->assign(count, 0);
  if (count == 0) return 0;
  if (c.dialect() != Dialect::SQLite) {
    std::size_t affected = 0;
    for (std::size_t i = 0; i < count; ++i) {
      std::size_t n = c.exec(sql, rowParams(i));
      if (perRow) (*perRow)[i] = n;
      affected += n;
    }
    return affected;
  }
  sqlite3* handle = Poco::Data::SQLite::Utility::dbHandle(c.session());
  std::string text = forDialect(sql, Dialect::SQLite);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(handle, text.c_str(), static_cast<int>(text.size()), &raw, nullptr) !=
      SQLITE_OK)
    throw std::runtime_error("SQLite: " + std::string(sqlite3_errmsg(handle)) + " in: " + sql);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> st(raw, sqlite3_finalize);
  std::size_t affected = 0;
  for (std::size_t i = 0; i < count; ++i) {
    Params params = rowParams(i);
    detail::bindParams(handle, raw, params);
    int rc = sqlite3_step(raw);
    while (rc == SQLITE_ROW) rc = sqlite3_step(raw);
    if (rc != SQLITE_DONE) {
      std::string why = sqlite3_errmsg(handle);
      sqlite3_reset(raw);
      throw std::runtime_error("SQLite: " + why + " in: " + sql);
    }
    auto n = static_cast<std::size_t>(sqlite3_changes(handle));
    if (perRow) (*perRow)[i] = n;
    affected += n;
    sqlite3_reset(raw);
    sqlite3_clear_bindings(raw);
  }
  return affected;
}

Tx::Tx(Conn& c, bool immediate) : c_(c) {
  if (c_.txDepth_ > 0) {
    savepoint_ = "mw_tx" + std::to_string(c_.txDepth_);
    c_.exec("SAVEPOINT " + savepoint_);
  } else {
    c_.exec(c_.postgres() || !immediate ? "BEGIN" : "BEGIN IMMEDIATE");
  }
  ++c_.txDepth_;
}

Tx::~Tx() {
  if (done_) return;
  --c_.txDepth_;
  try {
    if (savepoint_.empty()) {
      c_.exec("ROLLBACK");
    } else {
      c_.exec("ROLLBACK TO SAVEPOINT " + savepoint_);
      c_.exec("RELEASE SAVEPOINT " + savepoint_);
    }
  } catch (...) {
    // The connection may be gone; the server rolls back on its own then.
  }
}

void Tx::commit() {
  c_.exec(savepoint_.empty() ? "COMMIT" : "RELEASE SAVEPOINT " + savepoint_);
  --c_.txDepth_;
  done_ = true;
}

std::string containsPattern(const std::string& s) {
  std::string out = "%";
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + "%";
}

std::string postgresConnectionString(const std::string& url) {
  Poco::URI uri(url);
  std::ostringstream out;
  auto quote = [](const std::string& v) {
    std::string q = "'";
    for (char ch : v) {
      if (ch == '\'' || ch == '\\') q += '\\';
      q += ch;
    }
    return q + "'";
  };
  out << "host=" << quote(uri.getHost().empty() ? "127.0.0.1" : uri.getHost());
  out << " port=" << (uri.getPort() ? uri.getPort() : 5432);
  std::string userInfo = uri.getUserInfo();
  std::string user = userInfo, password;
  if (auto colon = userInfo.find(':'); colon != std::string::npos) {
    user = userInfo.substr(0, colon);
    password = userInfo.substr(colon + 1);
  }
  std::string decodedUser, decodedPassword;
  Poco::URI::decode(user, decodedUser);
  Poco::URI::decode(password, decodedPassword);
  if (!decodedUser.empty()) out << " user=" << quote(decodedUser);
  if (!decodedPassword.empty()) out << " password=" << quote(decodedPassword);
  std::string db = uri.getPath();
  if (!db.empty() && db[0] == '/') db = db.substr(1);
  out << " dbname=" << quote(db.empty() ? "postgres" : db);
  out << " connect_timeout=10";
  return out.str();
}

std::string adaptSql(std::string sql, Dialect d) {
  auto replaceAll = [&](const std::string& from, const std::string& to) {
    for (size_t pos = 0; (pos = sql.find(from, pos)) != std::string::npos; pos += to.size())
      sql.replace(pos, from.size(), to);
  };
  bool pg = d == Dialect::PostgreSQL;
  replaceAll("{{pk}}", pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT");
  replaceAll("{{now}}", pg ? "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)"
                           : "CAST(strftime('%s','now') AS INTEGER)");
  replaceAll("{{blob}}", pg ? "BYTEA" : "BLOB");
  // A line "-- sqlite: STATEMENT" (or "-- postgresql: ") is that database's alone: uncommented
  // there, a comment on the other.
  replaceAll(pg ? "\n-- postgresql: " : "\n-- sqlite: ", "\n");
  return sql;
}

Database::Database(const std::string& url, int maxSessions) {
  registerConnectors();
  if (url.rfind("sqlite://", 0) == 0) {
    dialect_ = Dialect::SQLite;
    std::string path = url.substr(9);
    if (path.empty()) throw std::runtime_error("DATABASE_URL has no SQLite file path");
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    sqlite_ = std::make_unique<detail::SqliteRegistry>();
    // Idle connections are closed after 23 days (POCO's janitor keeps 1000 * idle in an int):
    // each one closed leaves its prepared statements behind until the process ends.
    pool_ = std::make_unique<Poco::Data::SessionPool>("SQLite", path, 1, maxSessions, 2000000);
    auto c = conn();
    c.query("PRAGMA journal_mode=WAL");
  } else if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    dialect_ = Dialect::PostgreSQL;
    pool_ = std::make_unique<Poco::Data::SessionPool>("PostgreSQL", postgresConnectionString(url),
                                                      1, maxSessions, 300);
  } else {
    throw std::runtime_error("DATABASE_URL must start with sqlite:// or postgresql://");
  }
}

Database::~Database() = default;

Conn Database::conn() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    try {
      auto session = pool_->get();
      detail::SqliteState* state = nullptr;
      if (dialect_ == Dialect::SQLite)
        state = &sqlite_->of(Poco::Data::SQLite::Utility::dbHandle(session));
      return Conn(std::move(session), dialect_, pool_.get(), state);
    } catch (const Poco::Data::SessionPoolExhaustedException&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

bool Database::ping() {
  // A pooled connection the server closed (restart, pg_terminate_backend) fails its first
  // statement and is then discarded by the pool: retry on the next one before answering "down".
  for (int attempt = 0; attempt < 3; ++attempt) {
    try {
      auto c = conn();
      if (c.scalar("SELECT 1") == 1) return true;
    } catch (const std::exception&) {
    }
  }
  return false;
}

int Database::migrate(const std::string& dir, bool verbose) {
  if (!resources::isDirectory(dir)) throw std::runtime_error("migrations not found: " + dir);
  std::vector<std::string> files = resources::list(dir, ".sql");
  auto c = conn();
  // libpq would print "NOTICE: relation ... already exists" to stderr, outside the log format.
  if (c.postgres()) c.exec("SET client_min_messages = warning");
  c.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT "
      "NOT NULL)");
  if (c.postgres()) c.query("SELECT pg_advisory_lock(724311)");  // one migrator at a time
  int applied = 0;
  try {
    for (const auto& f : files) {
      std::string version = std::filesystem::path(f).stem().string();
      Tx tx(c);
      if (c.scalar("SELECT COUNT(*) FROM schema_migrations WHERE version = $1", {version}) > 0)
        continue;
      std::string sql = adaptSql(resources::read(f).value_or(""), dialect_);
      // Statements end with ';' at the end of a line.
      std::string stmt;
      std::istringstream lines(sql);
      std::string line;
      while (std::getline(lines, line)) {
        auto trimmed = line;
        trimmed.erase(0, trimmed.find_first_not_of(" \t"));
        if (trimmed.rfind("--", 0) == 0) continue;
        stmt += line + "\n";
        auto end = line.find_last_not_of(" \t\r");
        if (end != std::string::npos && line[end] == ';') {
          c.exec(stmt);
          stmt.clear();
        }
      }
      if (stmt.find_first_not_of(" \t\r\n") != std::string::npos) c.exec(stmt);
      c.exec("INSERT INTO schema_migrations(version, applied_at) VALUES ($1, $2)",
             {version, static_cast<long long>(std::time(nullptr))});
      tx.commit();
      ++applied;
      if (verbose) std::cout << "applied " << version << "\n";
    }
  } catch (...) {
    if (c.postgres()) c.query("SELECT pg_advisory_unlock(724311)");
    throw;
  }
  if (c.postgres()) c.query("SELECT pg_advisory_unlock(724311)");
  return applied;
}

std::string placeholders(std::size_t first, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += (i ? ", $" : "$") + std::to_string(first + i);
  return out;
}

std::size_t padList(Params& params, std::size_t count) {
  std::size_t padded = 8;
  while (padded < count && padded < 512) padded *= 4;
  if (count == 0 || count > padded) return count;
  Param last = params.back();
  params.resize(params.size() + (padded - count), last);
  return padded;
}

std::size_t eachIdChunk(
    const Params& fixed, const std::vector<std::int64_t>& ids,
    const std::function<std::size_t(const Params&, const std::string& in)>& run) {
  std::size_t total = 0;
  for (std::size_t start = 0; start < ids.size(); start += 512) {
    Params params = fixed;
    const std::size_t end = std::min(ids.size(), start + 512);
    for (std::size_t i = start; i < end; ++i) params.emplace_back(ids[i]);
    const std::size_t n = padList(params, end - start);
    total += run(params, placeholders(fixed.size() + 1, n));
  }
  return total;
}

std::string likeContaining(const std::string& text) {
  std::string out = "%";
  for (char ch : text) {
    if (ch == '%' || ch == '_' || ch == '!') out += '!';
    out += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  }
  return out + "%";
}

}  // namespace mw::db
