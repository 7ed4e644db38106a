#include "messages/admin.h"

namespace mw::messages {

std::vector<admin::Table> adminTables() {
  using admin::Type;
  admin::Table t;
  t.name = "messages";
  t.labelKey = "admin_table_messages";
  t.deletable = true;  // refused while a mailing uses the message
  t.touch = "updated_at";
  t.columns = {
      {.name = "id", .type = Type::Int},
      {.name = "owner_id", .type = Type::Int, .ref = "users"},
      {.name = "subject", .editable = true, .searchable = true, .required = true, .maxLength = 250},
      {.name = "body_text",
       .type = Type::Multiline,
       .editable = true,
       .searchable = true,
       .listed = false,
       .maxLength = 1000000},
      {.name = "body_html",
       .type = Type::Multiline,
       .editable = true,
       .listed = false,
       .maxLength = 1000000},
      {.name = "is_shared", .type = Type::Bool, .editable = true},
      {.name = "created_at", .type = Type::Time, .listed = false},
      {.name = "updated_at", .type = Type::Time},
  };
  return {t};
}

}  // namespace mw::messages
