// What a report page was asked for (period, log filters, table order), and the page parts built
// from it: the filter form, the per-mailing table, rates.
#pragma once
#include <string>
#include <vector>

#include "delivery/log.h"
#include "web/context.h"
#include "web/period.h"

namespace mw::delivery {

struct LogQuery {
  web::Period period;
  std::string status;  // "", success, failure, retry
  std::string email;   // a part of the address
  std::string sort = "attempts";
  bool descending = true;

  // The period's attempts of a mailing (0: all) of an owner (0: any); then with the log's filters.
  AttemptFilter filter(std::int64_t mailing, std::int64_t owner) const;
  AttemptFilter logFilter(AttemptFilter f) const;
  // path?<period>&status=&email=&sort=&dir=, with what is set.
  std::string link(const std::string& path) const;
  std::string link(const std::string& path, const std::string& periodQuery,
                   const std::string& sortColumn, bool desc) const;
};

LogQuery readQuery(const web::Ctx& ctx, const std::string& fallback, bool allowAll);
// The presets, the custom days with their errors, status and address, the export links.
web::Data filterForm(const web::Ctx& ctx, const LogQuery& q, const std::string& path,
                     const std::string& csvPath);
web::Data mailingTable(const web::Ctx& ctx, const LogQuery& q,
                       const std::vector<MailingTotals>& rows);
std::string rateText(const web::Ctx& ctx, std::int64_t part, std::int64_t whole);  // "95,2 %"
std::string periodText(const web::Ctx& ctx, const web::Period& p);  // "01.11.2026 — 30.11.2026"

}  // namespace mw::delivery
