#include "admin/store.h"

#include <Poco/Exception.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <regex>
#include <stdexcept>

namespace mw::admin {
namespace {

std::optional<std::int64_t> asId(const std::string& s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  return std::stoll(s);
}

std::string placeholder(const db::Params& params) {
  return "$" + std::to_string(params.size());
}

bool integral(Type t) {
  return t == Type::Int || t == Type::Bool || t == Type::Time;
}

const Column* columnNamed(const Table& t, const std::string& name) {
  for (const auto& c : t.columns)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace

db::Param toParam(const Column& col, const std::optional<std::string>& v) {
  if (!v) return nullptr;
  if (integral(col.type)) return static_cast<long long>(std::stoll(*v));
  return *v;
}

std::string Store::select() const {
  std::string cols;
  for (const auto& c : t_.columns) cols += (cols.empty() ? "" : ", ") + c.name;
  return "SELECT " + cols + " FROM " + t_.name;
}

std::string Store::where(const std::string& search, db::Params& params) const {
  if (search.empty()) return "";
  std::string cond;
  params.push_back(db::containsPattern(search));
  std::string like = placeholder(params);
  for (const auto& c : t_.columns) {
    if (!c.searchable) continue;
    cond += (cond.empty() ? "" : " OR ") +
            ("LOWER(CAST(" + c.name + " AS TEXT)) LIKE LOWER(" + like + ") ESCAPE '\\'");
  }
  if (auto id = asId(search); id && t_.keyed) {
    params.push_back(static_cast<long long>(*id));
    cond += (cond.empty() ? "" : " OR ") + ("id = " + placeholder(params));
  }
  if (cond.empty()) cond = "1 = 0";
  return " WHERE " + cond;
}

std::int64_t Store::count(const std::string& search) {
  db::Params params;
  std::string w = where(search, params);
  return c_.scalar("SELECT COUNT(*) FROM " + t_.name + w, params);
}

db::Rows Store::list(const std::string& search, int offset, int limit) {
  db::Params params;
  std::string sql = select() + where(search, params) + " ORDER BY " + t_.orderBy;
  params.push_back(limit);
  sql += " LIMIT " + placeholder(params);
  params.push_back(offset);
  sql += " OFFSET " + placeholder(params);
  return c_.query(sql, params);
}

std::optional<db::Row> Store::get(std::int64_t id) {
  if (!t_.keyed) return std::nullopt;
  return c_.one(select() + " WHERE id = $1", {id});
}

bool Store::taken(const Column& col, const Values& values, const db::Row& current,
                  std::int64_t id) {
  auto valueOf = [&](const Column& c) -> db::Param {
    auto it = values.find(c.name);
    if (it != values.end()) return toParam(c, it->second);
    return toParam(c, current[c.name].optS());
  };
  db::Params params;
  params.push_back(valueOf(col));
  if (params.back().kind() == db::Param::Kind::Null) return false;  // NULLs never collide
  std::string sql = "SELECT COUNT(*) FROM " + t_.name + " WHERE " + col.name + " = $1";
  for (const auto& name : col.uniqueWith) {
    const Column* other = columnNamed(t_, name);
    if (!other) continue;
    params.push_back(valueOf(*other));
    sql += " AND " + name + " = " + placeholder(params);
  }
  params.push_back(id);
  sql += " AND id <> " + placeholder(params);
  return c_.scalar(sql, params) > 0;
}

void Store::update(std::int64_t id, const Values& values) {
  db::Params params;
  std::string sets;
  for (const auto& c : t_.columns) {
    auto it = values.find(c.name);
    if (!c.editable || it == values.end()) continue;
    params.push_back(toParam(c, it->second));
    sets += (sets.empty() ? "" : ", ") + c.name + " = " + placeholder(params);
  }
  if (!t_.touch.empty()) {
    params.push_back(static_cast<long long>(std::time(nullptr)));
    sets += (sets.empty() ? "" : ", ") + t_.touch + " = " + placeholder(params);
  }
  if (sets.empty()) return;
  params.push_back(id);
  c_.exec("UPDATE " + t_.name + " SET " + sets + " WHERE id = " + placeholder(params), params);
}

bool Store::remove(std::int64_t id) {
  return c_.exec("DELETE FROM " + t_.name + " WHERE id = $1", {id}) > 0;
}

Violation violationOf(const std::exception& e) {
  std::string text = e.what();
  if (auto* pe = dynamic_cast<const Poco::Exception*>(&e)) text = pe->displayText();
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (text.find("foreign key") != std::string::npos) return Violation::ForeignKey;
  if (text.find("unique") != std::string::npos || text.find("duplicate key") != std::string::npos)
    return Violation::Unique;
  if (text.find("not null") != std::string::npos) return Violation::NotNull;
  return Violation::None;
}

void checkDeclaration(const Table& t) {
  static const std::regex ident("[a-z_][a-z0-9_]*");
  static const std::regex order(
      "[a-z_][a-z0-9_]*( (ASC|DESC))?(, [a-z_][a-z0-9_]*( (ASC|DESC))?)*");
  auto fail = [&](const std::string& what) {
    throw std::logic_error("admin table " + t.name + ": bad " + what);
  };
  if (!std::regex_match(t.name, ident)) fail("name");
  if (!std::regex_match(t.orderBy, order)) fail("orderBy");
  if (!t.touch.empty() && !std::regex_match(t.touch, ident)) fail("touch column");
  bool hasId = false;
  for (const auto& c : t.columns) {
    if (!std::regex_match(c.name, ident)) fail("column " + c.name);
    for (const auto& u : c.uniqueWith)
      if (!columnNamed(t, u)) fail("uniqueWith " + u);
    hasId = hasId || c.name == "id";
  }
  if (t.keyed && !hasId) fail("keyed table without an id column");
  if (!t.keyed && (t.deletable || !t.flags.empty())) fail("keyless table with actions");
  for (const auto& c : t.columns)
    if (c.editable && !t.keyed) fail("keyless table with editable column " + c.name);
}

}  // namespace mw::admin
