#include "clients/repo.h"

#include "core/db_each.h"

#include <algorithm>
#include <ctime>
#include <sstream>

namespace mw::clients {
namespace {

// Qualified: a search joins clients_search, whose columns share three of these names.
constexpr const char* kCols =
    "clients.id, clients.owner_id, clients.email, clients.full_name, clients.comment, "
    "clients.unsubscribed_at, clients.created_at, clients.updated_at, clients.resubscribed_at, "
    "clients.resubscribed_by, clients.stopped_at, clients.stopped_reason";

Client fromRow(const db::Row& r) {
  Client c;
  c.id = r["id"].i();
  c.ownerId = r["owner_id"].i();
  c.email = r["email"].s();
  c.fullName = r["full_name"].s();
  c.comment = r["comment"].s();
  c.unsubscribedAt = r["unsubscribed_at"].opt();
  c.resubscribedAt = r["resubscribed_at"].opt();
  c.resubscribedBy = r["resubscribed_by"].opt();
  c.stoppedAt = r["stopped_at"].opt();
  c.stoppedReason = r["stopped_reason"].s();
  c.createdAt = r["created_at"].i();
  c.updatedAt = r["updated_at"].i();
  return c;
}

std::vector<Client> many(const db::Rows& rows) {
  std::vector<Client> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(fromRow(r));
  return out;
}

// The search by scan ($2 the text, $3 its LIKE pattern); searchOf() picks it or the index.
constexpr const char* kSearch = R"(($2 = ''
    OR LOWER(email) LIKE LOWER($3) ESCAPE '\'
    OR LOWER(full_name) LIKE LOWER($3) ESCAPE '\'
    OR LOWER(comment) LIKE LOWER($3) ESCAPE '\'))";

// Clients of status $5 (Client::status()), or every client when it is ''.
constexpr const char* kStatus = R"(($5 = ''
    OR ($5 = 'active' AND unsubscribed_at IS NULL AND stopped_at IS NULL)
    OR ($5 = 'unsubscribed' AND unsubscribed_at IS NOT NULL AND stopped_at IS NULL)
    OR ($5 IN ('bounced', 'complained') AND stopped_at IS NOT NULL AND stopped_reason = $5)))";

long long now() {
  return static_cast<long long>(std::time(nullptr));
}

}  // namespace

std::optional<Client> Repo::get(std::int64_t owner, std::int64_t id) {
  auto r = c_.one(std::string("SELECT ") + kCols + " FROM clients WHERE id = $1 AND owner_id = $2",
                  {id, owner});
  if (!r) return std::nullopt;
  return fromRow(*r);
}

namespace {

// The list's search, $2 being the text and $3 its param: by trigram index when the text has 3
// characters or more (the FTS5 table on SQLite, pg_trgm's index of the same expression on
// PostgreSQL; migration 0014), else by a scan. `fts` is the FTS5 phrase, when it is used.
struct Search {
  std::string sql;
  std::string param;
  bool fts = false;
};

Search searchOf(db::Conn& c, const std::string& text) {
  std::size_t chars = 0;
  for (unsigned char ch : text) chars += (ch & 0xC0) != 0x80;
  if (c.postgres())
    return {
        "($2 = '' OR (LOWER(email) || ' ' || LOWER(full_name) || ' ' || LOWER(comment)) "
        "LIKE LOWER($3))",
        db::containsPattern(text)};
  if (chars < 3) return {kSearch, db::containsPattern(text)};
  std::string phrase = "\"";  // an FTS5 string: its quotes doubled
  for (char ch : text) phrase += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return {
      "($2 = '' OR clients.id IN (SELECT rowid FROM clients_search WHERE clients_search MATCH $3))",
      phrase + "\"", true};
}

// A search without a group walks the FTS5 index's matches, newest first, and looks each client
// up by id: the first page stops at its 20th match and a count reads the matches only. Walking
// the owner's clients and testing each against the matches instead read all of them: 288 ms
// for a one-client match among 1,000,000 (now 1 ms), and a count of 111,111 matches took
// 255 ms (now 127 ms; sqlite3 on a copy). An owner with no match of a text that matches many
// of another owner's clients pays for walking those.
constexpr const char* kSearchWalk = R"(FROM clients_search s
CROSS JOIN clients ON clients.id = s.rowid
WHERE clients_search MATCH $3
  AND clients.owner_id = $1
  AND $2 <> ''
  AND $4 = 0
)";

// The index's matches are every owner's: walking them for an owner with few clients cost what
// another owner's matches cost (611 ms for a text matching 96,000 of another owner's clients,
// 1.5 s for a million), where scanning the owner's own clients with LIKE takes ~1 ms a hundred
// (sqlite3). Up to 10,000 clients an owner's search is such a scan: lower than the 12,001 of
// groups_test's index walk, which keeps that walk tested.
constexpr std::int64_t kScanUpTo = 10'000;

std::int64_t ownersClients(db::Conn& c, std::int64_t owner) {
  return c.scalar(R"(SELECT COALESCE(SUM(clients), 0)
FROM client_counts
WHERE owner_id = $1)",
                  {owner});
}

}  // namespace

// $1 owner, $2 search text, $3 its param (searchOf), $4 group, $5 status. With a group the walk
// starts at its members' primary key, in client id order: a page of a group of a million reads
// its 20 rows, where `id IN (SELECT client_id ...)` first gathered the million member ids
// (668 ms a page on SQLite). Order by `key` to follow that walk.
FilterSql filterSql(db::Conn& c, std::int64_t owner, const ClientFilter& f) {
  auto s = searchOf(c, f.q);
  if (s.fts && !f.q.empty() && f.groupId == 0) {
    if (ownersClients(c, owner) > kScanUpTo) {
      db::Params params{owner, f.q, s.param, f.groupId, f.status};
      return {std::string(kSearchWalk) + "  AND " + kStatus + "\n", params, "s.rowid"};
    }
    s = {kSearch, db::containsPattern(f.q)};  // the same matches, by a scan of the owner's
  }
  db::Params params{owner, f.q, s.param, f.groupId, f.status};
  std::string where = "  AND " + s.sql + "\n  AND " + kStatus + "\n";
  if (f.groupId == 0)
    return {R"(FROM clients
WHERE clients.owner_id = $1
  AND $4 = 0
)" + where,
            params, "clients.id"};
  return {R"(FROM client_group_members m
JOIN clients ON clients.id = m.client_id
WHERE m.group_id = $4
  AND clients.owner_id = $1
)" + where,
          params, "m.client_id"};
}

std::vector<Client> Repo::list(std::int64_t owner, const std::string& search, int offset, int limit,
                               std::int64_t group, const std::string& status) {
  auto f = filterSql(c_, owner, {search, group, status});
  f.params.insert(f.params.end(), {limit, offset});
  return many(c_.query(std::string("SELECT ") + kCols + "\n" + f.from +  //
                           "ORDER BY " + f.key + " DESC\n" + "LIMIT $6 OFFSET $7",
                       f.params));
}

std::int64_t Repo::countUpTo(std::int64_t owner, const std::string& search, std::int64_t group,
                             const std::string& status, std::int64_t cap) {
  auto f = filterSql(c_, owner, {search, group, status});
  f.params.emplace_back(static_cast<long long>(cap));
  return c_.scalar("SELECT COUNT(*) FROM (SELECT 1\n" + f.from + "LIMIT $6) AS capped", f.params);
}

std::int64_t Repo::count(std::int64_t owner, const std::string& search, std::int64_t group,
                         const std::string& status) {
  // All the owner's clients, or a whole group (its members are its owner's clients: every
  // statement adding one checks it): the counters kept by migration 0022's triggers, where a
  // COUNT took 100-160 ms for a million on SQLite.
  if (search.empty() && status.empty() && group == 0) return ownersClients(c_, owner);
  if (search.empty() && status.empty())
    return c_.scalar(R"(SELECT COALESCE(SUM(members), 0)
FROM group_counts
WHERE group_id = $1
  AND EXISTS (SELECT 1 FROM client_groups WHERE id = $1 AND owner_id = $2))",
                     {group, owner});
  auto f = filterSql(c_, owner, {search, group, status});
  return c_.scalar("SELECT COUNT(*)\n" + f.from, f.params);
}

std::vector<Client> Repo::before(std::int64_t owner, const std::string& search,
                                 std::int64_t beforeId, int limit, std::int64_t group,
                                 const std::string& status) {
  auto f = filterSql(c_, owner, {search, group, status});
  f.params.insert(f.params.end(), {static_cast<long long>(beforeId), limit});
  // The bound only when there is one: FTS5 walks from it only when it sees `rowid < $6` alone.
  std::string bound = beforeId ? f.key + " < $6" : std::string("$6 = 0");
  return many(c_.query(std::string("SELECT ") + kCols + "\n" + f.from +  //
                           "  AND " + bound + "\n" +                     //
                           "ORDER BY " + f.key + " DESC\n" +             //
                           "LIMIT $7",
                       f.params));
}

std::vector<Client> Repo::all(std::int64_t owner) {
  return many(
      c_.query(std::string("SELECT ") + kCols + " FROM clients WHERE owner_id = $1 ORDER BY email",
               {owner}));
}

std::vector<Client> Repo::byIds(std::int64_t owner, const std::vector<std::int64_t>& ids) {
  std::vector<Client> out;
  // Chunks keep the parameter count well under SQLite's limit.
  for (size_t start = 0; start < ids.size(); start += 500) {
    size_t end = std::min(ids.size(), start + 500);
    std::ostringstream sql;
    sql << "SELECT " << kCols << " FROM clients WHERE owner_id = $1 AND id IN (";
    db::Params params{owner};
    for (size_t i = start; i < end; ++i) {
      sql << (i > start ? ", " : "") << "$" << params.size() + 1;
      params.emplace_back(ids[i]);
    }
    sql << ") ORDER BY email";
    for (auto& c : many(c_.query(sql.str(), params))) out.push_back(std::move(c));
  }
  return out;
}

bool Repo::emailTaken(std::int64_t owner, const std::string& email, std::int64_t exceptId) {
  return c_.scalar("SELECT COUNT(*) FROM clients WHERE owner_id = $1 AND email = $2 AND id <> $3",
                   {owner, email, exceptId}) > 0;
}

std::int64_t Repo::create(const Client& c) {
  return c_.insert(
      "INSERT INTO clients(owner_id, email, full_name, comment, created_at, updated_at) VALUES "
      "($1, $2, $3, $4, $5, $5) RETURNING id",
      {c.ownerId, c.email, c.fullName, c.comment, now()});
}

bool Repo::update(const Client& c) {
  return c_.exec(
             "UPDATE clients SET email = $1, full_name = $2, comment = $3, updated_at = $4 WHERE "
             "id = $5 AND owner_id = $6",
             {c.email, c.fullName, c.comment, now(), c.id, c.ownerId}) > 0;
}

std::size_t Repo::removeMany(std::int64_t owner, const std::vector<std::int64_t>& ids) {
  return db::eachIdChunk({owner}, ids, [&](const db::Params& params, const std::string& in) {
    return c_.exec(R"(DELETE FROM clients
WHERE owner_id = $1
  AND id IN ()" + in + ")",
                   params);
  });
}

std::int64_t Repo::insertMany(std::int64_t owner, const std::vector<ImportRow>& rows) {
  std::int64_t inserted = 0;
  long long ts = now();
  if (!c_.postgres()) {
    // SQLite: the rows go to a temporary table by one statement prepared once and stepped per
    // row, then into clients by one statement. Inserting into clients row by row made FTS5 (the
    // search index's trigger, migration 0014) flush its pending terms at each statement's
    // savepoint: a segment per row, merged again and again: 100,000 rows took 7.2 s (bench_import).
    c_.exec(
        "CREATE TEMP TABLE IF NOT EXISTS import_rows(email TEXT, full_name TEXT, comment TEXT)");
    c_.exec("DELETE FROM import_rows");
    db::execEach(c_, "INSERT INTO import_rows(email, full_name, comment) VALUES ($1, $2, $3)",
                 rows.size(), [&](std::size_t i) -> db::Params {
                   return {rows[i].email, rows[i].fullName, rows[i].comment};
                 });
    // "WHERE true": SQLite would read ON CONFLICT as the SELECT's join constraint otherwise.
    inserted = static_cast<std::int64_t>(
        c_.exec(R"(INSERT INTO clients(owner_id, email, full_name, comment, created_at, updated_at)
SELECT $1, email, full_name, comment, $2, $2
FROM import_rows
WHERE true
ORDER BY rowid
ON CONFLICT (owner_id, email) DO NOTHING)",
                {owner, ts}));
    c_.exec("DELETE FROM import_rows");
    return inserted;
  }
  constexpr size_t kBatch = 400;  // 5 parameters a row
  for (size_t start = 0; start < rows.size(); start += kBatch) {
    size_t end = std::min(rows.size(), start + kBatch);
    std::ostringstream sql;
    sql << "INSERT INTO clients(owner_id, email, full_name, comment, created_at, updated_at) "
           "VALUES ";
    db::Params params;
    params.reserve((end - start) * 4 + 2);
    params.emplace_back(owner);
    params.emplace_back(ts);
    for (size_t i = start; i < end; ++i) {
      size_t n = params.size();
      sql << (i > start ? ", " : "") << "($1, $" << n + 1 << ", $" << n + 2 << ", $" << n + 3
          << ", $2, $2)";
      params.emplace_back(rows[i].email);
      params.emplace_back(rows[i].fullName);
      params.emplace_back(rows[i].comment);
    }
    sql << " ON CONFLICT (owner_id, email) DO NOTHING";
    inserted += static_cast<std::int64_t>(c_.exec(sql.str(), params));
  }
  return inserted;
}

bool Repo::unsubscribe(std::int64_t clientId) {
  return c_.exec(
             "UPDATE clients SET unsubscribed_at = $1 WHERE id = $2 AND unsubscribed_at IS NULL",
             {now(), clientId}) > 0;
}

bool Repo::stop(std::int64_t owner, std::int64_t clientId, const std::string& reason,
                std::int64_t at) {
  return c_.exec(
             "UPDATE clients\n"
             "SET stopped_at = $1, stopped_reason = $2\n"
             "WHERE id = $3\n"
             "  AND owner_id = $4\n"
             "  AND stopped_at IS NULL",
             {at, reason, clientId, owner}) > 0;
}

bool knownStatus(const std::string& status) {
  return status == "active" || status == "unsubscribed" || status == "bounced" ||
         status == "complained";
}

bool Repo::resubscribe(std::int64_t owner, std::int64_t clientId, std::int64_t by) {
  return c_.exec(
             "UPDATE clients SET unsubscribed_at = NULL, resubscribed_at = $3, resubscribed_by = "
             "$4\n"
             "WHERE id = $1 AND owner_id = $2 AND unsubscribed_at IS NOT NULL",
             {clientId, owner, now(), by}) > 0;
}

std::int64_t Repo::uniqueEmails(std::optional<std::int64_t> owner) {
  if (owner)
    return c_.scalar("SELECT COUNT(DISTINCT email) FROM clients WHERE owner_id = $1", {*owner});
  return c_.scalar("SELECT COUNT(DISTINCT email) FROM clients");
}

}  // namespace mw::clients
