#include "core/db_sqlite.h"

#include <Poco/Data/DataException.h>
#include <Poco/UTF8String.h>

#include <cctype>

namespace mw::db::detail {
namespace {

// Dynamic SQL (IN lists of varying length) must not pile statements up without bound.
constexpr std::size_t kMaxStatements = 256;

[[noreturn]] void fail(sqlite3* db, const std::string& sql) {
  throw Poco::Data::DataException(std::string(sqlite3_errmsg(db)) + " in: " + sql.substr(0, 300));
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

// Constructs the value in place: a Var copied into the vector clones its holder (an allocation).
void appendColumn(std::vector<Poco::Dynamic::Var>& vals, sqlite3_stmt* st, int c) {
  switch (sqlite3_column_type(st, c)) {
    case SQLITE_INTEGER:
      vals.emplace_back(Poco::Int64(sqlite3_column_int64(st, c)));
      return;
    case SQLITE_FLOAT:
      vals.emplace_back(sqlite3_column_double(st, c));
      return;
    case SQLITE_NULL:
      vals.emplace_back();
      return;
    default: {  // TEXT, BLOB
      const auto* p = static_cast<const char*>(sqlite3_column_blob(st, c));
      vals.emplace_back(
          std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st, c))));
    }
  }
}

// Resets the statement on every way out, so that no read transaction stays open.
struct ResetOnExit {
  sqlite3_stmt* st;
  ~ResetOnExit() {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
};

}  // namespace

std::string sqliteText(const std::string& sql) {
  if (sql.find('$') == std::string::npos) return sql;
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

void bindParams(sqlite3* db, sqlite3_stmt* st, const Params& params) {
  for (std::size_t k = 0; k < params.size(); ++k) {
    const Param& p = params[k];
    int idx = static_cast<int>(k) + 1, rc = SQLITE_OK;
    switch (p.kind()) {
      case Param::Kind::Null:
        rc = sqlite3_bind_null(st, idx);
        break;
      case Param::Kind::Int:
        rc = sqlite3_bind_int64(st, idx, p.i());
        break;
      case Param::Kind::Real:
        rc = sqlite3_bind_double(st, idx, p.d());
        break;
      case Param::Kind::Text:
        // `params` outlives the steps that read it.
        rc =
            sqlite3_bind_text(st, idx, p.s().data(), static_cast<int>(p.s().size()), SQLITE_STATIC);
        break;
    }
    if (rc != SQLITE_OK)
      throw Poco::Data::DataException("SQLite bind $" + std::to_string(idx) + ": " +
                                      sqlite3_errmsg(db));
  }
}

SqliteState::SqliteState(sqlite3* db) : db_(db) {
  // Per connection: wait for the write lock instead of failing, enforce foreign keys.
  for (const char* pragma :
       {"PRAGMA busy_timeout=10000", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL"})
    if (sqlite3_exec(db_, pragma, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db_, pragma);
  sqlite3_create_function_v2(db_, "lower", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                             unicodeLower, nullptr, nullptr, nullptr);
  if (sqlite3_prepare_v3(db_, "SELECT 1", -1, SQLITE_PREPARE_PERSISTENT, &anchor_, nullptr) !=
      SQLITE_OK)
    fail(db_, "SELECT 1");
}

SqliteState::~SqliteState() {
  clear();
  sqlite3_finalize(anchor_);
}

void SqliteState::clear() {
  for (auto& [sql, p] : stmts_) sqlite3_finalize(p.stmt);
  stmts_.clear();
}

SqliteState::Prepared* SqliteState::prepare(const std::string& sql) {
  if (auto it = stmts_.find(sql); it != stmts_.end()) return &it->second;
  std::string text = sqliteText(sql);
  sqlite3_stmt* st = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size()),
                         SQLITE_PREPARE_PERSISTENT, &st, &tail) != SQLITE_OK)
    fail(db_, sql);
  for (; tail && *tail; ++tail)
    if (!std::isspace(static_cast<unsigned char>(*tail)) && *tail != ';') {
      sqlite3_finalize(st);
      return nullptr;  // several statements
    }
  if (!st) return nullptr;  // only a comment or whitespace
  if (stmts_.size() >= kMaxStatements) clear();
  auto names = std::make_shared<std::vector<std::string>>();
  for (int c = 0; c < sqlite3_column_count(st); ++c) names->push_back(sqlite3_column_name(st, c));
  return &(stmts_[sql] = Prepared{st, std::move(names)});
}

std::optional<Rows> SqliteState::run(const std::string& sql, const Params& params,
                                     std::size_t* changes) {
  Prepared* p = prepare(sql);
  if (!p) return std::nullopt;
  ResetOnExit reset{p->stmt};
  bindParams(db_, p->stmt, params);
  Rows rows;
  int width = static_cast<int>(p->names->size());
  int rc;
  while ((rc = sqlite3_step(p->stmt)) == SQLITE_ROW) {
    std::vector<Poco::Dynamic::Var> vals;
    vals.reserve(static_cast<std::size_t>(width));
    for (int c = 0; c < width; ++c) appendColumn(vals, p->stmt, c);
    rows.emplace_back(p->names, std::move(vals));
  }
  if (rc != SQLITE_DONE) fail(db_, sql);
  if (changes) *changes = static_cast<std::size_t>(sqlite3_changes(db_));
  return rows;
}

SqliteState& SqliteRegistry::of(sqlite3* db) {
  std::lock_guard lock(mutex_);
  auto& state = states_[db];
  if (!state) state = std::make_unique<SqliteState>(db);
  return *state;
}

}  // namespace mw::db::detail
