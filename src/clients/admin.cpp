#include "clients/admin.h"

namespace mw::clients {

std::vector<admin::Table> adminTables() {
  using admin::Type;
  admin::Table t;
  t.name = "clients";
  t.labelKey = "admin_table_clients";
  t.deletable = true;  // refused while a mailing lists the client
  t.touch = "updated_at";
  t.columns = {
      {.name = "id", .type = Type::Int},
      {.name = "owner_id", .type = Type::Int, .ref = "users"},
      {.name = "email",
       .type = Type::Email,
       .editable = true,
       .searchable = true,
       .required = true,
       .maxLength = 254,
       .uniqueWith = {"owner_id"},
       .unique = true},
      {.name = "full_name", .editable = true, .searchable = true, .maxLength = 200},
      {.name = "comment",
       .type = Type::Multiline,
       .editable = true,
       .searchable = true,
       .listed = false,
       .maxLength = 2000},
      // Clearing it subscribes the client again.
      {.name = "unsubscribed_at", .type = Type::Time, .editable = true, .nullable = true},
      {.name = "created_at", .type = Type::Time},
      {.name = "updated_at", .type = Type::Time, .listed = false},
  };
  return {t};
}

}  // namespace mw::clients
