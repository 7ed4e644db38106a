#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mw {

// All stored times are UTC epoch seconds; zones only matter for showing and reading them.
struct LocalDateTime {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
};

std::int64_t nowEpoch();
std::int64_t daysFromCivil(int y, int m, int d);
void civilFromDays(std::int64_t days, int& y, int& m, int& d);  // the inverse
int daysInMonth(int year, int month);

// An IANA zone read from the system's TZif files (v2+, with the POSIX rule for the future).
class TimeZone {
 public:
  // nullptr for unknown names; "UTC" always works. Cached for the process.
  static std::shared_ptr<const TimeZone> get(const std::string& name);
  int offsetAt(std::int64_t utc) const;  // seconds east of UTC
  // Local wall time to UTC: a time in a DST gap moves forward, an ambiguous one takes the earlier.
  std::int64_t toUtc(const LocalDateTime& local) const;
  const std::string& name() const { return name_; }

  struct Rule;  // parsed POSIX TZ footer

 private:
  std::string name_;
  std::vector<std::int64_t> transitions_;
  std::vector<int> transitionOffsets_;
  int initialOffset_ = 0;
  std::shared_ptr<Rule> rule_;
  friend std::shared_ptr<TimeZone> loadZone(const std::string& name);
};

LocalDateTime toLocal(std::int64_t utc, const TimeZone& tz);
std::vector<std::string> commonTimeZones();

std::string formatIso8601(std::int64_t utc, const TimeZone& tz);  // 2026-11-24T15:04:05+03:00
std::optional<std::int64_t> parseIso8601(std::string_view text);  // needs Z or an offset
std::optional<LocalDateTime> parseLocalDateTime(std::string_view text);  // datetime-local input
std::string formatLocalInput(std::int64_t utc, const TimeZone& tz);      // YYYY-MM-DDTHH:MM
std::string formatHuman(std::int64_t utc, const TimeZone& tz);           // 24.11.2026 15:04
std::string rfc5322Date(std::int64_t utc);  // Tue, 24 Nov 2026 12:04:05 +0000

}  // namespace mw
