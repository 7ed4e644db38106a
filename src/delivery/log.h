// The attempt log read for people: its pages and exports, and the reports' totals, per-mailing
// table and chart. All of it reads the attempts table (with mailings' names); the live counters
// of runs are in counters.cpp.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/db.h"
#include "delivery/queue.h"

namespace mw::delivery {

// Which attempts: one mailing's or an owner's, in [from, to), by outcome and address.
struct AttemptFilter {
  std::int64_t mailingId = 0;  // 0: every mailing (of the owner)
  std::int64_t ownerId = 0;    // 0: any owner (a manager reading one mailing's log)
  std::int64_t from = 0;       // UTC seconds, included; 0: from the first attempt
  std::int64_t to = 0;         // excluded; 0: no end
  std::string status;          // "" all, "success", "failure" (final) or "retry" (tried again)
  std::string email;           // a part of the address, any case; "" for all
};

struct MailingTotals {
  std::int64_t mailingId = 0;
  std::string name;
  std::int64_t attempts = 0, success = 0, failure = 0;
};

// Columns the per-mailing table sorts by.
bool validMailingSort(const std::string& column);  // name, attempts, success, failure, rate

class AttemptLog {
 public:
  explicit AttemptLog(db::Conn& c) : c_(c) {}

  // Newest first, a page of the log (test sends included, marked by the log's reply).
  std::vector<AttemptRow> page(const AttemptFilter& f, int offset, int limit);
  // The rows older than `after` (the last row of the previous chunk), for exports: a keyset on
  // (at, id), so each chunk of a million-row log costs the same.
  std::vector<AttemptRow> chunk(const AttemptFilter& f, const AttemptRow* after, int limit);
  // The count, stopping at `cap` (the pager shows "10000+").
  std::int64_t countUpTo(const AttemptFilter& f, std::int64_t cap);

  // Statistics over the filter's mailing, owner and period; test sends never count.
  Stats totals(const AttemptFilter& f);
  std::vector<MailingTotals> byMailing(const AttemptFilter& f, const std::string& sort,
                                       bool descending, int limit);
  // Successes and failures per bucket of `bucketSeconds`, from the epoch (UTC).
  std::vector<SeriesPoint> series(const AttemptFilter& f, std::int64_t bucketSeconds);

 private:
  db::Conn& c_;
};

}  // namespace mw::delivery
