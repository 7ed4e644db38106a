#include "delivery/log.h"

namespace mw::delivery {
namespace {

// "WHERE ..." of a filter, with only the clauses it needs, so that each statement can use the
// (owner_id, at) or (mailing_id, at) index: "$1 = 0 OR owner_id = $1" keeps SQLite off them.
struct Where {
  std::string sql = "WHERE 1 = 1\n";
  db::Params params;

  void add(const std::string& clause, db::Param value) {
    params.push_back(std::move(value));
    sql += "  AND " + clause + std::to_string(params.size()) + "\n";
  }
  std::string next() { return "$" + std::to_string(params.size() + 1); }
};

Where whereOf(const AttemptFilter& f, bool withLogFilters) {
  Where w;
  if (f.mailingId) w.add("a.mailing_id = $", f.mailingId);
  if (f.ownerId) w.add("a.owner_id = $", f.ownerId);
  if (f.from) w.add("a.at >= $", f.from);
  if (f.to) w.add("a.at < $", f.to);
  if (!withLogFilters) {
    w.sql += "  AND a.is_test = 0\n";
    return w;
  }
  if (f.status == "success") w.sql += "  AND a.status = 'success'\n";
  if (f.status == "failure") w.sql += "  AND a.status = 'failure' AND a.final = 1\n";
  if (f.status == "retry") w.sql += "  AND a.status = 'failure' AND a.final = 0\n";
  if (!f.email.empty()) {
    w.params.push_back(db::likeContaining(f.email));
    w.sql += "  AND LOWER(a.email) LIKE $" + std::to_string(w.params.size()) + " ESCAPE '!'\n";
  }
  return w;
}

// Foreign columns: mailings.id and mailings.name (the mailings domain), for the names shown;
// bounces.delivery_id, kind, status_code, text (issue 13), the bounce or complaint of the
// delivery an attempt ended, by the bounces' unique (delivery_id, kind) index.
constexpr const char* kSelectRows = R"(
SELECT a.id, a.mailing_id, COALESCE(m.name, '') AS mailing_name, a.client_id,
       a.email, a.at, a.status, a.code, a.reply, a.final,
       COALESCE((SELECT b.kind
                        || CASE WHEN b.status_code = '' THEN '' ELSE ' ' || b.status_code END
                        || ': ' || b.text
                 FROM bounces b
                 WHERE b.delivery_id = a.delivery_id
                   AND a.final = 1
                 ORDER BY b.id
                 LIMIT 1), '') AS bounce
FROM attempts a
LEFT JOIN mailings m ON m.id = a.mailing_id
)";

std::vector<AttemptRow> rowsOf(const db::Rows& rows) {
  std::vector<AttemptRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows)
    out.push_back({r["id"].i(), r["mailing_id"].i(), r["mailing_name"].s(), r["client_id"].i(),
                   r["email"].s(), r["at"].i(), r["status"].s(), static_cast<int>(r["code"].i()),
                   r["reply"].s(), r["final"].b(), r["bounce"].s()});
  return out;
}

}  // namespace

bool validMailingSort(const std::string& column) {
  return column == "name" || column == "attempts" || column == "success" || column == "failure" ||
         column == "rate";
}

std::vector<AttemptRow> AttemptLog::page(const AttemptFilter& f, int offset, int limit) {
  auto w = whereOf(f, true);
  std::string sql = kSelectRows + w.sql + "ORDER BY a.at DESC, a.id DESC\nLIMIT " + w.next();
  w.params.emplace_back(limit);
  sql += " OFFSET " + w.next();
  w.params.emplace_back(offset);
  return rowsOf(c_.query(sql, w.params));
}

std::vector<AttemptRow> AttemptLog::chunk(const AttemptFilter& f, const AttemptRow* after,
                                          int limit) {
  auto w = whereOf(f, true);
  if (after) {
    auto at = w.next();
    w.params.emplace_back(after->at);
    auto id = w.next();
    w.params.emplace_back(after->id);
    w.sql += "  AND (a.at < " + at + " OR (a.at = " + at + " AND a.id < " + id + "))\n";
  }
  std::string sql = kSelectRows + w.sql + "ORDER BY a.at DESC, a.id DESC\nLIMIT " + w.next();
  w.params.emplace_back(limit);
  return rowsOf(c_.query(sql, w.params));
}

std::int64_t AttemptLog::countUpTo(const AttemptFilter& f, std::int64_t cap) {
  auto w = whereOf(f, true);
  std::string sql = "SELECT COUNT(*) FROM (\n  SELECT 1 FROM attempts a\n" + w.sql + "  LIMIT " +
                    w.next() + "\n) capped";
  w.params.emplace_back(cap);
  return c_.scalar(sql, w.params);
}

Stats AttemptLog::totals(const AttemptFilter& f) {
  auto w = whereOf(f, false);
  Stats s;
  auto r = c_.one(R"(
SELECT COALESCE(SUM(CASE WHEN a.status = 'success' THEN 1 ELSE 0 END), 0) AS success,
       COALESCE(SUM(CASE WHEN a.status = 'failure' THEN 1 ELSE 0 END), 0) AS failure,
       MAX(a.at) AS last_at
FROM attempts a
)" + w.sql,
                  w.params);
  if (!r) return s;
  s.success = (*r)["success"].i();
  s.failure = (*r)["failure"].i();
  s.attempts = s.success + s.failure;
  s.lastAt = (*r)["last_at"].opt();
  if (auto last = c_.one("SELECT a.reply\nFROM attempts a\n" + w.sql +
                             "ORDER BY a.at DESC, a.id DESC\n"
                             "LIMIT 1",
                         w.params))
    s.lastReply = (*last)["reply"].s();
  return s;
}

std::vector<MailingTotals> AttemptLog::byMailing(const AttemptFilter& f, const std::string& sort,
                                                 bool descending, int limit) {
  auto w = whereOf(f, false);
  // The column is one of validMailingSort's, never the request's text.
  std::string order = validMailingSort(sort) ? sort : "attempts";
  std::string sql = R"(
SELECT a.mailing_id, COALESCE(m.name, '') AS name, COUNT(*) AS attempts,
       SUM(CASE WHEN a.status = 'success' THEN 1 ELSE 0 END) AS success,
       SUM(CASE WHEN a.status = 'failure' THEN 1 ELSE 0 END) AS failure,
       SUM(CASE WHEN a.status = 'success' THEN 1.0 ELSE 0.0 END) / COUNT(*) AS rate
FROM attempts a
LEFT JOIN mailings m ON m.id = a.mailing_id
)" + w.sql + "GROUP BY a.mailing_id, m.name\nORDER BY " +
                    order + (descending ? " DESC" : " ASC") + ", mailing_id DESC\nLIMIT " +
                    w.next();
  w.params.emplace_back(limit);
  std::vector<MailingTotals> out;
  for (const auto& r : c_.query(sql, w.params))
    out.push_back({r["mailing_id"].i(), r["name"].s(), r["attempts"].i(), r["success"].i(),
                   r["failure"].i()});
  return out;
}

std::vector<SeriesPoint> AttemptLog::series(const AttemptFilter& f, std::int64_t bucketSeconds) {
  auto w = whereOf(f, false);
  auto b = w.next();
  w.params.emplace_back(bucketSeconds);
  std::string sql = "SELECT (a.at / " + b + ") * " + b + R"( AS bucket,
       SUM(CASE WHEN a.status = 'success' THEN 1 ELSE 0 END) AS success,
       SUM(CASE WHEN a.status = 'failure' THEN 1 ELSE 0 END) AS failure
FROM attempts a
)" + w.sql + "GROUP BY (a.at / " +
                    b + ") * " + b + "\nORDER BY bucket";
  std::vector<SeriesPoint> out;
  for (const auto& r : c_.query(sql, w.params))
    out.push_back({r["bucket"].i(), r["success"].i(), r["failure"].i()});
  return out;
}

}  // namespace mw::delivery
