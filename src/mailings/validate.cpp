#include "mailings/validate.h"

#include "core/schedule.h"
#include "web/form.h"

namespace mw::mailings {

std::map<std::string, std::string> validate(const Mailing& m, std::int64_t now) {
  std::map<std::string, std::string> e;
  if (m.name.empty())
    e["name"] = "error_required";
  else if (web::utf8Length(m.name) > 200)
    e["name"] = "error_too_long";
  if (m.messageId <= 0) e["message_id"] = "error_message_choose";
  if (!m.hasAudience()) e["client_ids"] = "error_clients_choose";
  if (!parsePeriodicity(m.periodicity)) e["periodicity"] = "error_periodicity";
  if (m.endAt && m.id == 0 && now > 0 && *m.endAt <= now)
    e["end_at"] = "error_end_in_past";
  else if (m.endAt && *m.endAt <= m.startAt)
    e["end_at"] = "error_end_before_start";
  return e;
}

}  // namespace mw::mailings
