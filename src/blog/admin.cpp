#include "blog/admin.h"

#include "web/platform.h"

namespace mw::blog {

std::vector<admin::Table> adminTables() {
  using admin::Type;
  admin::Table articles;
  articles.name = "articles";
  articles.labelKey = "admin_table_articles";
  articles.deletable = true;
  articles.touch = "updated_at";
  articles.columns = {
      {.name = "id", .type = Type::Int},
      {.name = "author_id", .type = Type::Int, .listed = false, .ref = "users"},
      {.name = "title", .editable = true, .searchable = true, .required = true, .maxLength = 200},
      {.name = "content",
       .type = Type::Multiline,
       .editable = true,
       .searchable = true,
       .listed = false,
       .maxLength = 200000},
      {.name = "image", .listed = false},
      {.name = "views", .type = Type::Int, .editable = true, .min = 0},
      {.name = "is_published", .type = Type::Bool, .editable = true},
      {.name = "published_at", .type = Type::Time, .editable = true, .nullable = true},
      {.name = "created_at", .type = Type::Time, .listed = false},
      {.name = "updated_at", .type = Type::Time, .listed = false},
  };
  // Lists and articles are cached for visitors.
  articles.committed = [](web::Platform& p, std::int64_t) { p.cache->bump("blog"); };

  admin::Table contact;
  contact.name = "contact_messages";
  contact.labelKey = "admin_table_contact_messages";
  contact.deletable = true;
  contact.columns = {
      {.name = "id", .type = Type::Int},
      {.name = "name", .editable = true, .searchable = true, .required = true, .maxLength = 150},
      {.name = "email",
       .type = Type::Email,
       .editable = true,
       .searchable = true,
       .required = true,
       .maxLength = 254},
      {.name = "message",
       .type = Type::Multiline,
       .editable = true,
       .searchable = true,
       .required = true,
       .maxLength = 5000},
      {.name = "ip", .searchable = true, .listed = false},
      {.name = "user_id", .type = Type::Int, .listed = false, .ref = "users"},
      {.name = "mailed", .type = Type::Bool},
      {.name = "created_at", .type = Type::Time},
  };
  return {articles, contact};
}

}  // namespace mw::blog
