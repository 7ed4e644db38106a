#include "messages/repo.h"

#include <ctime>

namespace mw::messages {
namespace {

constexpr const char* kCols =
    "m.id, m.owner_id, m.subject, m.body_text, m.body_html, m.is_shared, m.created_at, "
    "m.updated_at";

Message fromRow(const db::Row& r) {
  Message m;
  m.id = r["id"].i();
  m.ownerId = r["owner_id"].i();
  m.subject = r["subject"].s();
  m.bodyText = r["body_text"].s();
  m.bodyHtml = r["body_html"].s();
  m.shared = r["is_shared"].b();
  m.createdAt = r["created_at"].i();
  m.updatedAt = r["updated_at"].i();
  return m;
}

std::vector<Message> many(const db::Rows& rows) {
  std::vector<Message> out;
  for (const auto& r : rows) out.push_back(fromRow(r));
  return out;
}

constexpr const char* kSearch =
    "($2 = '' OR LOWER(m.subject) LIKE LOWER($3) ESCAPE '\\' OR LOWER(m.body_text) LIKE LOWER($3) "
    "ESCAPE '\\')";

long long now() {
  return static_cast<long long>(std::time(nullptr));
}

}  // namespace

std::optional<Message> Repo::get(std::int64_t owner, std::int64_t id) {
  auto r = c_.one(
      std::string("SELECT ") + kCols + " FROM messages m WHERE m.id = $1 AND m.owner_id = $2",
      {id, owner});
  if (!r) return std::nullopt;
  return fromRow(*r);
}

std::optional<Message> Repo::readable(std::int64_t user, std::int64_t id) {
  auto r = c_.one(std::string("SELECT ") + kCols +
                      " FROM messages m WHERE m.id = $1 AND (m.owner_id = $2 OR m.is_shared = 1)",
                  {id, user});
  if (!r) return std::nullopt;
  return fromRow(*r);
}

std::vector<Message> Repo::list(std::int64_t owner, const std::string& search, int offset,
                                int limit) {
  return many(c_.query(std::string("SELECT ") + kCols +
                           " FROM messages m WHERE m.owner_id = $1 AND " + kSearch +
                           " ORDER BY m.id DESC LIMIT $4 OFFSET $5",
                       {owner, search, db::containsPattern(search), limit, offset}));
}

std::int64_t Repo::count(std::int64_t owner, const std::string& search) {
  return c_.scalar(
      std::string("SELECT COUNT(*) FROM messages m WHERE m.owner_id = $1 AND ") + kSearch,
      {owner, search, db::containsPattern(search)});
}

std::vector<Message> Repo::shared(std::int64_t exceptOwner, const std::string& search, int offset,
                                  int limit) {
  auto rows = c_.query(std::string("SELECT ") + kCols +
                           ", COALESCE(NULLIF(u.name, ''), u.email) AS owner_name FROM messages m "
                           "JOIN users u ON u.id = m.owner_id WHERE m.is_shared = 1 AND "
                           "m.owner_id <> $1 AND " +
                           kSearch + " ORDER BY m.id DESC LIMIT $4 OFFSET $5",
                       {exceptOwner, search, db::containsPattern(search), limit, offset});
  std::vector<Message> out;
  for (const auto& r : rows) {
    out.push_back(fromRow(r));
    out.back().ownerName = r["owner_name"].s();
  }
  return out;
}

std::int64_t Repo::countShared(std::int64_t exceptOwner, const std::string& search) {
  return c_.scalar(std::string("SELECT COUNT(*) FROM messages m WHERE m.is_shared = 1 AND "
                               "m.owner_id <> $1 AND ") +
                       kSearch,
                   {exceptOwner, search, db::containsPattern(search)});
}

std::vector<Message> Repo::all(std::int64_t owner) {
  return many(c_.query(
      std::string("SELECT ") + kCols + " FROM messages m WHERE m.owner_id = $1 ORDER BY m.subject",
      {owner}));
}

std::int64_t Repo::create(const Message& m) {
  return c_.insert(
      "INSERT INTO messages(owner_id, subject, body_text, body_html, is_shared, created_at, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
      {m.ownerId, m.subject, m.bodyText, m.bodyHtml, m.shared, now()});
}

bool Repo::update(const Message& m) {
  return c_.exec(
             "UPDATE messages SET subject = $1, body_text = $2, body_html = $3, is_shared = $4, "
             "updated_at = $5 WHERE id = $6 AND owner_id = $7",
             {m.subject, m.bodyText, m.bodyHtml, m.shared, now(), m.id, m.ownerId}) > 0;
}

bool Repo::remove(std::int64_t owner, std::int64_t id) {
  return c_.exec("DELETE FROM messages WHERE id = $1 AND owner_id = $2", {id, owner}) > 0;
}

std::optional<Message> Repo::byIdForDelivery(std::int64_t id) {
  auto r = c_.one(std::string("SELECT ") + kCols + " FROM messages m WHERE m.id = $1", {id});
  if (!r) return std::nullopt;
  return fromRow(*r);
}

}  // namespace mw::messages
