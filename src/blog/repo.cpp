#include "blog/repo.h"

#include <ctime>

namespace mw::blog {
namespace {

constexpr const char* kCols =
    "id, COALESCE(author_id, 0) AS author_id, title, content, image, views, is_published, "
    "published_at, created_at, updated_at";

Article fromRow(const db::Row& r) {
  Article a;
  a.id = r["id"].i();
  a.authorId = r["author_id"].i();
  a.title = r["title"].s();
  a.content = r["content"].s();
  a.image = r["image"].s();
  a.views = r["views"].i();
  a.published = r["is_published"].b();
  a.publishedAt = r["published_at"].opt();
  a.createdAt = r["created_at"].i();
  a.updatedAt = r["updated_at"].i();
  return a;
}

long long now() {
  return static_cast<long long>(std::time(nullptr));
}

}  // namespace

std::optional<Article> Repo::get(std::int64_t id, bool includeDrafts) {
  auto r = c_.one(std::string("SELECT ") + kCols +
                      " FROM articles WHERE id = $1 AND ($2 = 1 OR is_published = 1)",
                  {id, includeDrafts});
  if (!r) return std::nullopt;
  return fromRow(*r);
}

std::vector<Article> Repo::list(bool includeDrafts, int offset, int limit) {
  std::vector<Article> out;
  for (const auto& r : c_.query(std::string("SELECT ") + kCols +
                                    " FROM articles WHERE ($1 = 1 OR is_published = 1) ORDER BY "
                                    "COALESCE(published_at, created_at) DESC, id DESC LIMIT $2 "
                                    "OFFSET $3",
                                {includeDrafts, limit, offset}))
    out.push_back(fromRow(r));
  return out;
}

std::int64_t Repo::count(bool includeDrafts) {
  return c_.scalar("SELECT COUNT(*) FROM articles WHERE ($1 = 1 OR is_published = 1)",
                   {includeDrafts});
}

std::vector<Article> Repo::randomPublished(int n) {
  std::vector<Article> out;
  for (const auto& r : c_.query(std::string("SELECT ") + kCols +
                                    " FROM articles WHERE is_published = 1 ORDER BY RANDOM() "
                                    "LIMIT $1",
                                {n}))
    out.push_back(fromRow(r));
  return out;
}

std::int64_t Repo::create(const Article& a) {
  return c_.insert(
      "INSERT INTO articles(author_id, title, content, image, is_published, published_at, "
      "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
      {a.authorId ? db::Param(a.authorId) : db::Param(nullptr), a.title, a.content, a.image,
       a.published, a.publishedAt, now()});
}

bool Repo::update(const Article& a) {
  return c_.exec(
             "UPDATE articles SET title = $1, content = $2, image = $3, is_published = $4, "
             "published_at = $5, updated_at = $6 WHERE id = $7",
             {a.title, a.content, a.image, a.published, a.publishedAt, now(), a.id}) > 0;
}

bool Repo::remove(std::int64_t id) {
  return c_.exec("DELETE FROM articles WHERE id = $1", {id}) > 0;
}

std::int64_t Repo::addView(std::int64_t id) {
  auto r = c_.one(
      "UPDATE articles SET views = views + 1 WHERE id = $1 AND is_published = 1 RETURNING views",
      {id});
  return r ? (*r)[0].i() : 0;
}

std::int64_t Repo::addVisitorView(std::int64_t id, const std::string& visitor, std::int64_t day) {
  auto published = c_.one(
      "SELECT views FROM articles "
      "WHERE id = $1 AND is_published = 1",
      {id});
  if (!published) return 0;
  std::size_t fresh = c_.exec(
      "INSERT INTO article_views(article_id, visitor, day) "
      "VALUES ($1, $2, $3) "
      "ON CONFLICT DO NOTHING",
      {id, visitor, day});
  if (!fresh) return (*published)[0].i();
  return addView(id);
}

std::int64_t Repo::saveContact(const std::string& name, const std::string& email,
                               const std::string& message, const std::string& ip,
                               std::optional<std::int64_t> userId) {
  return c_.insert(
      "INSERT INTO contact_messages(name, email, message, ip, user_id, created_at) VALUES ($1, "
      "$2, $3, $4, $5, $6) RETURNING id",
      {name, email, message, ip, userId, now()});
}

void Repo::markContactMailed(std::int64_t id) {
  c_.exec("UPDATE contact_messages SET mailed = 1 WHERE id = $1", {id});
}

int Repo::recentContacts(const std::string& ip, std::int64_t since) {
  return static_cast<int>(c_.scalar(
      "SELECT COUNT(*) FROM contact_messages WHERE ip = $1 AND created_at >= $2", {ip, since}));
}

}  // namespace mw::blog
