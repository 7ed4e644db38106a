#include "core/db.h"

#include "core/db_each.h"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/SessionPoolContainer.h>
#include <Poco/Data/Statement.h>
#include <Poco/URI.h>
#include <Poco/UTF8String.h>
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

#include <sqlite3.h>

using namespace Poco::Data::Keywords;

namespace mw::db {
namespace {

void registerConnectors() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::PostgreSQL::Connector::registerConnector();
  });
}

// SQLite's own lower() folds ASCII only; searches must match "иван" to "Иван" as PostgreSQL does.
void unicodeLower(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc != 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  std::string out =
      text ? Poco::UTF8::toLower(std::string(text, sqlite3_value_bytes(argv[0]))) : std::string();
  sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
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

// SQLite numbers "$N" parameters by first appearance, not by N; "?N" binds to index N exactly,
// so SQL can use $1..$N in any order (as PostgreSQL does).
std::string forDialect(const std::string& sql, Dialect d) {
  if (d != Dialect::SQLite || sql.find('$') == std::string::npos) return sql;
  std::string out = sql;
  bool quoted = false;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\'')
      quoted = !quoted;
    else if (!quoted && out[i] == '$' && i + 1 < out.size() &&
             std::isdigit(static_cast<unsigned char>(out[i + 1])))
      out[i] = '?';
  }
  return out;
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

Conn::Conn(Poco::Data::Session session, Dialect dialect)
    : session_(std::move(session)), dialect_(dialect) {}

Rows Conn::query(const std::string& sql, const Params& params) {
  Poco::Data::Statement st(session_);
  st << forDialect(sql, dialect_);
  bindAll(st, params);
  st.execute();
  return collect(st);
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
  Poco::Data::Statement st(session_);
  st << forDialect(sql, dialect_);
  bindAll(st, params);
  return st.execute();
}

std::int64_t Conn::insert(const std::string& sql, const Params& params) {
  auto row = one(sql, params);
  if (!row) throw std::runtime_error("insert returned no id");
  return (*row)[0].i();
}

std::size_t execEach(Conn& c, const std::string& sql, std::size_t count,
                     const std::function<Params(std::size_t)>& rowParams) {
  if (count == 0) return 0;
  if (c.dialect() != Dialect::SQLite) {
    std::size_t affected = 0;
    for (std::size_t i = 0; i < count; ++i) affected += c.exec(sql, rowParams(i));
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
    for (std::size_t k = 0; k < params.size(); ++k) {
      const Param& p = params[k];
      int idx = static_cast<int>(k) + 1, rc = SQLITE_OK;
      switch (p.kind()) {
        case Param::Kind::Null:
          rc = sqlite3_bind_null(raw, idx);
          break;
        case Param::Kind::Int:
          rc = sqlite3_bind_int64(raw, idx, p.i());
          break;
        case Param::Kind::Real:
          rc = sqlite3_bind_double(raw, idx, p.d());
          break;
        case Param::Kind::Text:
          // `params` outlives the step below.
          rc = sqlite3_bind_text(raw, idx, p.s().data(), static_cast<int>(p.s().size()),
                                 SQLITE_STATIC);
          break;
      }
      if (rc != SQLITE_OK)
        throw std::runtime_error("SQLite bind: " + std::string(sqlite3_errmsg(handle)));
    }
    int rc = sqlite3_step(raw);
    while (rc == SQLITE_ROW) rc = sqlite3_step(raw);
    if (rc != SQLITE_DONE) {
      std::string why = sqlite3_errmsg(handle);
      sqlite3_reset(raw);
      throw std::runtime_error("SQLite: " + why + " in: " + sql);
    }
    affected += static_cast<std::size_t>(sqlite3_changes(handle));
    sqlite3_reset(raw);
    sqlite3_clear_bindings(raw);
  }
  return affected;
}

Tx::Tx(Conn& c, bool immediate) : c_(c) {
  c_.exec(c_.postgres() || !immediate ? "BEGIN" : "BEGIN IMMEDIATE");
}

Tx::~Tx() {
  if (done_) return;
  try {
    c_.exec("ROLLBACK");
  } catch (...) {
    // The connection may be gone; the server rolls back on its own then.
  }
}

void Tx::commit() {
  c_.exec("COMMIT");
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
    pool_ = std::make_unique<Poco::Data::SessionPool>("SQLite", path, 1, maxSessions, 300);
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

Conn Database::conn() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    try {
      Conn c(pool_->get(), dialect_);
      if (dialect_ == Dialect::SQLite) {
        // Per connection: wait for the write lock instead of failing, enforce foreign keys.
        c.exec("PRAGMA busy_timeout=10000");
        c.exec("PRAGMA foreign_keys=ON");
        c.exec("PRAGMA synchronous=NORMAL");
        sqlite3_create_function_v2(Poco::Data::SQLite::Utility::dbHandle(c.session()), "lower", 1,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, unicodeLower,
                                   nullptr, nullptr, nullptr);
      }
      return c;
    } catch (const Poco::Data::SessionPoolExhaustedException&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

bool Database::ping() {
  try {
    auto c = conn();
    return c.scalar("SELECT 1") == 1;
  } catch (const std::exception&) {
    return false;
  }
}

int Database::migrate(const std::string& dir, bool verbose) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".sql") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  auto c = conn();
  c.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT "
      "NOT NULL)");
  if (c.postgres()) c.query("SELECT pg_advisory_lock(724311)");  // one migrator at a time
  int applied = 0;
  try {
    for (const auto& f : files) {
      std::string version = f.stem().string();
      Tx tx(c);
      if (c.scalar("SELECT COUNT(*) FROM schema_migrations WHERE version = $1", {version}) > 0)
        continue;
      std::ifstream in(f);
      std::stringstream buf;
      buf << in.rdbuf();
      std::string sql = adaptSql(buf.str(), dialect_);
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

}  // namespace mw::db
