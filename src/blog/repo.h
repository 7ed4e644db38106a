#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/db.h"

namespace mw::blog {

struct Article {
  std::int64_t id = 0;
  std::int64_t authorId = 0;
  std::string title;
  std::string content;
  std::string image;  // under uploads/, "" when none
  std::int64_t views = 0;
  bool published = false;
  std::optional<std::int64_t> publishedAt;
  std::int64_t createdAt = 0;
  std::int64_t updatedAt = 0;
};

// All SQL of the blog: articles and contact messages.
class Repo {
 public:
  explicit Repo(db::Conn& c) : c_(c) {}
  std::optional<Article> get(std::int64_t id, bool includeDrafts);
  std::vector<Article> list(bool includeDrafts, int offset, int limit);
  std::int64_t count(bool includeDrafts);
  std::vector<Article> randomPublished(int n);
  std::int64_t create(const Article& a);
  bool update(const Article& a);
  bool remove(std::int64_t id);
  // Counts one view atomically and returns the new total (0 when no such published article).
  std::int64_t addView(std::int64_t id);
  // Counts a view of a published article unless this visitor was already counted on that day;
  // returns the article's views after it (0 when the article is not published).
  std::int64_t addVisitorView(std::int64_t id, const std::string& visitor, std::int64_t day);

  std::int64_t saveContact(const std::string& name, const std::string& email,
                           const std::string& message, const std::string& ip,
                           std::optional<std::int64_t> userId);
  void markContactMailed(std::int64_t id);
  int recentContacts(const std::string& ip, std::int64_t since);

 private:
  db::Conn& c_;
};

}  // namespace mw::blog
