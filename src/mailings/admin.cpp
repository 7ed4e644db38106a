#include "mailings/admin.h"

namespace mw::mailings {

std::vector<admin::Table> adminTables() {
  using admin::Type;
  admin::Table t;
  t.name = "mailings";
  t.labelKey = "admin_table_mailings";
  t.deletable = true;
  t.touch = "updated_at";
  // The schedule (start, end, periodicity, status, next run) stays with the mailing's own page,
  // which recomputes the next run; the admin edits the name and the active flag.
  t.columns = {
      {.name = "id", .type = Type::Int},
      {.name = "owner_id", .type = Type::Int, .ref = "users"},
      {.name = "name", .editable = true, .searchable = true, .required = true, .maxLength = 200},
      {.name = "message_id", .type = Type::Int, .listed = false, .ref = "messages"},
      {.name = "start_at", .type = Type::Time},
      {.name = "end_at", .type = Type::Time, .listed = false},
      {.name = "periodicity", .searchable = true, .valueKey = "period_"},
      {.name = "timezone", .listed = false},
      {.name = "status", .searchable = true, .valueKey = "status_"},
      {.name = "is_active", .type = Type::Bool, .editable = true},
      {.name = "last_run_at", .type = Type::Time, .listed = false},
      {.name = "next_run_at", .type = Type::Time, .listed = false},
      {.name = "created_at", .type = Type::Time, .listed = false},
      {.name = "updated_at", .type = Type::Time, .listed = false},
  };

  admin::Table recipients;
  recipients.name = "mailing_clients";
  recipients.labelKey = "admin_table_mailing_clients";
  recipients.keyed = false;
  recipients.orderBy = "mailing_id DESC, client_id DESC";
  recipients.columns = {{.name = "mailing_id", .type = Type::Int, .ref = "mailings"},
                        {.name = "client_id", .type = Type::Int, .ref = "clients"}};
  return {t, recipients};
}

}  // namespace mw::mailings
