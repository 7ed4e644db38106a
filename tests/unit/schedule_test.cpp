// Occurrences of periodic mailings in the owner's wall clock.
#include "core/schedule.h"

#include <gtest/gtest.h>

namespace mw {
namespace {

std::int64_t utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

// TimeZone::get caches zones for the process, so the reference stays valid.
const TimeZone& zone(const std::string& name) {
  auto tz = TimeZone::get(name);
  if (!tz) throw std::runtime_error("no zone " + name);
  return *tz;
}

LocalDateTime local(std::int64_t t, const std::string& tz) {
  return toLocal(t, zone(tz));
}

TEST(Periodicity, ParseAndName) {
  EXPECT_EQ(parsePeriodicity("once"), Periodicity::Once);
  EXPECT_EQ(parsePeriodicity("daily"), Periodicity::Daily);
  EXPECT_EQ(parsePeriodicity("weekly"), Periodicity::Weekly);
  EXPECT_EQ(parsePeriodicity("monthly"), Periodicity::Monthly);
  EXPECT_FALSE(parsePeriodicity("yearly"));
  EXPECT_FALSE(parsePeriodicity("Daily"));
  EXPECT_FALSE(parsePeriodicity(""));
  for (auto p : {Periodicity::Once, Periodicity::Daily, Periodicity::Weekly, Periodicity::Monthly})
    EXPECT_EQ(parsePeriodicity(toString(p)), p);
}

TEST(Schedule, OnceHasOneOccurrence) {
  const auto& msk = zone("Europe/Moscow");
  std::int64_t start = utc(2026, 5, 1, 6);
  EXPECT_EQ(occurrence(start, Periodicity::Once, 0, msk), start);
  EXPECT_EQ(occurrence(start, Periodicity::Once, 5, msk), start);
  EXPECT_EQ(nextOccurrenceAfter(start, Periodicity::Once, std::nullopt, start - 1, msk), start);
  EXPECT_FALSE(nextOccurrenceAfter(start, Periodicity::Once, std::nullopt, start, msk));
  EXPECT_EQ(latestDueOccurrence(start, Periodicity::Once, std::nullopt, start + 86400 * 400, msk),
            start);
  EXPECT_FALSE(latestDueOccurrence(start, Periodicity::Once, std::nullopt, start - 1, msk));
}

TEST(Schedule, DailyKeepsTheWallClockAcrossDst) {
  const auto& ny = zone("America/New_York");
  // 09:00 EST on 2026-03-07 (14:00 UTC); DST starts 2026-03-08.
  std::int64_t start = utc(2026, 3, 7, 14);
  EXPECT_EQ(occurrence(start, Periodicity::Daily, 0, ny), start);
  EXPECT_EQ(occurrence(start, Periodicity::Daily, 1, ny), utc(2026, 3, 8, 13));  // 09:00 EDT
  EXPECT_EQ(occurrence(start, Periodicity::Daily, 2, ny), utc(2026, 3, 9, 13));
  for (int n = 0; n < 400; n += 37) {
    auto l = local(occurrence(start, Periodicity::Daily, n, ny), "America/New_York");
    EXPECT_EQ(l.hour, 9) << n;
    EXPECT_EQ(l.minute, 0) << n;
  }
  // Moscow has no DST: exactly 86400 s apart.
  const auto& msk = zone("Europe/Moscow");
  std::int64_t m0 = utc(2026, 1, 1, 6);  // 09:00 MSK
  EXPECT_EQ(occurrence(m0, Periodicity::Daily, 365, msk), m0 + 365 * 86400);
}

TEST(Schedule, WeeklyIsSevenCalendarDays) {
  const auto& msk = zone("Europe/Moscow");
  std::int64_t start = utc(2026, 11, 27, 7, 30);  // Friday 10:30 MSK
  EXPECT_EQ(occurrence(start, Periodicity::Weekly, 1, msk), utc(2026, 12, 4, 7, 30));
  EXPECT_EQ(occurrence(start, Periodicity::Weekly, 5, msk), utc(2027, 1, 1, 7, 30));
  const auto& ny = zone("America/New_York");
  std::int64_t s2 = utc(2026, 10, 26, 13);                                      // Monday 09:00 EDT
  EXPECT_EQ(occurrence(s2, Periodicity::Weekly, 1, ny), utc(2026, 11, 2, 14));  // 09:00 EST
}

TEST(Schedule, MonthlyIsCalendarMonthsNotThirtyDays) {
  const auto& msk = zone("Europe/Moscow");
  std::int64_t start = utc(2026, 1, 15, 9);  // 12:00 MSK on the 15th
  for (int n = 0; n < 24; ++n) {
    auto l = local(occurrence(start, Periodicity::Monthly, n, msk), "Europe/Moscow");
    EXPECT_EQ(l.day, 15) << n;
    EXPECT_EQ(l.hour, 12) << n;
    EXPECT_EQ(l.month, (n % 12) + 1) << n;
    EXPECT_EQ(l.year, 2026 + n / 12) << n;
  }
}

TEST(Schedule, MonthlyOnThe31stFallsOnTheLastDayOfShorterMonths) {
  const auto& msk = zone("Europe/Moscow");
  std::int64_t start = utc(2027, 1, 31, 7);  // 10:00 MSK, 31 Jan 2027
  // 2027 is not a leap year; 2028 is.
  const int expected[][3] = {{2027, 1, 31}, {2027, 2, 28},  {2027, 3, 31},  {2027, 4, 30},
                             {2027, 5, 31}, {2027, 6, 30},  {2027, 7, 31},  {2027, 8, 31},
                             {2027, 9, 30}, {2027, 10, 31}, {2027, 11, 30}, {2027, 12, 31},
                             {2028, 1, 31}, {2028, 2, 29},  {2028, 3, 31},  {2028, 4, 30}};
  for (int n = 0; n < 16; ++n) {
    std::int64_t t = occurrence(start, Periodicity::Monthly, n, msk);
    auto l = local(t, "Europe/Moscow");
    EXPECT_EQ(l.year, expected[n][0]) << n;
    EXPECT_EQ(l.month, expected[n][1]) << n;
    EXPECT_EQ(l.day, expected[n][2]) << n;
    EXPECT_EQ(l.hour, 10) << n;
  }
  // The 31st does not drift to the 28th after February.
  EXPECT_EQ(occurrence(start, Periodicity::Monthly, 2, msk), utc(2027, 3, 31, 7));
  // A 30th in a leap year: February 29.
  std::int64_t s30 = utc(2028, 1, 30, 7);
  EXPECT_EQ(occurrence(s30, Periodicity::Monthly, 1, msk), utc(2028, 2, 29, 7));
  EXPECT_EQ(occurrence(s30, Periodicity::Monthly, 2, msk), utc(2028, 3, 30, 7));
  // Century rule: 2100 is not a leap year.
  std::int64_t s2100 = utc(2100, 1, 31, 0);
  EXPECT_EQ(occurrence(s2100, Periodicity::Monthly, 1, zone("UTC")), utc(2100, 2, 28));
}

TEST(Schedule, NextOccurrenceAfter) {
  const auto& msk = zone("Europe/Moscow");
  std::int64_t start = utc(2026, 1, 31, 7);
  // Strictly after.
  EXPECT_EQ(nextOccurrenceAfter(start, Periodicity::Monthly, std::nullopt, start, msk),
            utc(2026, 2, 28, 7));
  EXPECT_EQ(nextOccurrenceAfter(start, Periodicity::Monthly, std::nullopt, start - 1, msk), start);
  EXPECT_EQ(nextOccurrenceAfter(start, Periodicity::Daily, std::nullopt, utc(2026, 6, 10, 7), msk),
            utc(2026, 6, 11, 7));
  EXPECT_EQ(
      nextOccurrenceAfter(start, Periodicity::Daily, std::nullopt, utc(2026, 6, 10, 6, 59), msk),
      utc(2026, 6, 10, 7));
  // Long after the start (the estimate must not skip one).
  EXPECT_EQ(
      nextOccurrenceAfter(start, Periodicity::Monthly, std::nullopt, utc(2030, 4, 30, 8), msk),
      utc(2030, 5, 31, 7));
  EXPECT_EQ(nextOccurrenceAfter(start, Periodicity::Weekly, std::nullopt, utc(2026, 12, 31), msk),
            utc(2027, 1, 2, 7));  // 2026-01-31 was a Saturday
}

TEST(Schedule, EndBound) {
  const auto& msk = zone("Europe/Moscow");
  std::int64_t start = utc(2026, 1, 1, 6);
  std::int64_t end = utc(2026, 1, 5, 6);  // the 5th occurrence exactly at the end still counts
  EXPECT_EQ(nextOccurrenceAfter(start, Periodicity::Daily, end, utc(2026, 1, 4, 12), msk), end);
  EXPECT_FALSE(nextOccurrenceAfter(start, Periodicity::Daily, end, end, msk));
  EXPECT_FALSE(nextOccurrenceAfter(start, Periodicity::Daily, end - 1, utc(2026, 1, 4, 12), msk));
  // A once mailing whose start is after the end never runs.
  EXPECT_FALSE(nextOccurrenceAfter(start, Periodicity::Once, start - 1, start - 10, msk));
  EXPECT_FALSE(latestDueOccurrence(start, Periodicity::Once, start - 1, start + 10, msk));
}

TEST(Schedule, LatestDueOccurrence) {
  const auto& msk = zone("Europe/Moscow");
  std::int64_t start = utc(2026, 1, 31, 7);
  EXPECT_FALSE(latestDueOccurrence(start, Periodicity::Daily, std::nullopt, start - 1, msk));
  EXPECT_EQ(latestDueOccurrence(start, Periodicity::Daily, std::nullopt, start, msk), start);
  // A scheduler that wakes up late owes the latest occurrence, not a skipped run.
  EXPECT_EQ(
      latestDueOccurrence(start, Periodicity::Daily, std::nullopt, utc(2026, 3, 3, 7, 0, 59), msk),
      utc(2026, 3, 3, 7));
  EXPECT_EQ(
      latestDueOccurrence(start, Periodicity::Daily, std::nullopt, utc(2026, 3, 3, 6, 59), msk),
      utc(2026, 3, 2, 7));
  EXPECT_EQ(latestDueOccurrence(start, Periodicity::Monthly, std::nullopt, utc(2026, 3, 15), msk),
            utc(2026, 2, 28, 7));
  EXPECT_EQ(latestDueOccurrence(start, Periodicity::Monthly, std::nullopt, utc(2026, 4, 1), msk),
            utc(2026, 3, 31, 7));
  EXPECT_EQ(latestDueOccurrence(start, Periodicity::Weekly, std::nullopt, utc(2026, 2, 8), msk),
            utc(2026, 2, 7, 7));
  // Capped by the end.
  std::int64_t end = utc(2026, 2, 10);
  EXPECT_EQ(latestDueOccurrence(start, Periodicity::Daily, end, utc(2026, 12, 1), msk),
            utc(2026, 2, 9, 7));
  EXPECT_EQ(latestDueOccurrence(start, Periodicity::Monthly, end, utc(2026, 12, 1), msk),
            utc(2026, 1, 31, 7));
  // Years later, through the estimate.
  EXPECT_EQ(latestDueOccurrence(start, Periodicity::Monthly, std::nullopt, utc(2031, 3, 1), msk),
            utc(2031, 2, 28, 7));
}

}  // namespace
}  // namespace mw
