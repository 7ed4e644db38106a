#include "clients/groups.h"

#include "core/db_each.h"

#include <algorithm>
#include <ctime>
#include <functional>
#include <set>
#include <sstream>

namespace mw::clients {
namespace {

constexpr const char* kCols =
    "g.id, g.owner_id, g.name, g.description, g.created_at, g.updated_at,\n"
    "  COALESCE((SELECT members FROM group_counts n WHERE n.group_id = g.id), 0) AS clients_count";

Group fromRow(const db::Row& r) {
  Group g;
  g.id = r["id"].i();
  g.ownerId = r["owner_id"].i();
  g.name = r["name"].s();
  g.description = r["description"].s();
  g.clientsCount = r["clients_count"].i();
  g.createdAt = r["created_at"].i();
  g.updatedAt = r["updated_at"].i();
  return g;
}

long long now() {
  return static_cast<long long>(std::time(nullptr));
}

// Calls f with "$k, $k+1, ..." placeholders and params (prefix + a chunk of distinct ids), 500
// ids at a time to stay well under SQLite's parameter limit; sums what f returns.
std::int64_t eachChunk(
    const db::Params& prefix, const std::vector<std::int64_t>& ids,
    const std::function<std::int64_t(const std::string&, const db::Params&)>& f) {
  std::set<std::int64_t> distinct(ids.begin(), ids.end());
  std::vector<std::int64_t> v(distinct.begin(), distinct.end());
  std::int64_t sum = 0;
  for (size_t start = 0; start < v.size(); start += 500) {
    size_t end = std::min(v.size(), start + 500);
    db::Params params = prefix;
    std::ostringstream in;
    for (size_t i = start; i < end; ++i) {
      params.emplace_back(static_cast<long long>(v[i]));
      in << (i > start ? ", " : "") << "$" << params.size();
    }
    sum += f(in.str(), params);
  }
  return sum;
}

}  // namespace

void GroupRepo::addByEmails(std::int64_t owner, std::int64_t group,
                            const std::vector<std::string>& emails) {
  const std::string head =
      "INSERT INTO client_group_members(group_id, client_id)\n"
      "SELECT $2, id FROM clients\n"
      "WHERE EXISTS (SELECT 1 FROM client_groups WHERE id = $2 AND owner_id = $1)\n"
      "  AND owner_id = $1 AND email ";
  const std::string tail = "\nON CONFLICT (group_id, client_id) DO NOTHING";
  if (!c_.postgres()) {
    db::execEach(c_, head + "= $3" + tail, emails.size(), [&](std::size_t i) -> db::Params {
      return {owner, group, emails[i]};
    });
    return;
  }
  for (size_t start = 0; start < emails.size(); start += 500) {
    size_t end = std::min(emails.size(), start + 500);
    db::Params params{owner, group};
    std::ostringstream in;
    for (size_t i = start; i < end; ++i) {
      params.emplace_back(emails[i]);
      in << (i > start ? ", " : "") << "$" << params.size();
    }
    c_.exec(head + "IN (" + in.str() + ")" + tail, params);
  }
}

// Both statements take the list's own filter (filterSql), so they act on exactly the clients
// the list shows, by the same indexes; the group is $6, checked to be the owner's in the query.
std::int64_t GroupRepo::addMatching(std::int64_t owner, std::int64_t group, const ClientFilter& f) {
  auto m = filterSql(c_, owner, f);
  m.params.emplace_back(static_cast<long long>(group));
  return static_cast<std::int64_t>(c_.exec(R"(INSERT INTO client_group_members(group_id, client_id)
SELECT $6, clients.id
)" + m.from + R"(  AND EXISTS (SELECT 1 FROM client_groups WHERE id = $6 AND owner_id = $1)
ON CONFLICT (group_id, client_id) DO NOTHING)",
                                           m.params));
}

std::int64_t GroupRepo::removeMatching(std::int64_t owner, std::int64_t group,
                                       const ClientFilter& f) {
  auto m = filterSql(c_, owner, f);
  m.params.emplace_back(static_cast<long long>(group));
  return static_cast<std::int64_t>(c_.exec(R"(DELETE FROM client_group_members
WHERE group_id IN (SELECT id FROM client_groups WHERE owner_id = $1 AND id = $6)
  AND client_id IN (SELECT clients.id
)" + m.from + ")",
                                           m.params));
}

std::optional<Group> GroupRepo::get(std::int64_t owner, std::int64_t id) {
  auto r = c_.one(std::string("SELECT ") + kCols +
                      "\nFROM client_groups g\n"
                      "WHERE g.id = $1 AND g.owner_id = $2",
                  {id, owner});
  if (!r) return std::nullopt;
  return fromRow(*r);
}

std::vector<Group> GroupRepo::list(std::int64_t owner, int offset, int limit) {
  std::vector<Group> out;
  for (const auto& r : c_.query(std::string("SELECT ") + kCols +
                                    "\nFROM client_groups g\n"
                                    "WHERE g.owner_id = $1\n"
                                    "ORDER BY g.name, g.id\n"
                                    "LIMIT $2 OFFSET $3",
                                {owner, limit, offset}))
    out.push_back(fromRow(r));
  return out;
}

std::int64_t GroupRepo::count(std::int64_t owner) {
  return c_.scalar("SELECT COUNT(*) FROM client_groups WHERE owner_id = $1", {owner});
}

bool GroupRepo::nameTaken(std::int64_t owner, const std::string& name, std::int64_t exceptId) {
  return c_.scalar(
             "SELECT COUNT(*) FROM client_groups\n"
             "WHERE owner_id = $1 AND LOWER(name) = LOWER($2) AND id <> $3",
             {owner, name, exceptId}) > 0;
}

std::int64_t GroupRepo::create(const Group& g) {
  return c_.insert(
      "INSERT INTO client_groups(owner_id, name, description, created_at, updated_at)\n"
      "VALUES ($1, $2, $3, $4, $4)\n"
      "RETURNING id",
      {g.ownerId, g.name, g.description, now()});
}

bool GroupRepo::update(const Group& g) {
  return c_.exec(
             "UPDATE client_groups SET name = $1, description = $2, updated_at = $3\n"
             "WHERE id = $4 AND owner_id = $5",
             {g.name, g.description, now(), g.id, g.ownerId}) > 0;
}

bool GroupRepo::remove(std::int64_t owner, std::int64_t id) {
  return c_.exec("DELETE FROM client_groups WHERE id = $1 AND owner_id = $2", {id, owner}) > 0;
}

std::int64_t GroupRepo::ownedClients(std::int64_t owner, const std::vector<std::int64_t>& ids) {
  return eachChunk({owner}, ids, [&](const std::string& in, const db::Params& p) {
    return c_.scalar("SELECT COUNT(*) FROM clients\nWHERE owner_id = $1 AND id IN (" + in + ")", p);
  });
}

std::int64_t GroupRepo::addMembers(std::int64_t owner, std::int64_t group,
                                   const std::vector<std::int64_t>& ids) {
  return eachChunk({owner, group}, ids, [&](const std::string& in, const db::Params& p) {
    return static_cast<std::int64_t>(
        c_.exec("INSERT INTO client_group_members(group_id, client_id)\n"
                "SELECT g.id, c.id\n"
                "FROM client_groups g\n"
                "JOIN clients c ON c.owner_id = g.owner_id\n"
                "WHERE g.owner_id = $1 AND g.id = $2 AND c.id IN (" +
                    in +
                    ")\n"
                    "ON CONFLICT (group_id, client_id) DO NOTHING",
                p));
  });
}

std::int64_t GroupRepo::removeMembers(std::int64_t owner, std::int64_t group,
                                      const std::vector<std::int64_t>& ids) {
  return eachChunk({owner, group}, ids, [&](const std::string& in, const db::Params& p) {
    return static_cast<std::int64_t>(
        c_.exec("DELETE FROM client_group_members\n"
                "WHERE group_id IN (SELECT id FROM client_groups WHERE owner_id = $1 AND id = $2)\n"
                "AND client_id IN (" +
                    in + ")",
                p));
  });
}

}  // namespace mw::clients
