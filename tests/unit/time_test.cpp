// Time zones from the system's TZif files, DST gaps and overlaps, ISO 8601.
#include "core/time.h"

#include <gtest/gtest.h>

namespace mw {
namespace {

std::int64_t utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

std::shared_ptr<const TimeZone> zone(const std::string& name) {
  auto tz = TimeZone::get(name);
  if (!tz) ADD_FAILURE() << "zone " << name << " not found in /usr/share/zoneinfo";
  return tz;
}

TEST(TimeZone, MoscowHistoryAndPresent) {
  auto msk = zone("Europe/Moscow");
  ASSERT_TRUE(msk);
  EXPECT_EQ(msk->name(), "Europe/Moscow");
  // Since 26 Oct 2014: UTC+3 all year.
  EXPECT_EQ(msk->offsetAt(utc(2026, 1, 15, 12)), 3 * 3600);
  EXPECT_EQ(msk->offsetAt(utc(2026, 7, 15, 12)), 3 * 3600);
  EXPECT_EQ(msk->offsetAt(utc(2045, 7, 15, 12)), 3 * 3600);  // past the table: the footer rule
  // 2011-2014: UTC+4 all year ("permanent summer time").
  EXPECT_EQ(msk->offsetAt(utc(2013, 1, 15, 12)), 4 * 3600);
  // 2010: winter UTC+3, summer UTC+4.
  EXPECT_EQ(msk->offsetAt(utc(2010, 1, 15, 12)), 3 * 3600);
  EXPECT_EQ(msk->offsetAt(utc(2010, 7, 15, 12)), 4 * 3600);
  // The 2014 switch at 2014-10-26 02:00 local (22:00 UTC the day before).
  EXPECT_EQ(msk->offsetAt(utc(2014, 10, 25, 21, 59, 59)), 4 * 3600);
  EXPECT_EQ(msk->offsetAt(utc(2014, 10, 25, 22)), 3 * 3600);
}

TEST(TimeZone, NewYorkTableAndFooterRule) {
  auto ny = zone("America/New_York");
  ASSERT_TRUE(ny);
  EXPECT_EQ(ny->offsetAt(utc(2026, 1, 15, 12)), -5 * 3600);
  EXPECT_EQ(ny->offsetAt(utc(2026, 7, 15, 12)), -4 * 3600);
  // 2026: DST from Sun 8 Mar 02:00 EST (07:00 UTC) to Sun 1 Nov 02:00 EDT (06:00 UTC).
  EXPECT_EQ(ny->offsetAt(utc(2026, 3, 8, 6, 59, 59)), -5 * 3600);
  EXPECT_EQ(ny->offsetAt(utc(2026, 3, 8, 7)), -4 * 3600);
  EXPECT_EQ(ny->offsetAt(utc(2026, 11, 1, 5, 59, 59)), -4 * 3600);
  EXPECT_EQ(ny->offsetAt(utc(2026, 11, 1, 6)), -5 * 3600);
  // Far future, from the POSIX rule EST5EDT,M3.2.0,M11.1.0: 2040 DST starts Sun 11 Mar.
  EXPECT_EQ(ny->offsetAt(utc(2040, 3, 11, 6, 59, 59)), -5 * 3600);
  EXPECT_EQ(ny->offsetAt(utc(2040, 3, 11, 7)), -4 * 3600);
  EXPECT_EQ(ny->offsetAt(utc(2040, 11, 4, 5, 59, 59)), -4 * 3600);
  EXPECT_EQ(ny->offsetAt(utc(2040, 11, 4, 6)), -5 * 3600);
  // Before 2007 the US rule was first Sunday of April to last Sunday of October.
  EXPECT_EQ(ny->offsetAt(utc(2005, 4, 3, 6, 59, 59)), -5 * 3600);
  EXPECT_EQ(ny->offsetAt(utc(2005, 4, 3, 7)), -4 * 3600);
}

TEST(TimeZone, UnknownAndUnsafeNames) {
  EXPECT_TRUE(TimeZone::get("UTC"));
  EXPECT_EQ(TimeZone::get("UTC")->offsetAt(utc(2026, 6, 1)), 0);
  EXPECT_FALSE(TimeZone::get("Mars/Olympus_Mons"));
  EXPECT_FALSE(TimeZone::get("../../etc/passwd"));
  EXPECT_FALSE(TimeZone::get("/etc/passwd"));
  EXPECT_FALSE(TimeZone::get(""));
}

TEST(TimeZone, ToUtcAndBack) {
  auto msk = zone("Europe/Moscow");
  ASSERT_TRUE(msk);
  EXPECT_EQ(msk->toUtc({2026, 11, 24, 15, 4, 5}), utc(2026, 11, 24, 12, 4, 5));
  auto l = toLocal(utc(2026, 11, 24, 12, 4, 5), *msk);
  EXPECT_EQ(l.year, 2026);
  EXPECT_EQ(l.month, 11);
  EXPECT_EQ(l.day, 24);
  EXPECT_EQ(l.hour, 15);
  EXPECT_EQ(l.minute, 4);
  EXPECT_EQ(l.second, 5);
  // Across midnight and a year end.
  auto ny = zone("America/New_York");
  ASSERT_TRUE(ny);
  l = toLocal(utc(2027, 1, 1, 3), *ny);
  EXPECT_EQ(l.year, 2026);
  EXPECT_EQ(l.month, 12);
  EXPECT_EQ(l.day, 31);
  EXPECT_EQ(l.hour, 22);
}

TEST(TimeZone, DstGapMovesForward) {
  auto ny = zone("America/New_York");
  ASSERT_TRUE(ny);
  // 2026-03-08 02:30 does not exist in New York: clocks jump from 02:00 to 03:00.
  std::int64_t t = ny->toUtc({2026, 3, 8, 2, 30, 0});
  EXPECT_EQ(t, utc(2026, 3, 8, 7, 30));  // = 03:30 EDT
  auto l = toLocal(t, *ny);
  EXPECT_EQ(l.hour, 3);
  EXPECT_EQ(l.minute, 30);
  // Just around the gap.
  EXPECT_EQ(ny->toUtc({2026, 3, 8, 1, 59, 59}), utc(2026, 3, 8, 6, 59, 59));
  EXPECT_EQ(ny->toUtc({2026, 3, 8, 3, 0, 0}), utc(2026, 3, 8, 7));
  // Moscow 2010-03-28 02:30 did not exist either (02:00 -> 03:00).
  auto msk = zone("Europe/Moscow");
  ASSERT_TRUE(msk);
  EXPECT_EQ(msk->toUtc({2010, 3, 28, 2, 30, 0}), utc(2010, 3, 27, 23, 30));  // 03:30 MSD
}

TEST(TimeZone, DstOverlapTakesTheEarlier) {
  auto ny = zone("America/New_York");
  ASSERT_TRUE(ny);
  // 2026-11-01 01:30 happens twice: 05:30 UTC (EDT) and 06:30 UTC (EST).
  EXPECT_EQ(ny->toUtc({2026, 11, 1, 1, 30, 0}), utc(2026, 11, 1, 5, 30));
  EXPECT_EQ(ny->toUtc({2026, 11, 1, 0, 59, 0}), utc(2026, 11, 1, 4, 59));
  EXPECT_EQ(ny->toUtc({2026, 11, 1, 2, 0, 0}), utc(2026, 11, 1, 7));
  // Moscow 2014-10-26 01:30 happened at 21:30 UTC (MSK+4) and 22:30 UTC (MSK+3).
  auto msk = zone("Europe/Moscow");
  ASSERT_TRUE(msk);
  EXPECT_EQ(msk->toUtc({2014, 10, 26, 1, 30, 0}), utc(2014, 10, 25, 21, 30));
}

TEST(Iso8601, Format) {
  auto msk = zone("Europe/Moscow");
  auto ny = zone("America/New_York");
  ASSERT_TRUE(msk && ny);
  EXPECT_EQ(formatIso8601(utc(2026, 11, 24, 12, 4, 5), *msk), "2026-11-24T15:04:05+03:00");
  EXPECT_EQ(formatIso8601(utc(2026, 11, 24, 12, 4, 5), *ny), "2026-11-24T07:04:05-05:00");
  EXPECT_EQ(formatIso8601(utc(2026, 7, 1), *ny), "2026-06-30T20:00:00-04:00");
  EXPECT_EQ(formatIso8601(0, *TimeZone::get("UTC")), "1970-01-01T00:00:00+00:00");
  auto india = TimeZone::get("Asia/Kolkata");
  if (india) {
    EXPECT_EQ(formatIso8601(0, *india), "1970-01-01T05:30:00+05:30");
  }
}

TEST(Iso8601, Parse) {
  EXPECT_EQ(parseIso8601("2026-11-24T15:04:05+03:00"), utc(2026, 11, 24, 12, 4, 5));
  EXPECT_EQ(parseIso8601("2026-11-24T12:04:05Z"), utc(2026, 11, 24, 12, 4, 5));
  EXPECT_EQ(parseIso8601("2026-11-24t12:04:05z"), utc(2026, 11, 24, 12, 4, 5));
  EXPECT_EQ(parseIso8601("2026-11-24T07:04:05-05:00"), utc(2026, 11, 24, 12, 4, 5));
  EXPECT_EQ(parseIso8601("2026-11-24T15:04:05+0300"), utc(2026, 11, 24, 12, 4, 5));
  EXPECT_EQ(parseIso8601("2026-11-24T12:04Z"), utc(2026, 11, 24, 12, 4));
  EXPECT_EQ(parseIso8601("2026-11-24T12:04:05.123Z"), utc(2026, 11, 24, 12, 4, 5));
  EXPECT_EQ(parseIso8601("2026-11-24 12:04:05Z"), utc(2026, 11, 24, 12, 4, 5));
  EXPECT_EQ(parseIso8601("2028-02-29T00:00:00Z"), utc(2028, 2, 29));
}

TEST(Iso8601, RejectsMalformed) {
  for (const char* bad :
       {"", "2026-11-24", "2026-11-24T12:04:05", "2026-11-24T12:04:05+3", "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-24T24:00:00Z",
        "2026-11-24T12:60:00Z", "2026-11-24T12:04:05Zjunk", "2026-11-24T12:04:05+25:00",
        "26-11-24T12:04:05Z", "2026/11/24T12:04:05Z", "2026-11-24T12:04:05.Z", "abcd"})
    EXPECT_FALSE(parseIso8601(bad)) << bad;
}

TEST(Iso8601, RoundTripsThroughZones) {
  for (const char* name : {"Europe/Moscow", "America/New_York", "UTC"}) {
    auto tz = zone(name);
    ASSERT_TRUE(tz);
    for (std::int64_t t : {utc(2026, 3, 8, 7), utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30),
                           utc(1999, 12, 31, 23, 59, 59), utc(2040, 6, 1, 12)})
      EXPECT_EQ(parseIso8601(formatIso8601(t, *tz)), t) << name << " " << t;
  }
}

TEST(Time, LocalInputAndHumanFormats) {
  auto msk = zone("Europe/Moscow");
  ASSERT_TRUE(msk);
  EXPECT_EQ(formatLocalInput(utc(2026, 11, 24, 12, 4, 5), *msk), "2026-11-24T15:04");
  EXPECT_EQ(formatHuman(utc(2026, 11, 24, 12, 4, 5), *msk), "24.11.2026 15:04");
  auto l = parseLocalDateTime("2026-11-24T15:04");
  ASSERT_TRUE(l);
  EXPECT_EQ(msk->toUtc(*l), utc(2026, 11, 24, 12, 4));
  EXPECT_FALSE(parseLocalDateTime("2026-11-24T15:04+03:00"));
  EXPECT_EQ(rfc5322Date(utc(2026, 11, 24, 12, 4, 5)), "Tue, 24 Nov 2026 12:04:05 +0000");
  EXPECT_EQ(rfc5322Date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(Time, CivilCalendar) {
  EXPECT_EQ(daysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(daysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(daysInMonth(2024, 2), 29);
  EXPECT_EQ(daysInMonth(2025, 2), 28);
  EXPECT_EQ(daysInMonth(2000, 2), 29);
  EXPECT_EQ(daysInMonth(2100, 2), 28);
  EXPECT_EQ(daysInMonth(2026, 4), 30);
  EXPECT_EQ(daysInMonth(2026, 12), 31);
}

}  // namespace
}  // namespace mw
