#include "delivery/admin.h"

namespace mw::delivery {

// The delivery log is evidence of what was sent: browsable and searchable, never edited.
std::vector<admin::Table> adminTables() {
  using admin::Type;
  admin::Table runs;
  runs.name = "runs";
  runs.labelKey = "admin_table_runs";
  runs.columns = {{.name = "id", .type = Type::Int},
                  {.name = "mailing_id", .type = Type::Int, .ref = "mailings"},
                  {.name = "owner_id", .type = Type::Int, .ref = "users"},
                  {.name = "trigger", .searchable = true, .valueKey = "trigger_"},
                  {.name = "occurrence_at", .type = Type::Time, .listed = false},
                  {.name = "total", .type = Type::Int},
                  {.name = "created_at", .type = Type::Time},
                  {.name = "finished_at", .type = Type::Time}};

  admin::Table deliveries;
  deliveries.name = "deliveries";
  deliveries.labelKey = "admin_table_deliveries";
  deliveries.columns = {{.name = "id", .type = Type::Int},
                        {.name = "run_id", .type = Type::Int, .ref = "runs"},
                        {.name = "mailing_id", .type = Type::Int, .ref = "mailings"},
                        {.name = "owner_id", .type = Type::Int, .listed = false, .ref = "users"},
                        {.name = "client_id", .type = Type::Int, .listed = false, .ref = "clients"},
                        {.name = "email", .searchable = true},
                        {.name = "name", .searchable = true, .listed = false},
                        {.name = "status", .searchable = true, .valueKey = "delivery_status_"},
                        {.name = "attempts", .type = Type::Int},
                        {.name = "next_attempt_at", .type = Type::Time, .listed = false},
                        {.name = "claimed_by", .listed = false},
                        {.name = "claimed_at", .type = Type::Time, .listed = false},
                        {.name = "message_id", .searchable = true, .listed = false},
                        {.name = "done_at", .type = Type::Time}};

  admin::Table attempts;
  attempts.name = "attempts";
  attempts.labelKey = "admin_table_attempts";
  attempts.columns = {
      {.name = "id", .type = Type::Int},
      {.name = "delivery_id", .type = Type::Int, .listed = false, .ref = "deliveries"},
      {.name = "run_id", .type = Type::Int, .listed = false, .ref = "runs"},
      {.name = "mailing_id", .type = Type::Int, .ref = "mailings"},
      {.name = "owner_id", .type = Type::Int, .listed = false, .ref = "users"},
      {.name = "client_id", .type = Type::Int, .listed = false, .ref = "clients"},
      {.name = "email", .searchable = true},
      {.name = "at", .type = Type::Time},
      {.name = "status", .searchable = true, .valueKey = "attempt_"},
      {.name = "code", .type = Type::Int},
      {.name = "reply", .searchable = true},
      {.name = "final", .type = Type::Bool, .listed = false}};
  return {runs, deliveries, attempts};
}

}  // namespace mw::delivery
