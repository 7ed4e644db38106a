#pragma once
#include <cstdint>
#include <exception>
#include <optional>
#include <string>

#include "admin/registry.h"
#include "core/db.h"

namespace mw::admin {

// The generic SQL of the admin section. Identifiers come from the declared Table only (checked
// by checkDeclaration at start-up); every value is a bound parameter.
class Store {
 public:
  Store(db::Conn& c, const Table& t) : c_(c), t_(t) {}

  std::int64_t count(const std::string& search = "");
  db::Rows list(const std::string& search, int offset, int limit);
  std::optional<db::Row> get(std::int64_t id);
  // Another row already holds this unique value (with its uniqueWith columns).
  bool taken(const Column& col, const Values& values, const db::Row& current, std::int64_t id);
  void update(std::int64_t id, const Values& values);
  bool remove(std::int64_t id);

 private:
  db::Conn& c_;
  const Table& t_;
  std::string select() const;
  std::string where(const std::string& search, db::Params& params) const;
};

// A value bound with the column's SQL type (integers for Int, Bool and Time).
db::Param toParam(const Column& col, const std::optional<std::string>& v);

// Which constraint refused a statement, from the driver's message (SQLite and PostgreSQL).
enum class Violation { None, Unique, ForeignKey, NotNull };
Violation violationOf(const std::exception& e);

// Throws std::logic_error when a declaration holds anything but plain identifiers.
void checkDeclaration(const Table& t);

}  // namespace mw::admin
