// The dialect spellings of migrations (core/db.h adaptSql).
#include <gtest/gtest.h>

#include "core/db.h"

using mw::db::adaptSql;
using mw::db::Dialect;

TEST(AdaptSql, SpellsKeysAndTimesPerDatabase) {
  std::string sql = "CREATE TABLE t (id {{pk}}, at BIGINT NOT NULL DEFAULT {{now}}, b {{blob}});";
  EXPECT_EQ(adaptSql(sql, Dialect::SQLite),
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, at BIGINT NOT NULL DEFAULT "
            "CAST(strftime('%s','now') AS INTEGER), b BLOB);");
  EXPECT_EQ(adaptSql(sql, Dialect::PostgreSQL),
            "CREATE TABLE t (id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL DEFAULT "
            "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT), b BYTEA);");
}

TEST(AdaptSql, RunsEachDatabasesOwnLinesOnlyThere) {
  std::string sql =
      "-- a comment\n"
      "-- sqlite: CREATE VIRTUAL TABLE s USING fts5(x);\n"
      "-- postgresql: CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"
      "CREATE TABLE both_ (x TEXT);\n";
  EXPECT_EQ(adaptSql(sql, Dialect::SQLite),
            "-- a comment\n"
            "CREATE VIRTUAL TABLE s USING fts5(x);\n"
            "-- postgresql: CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"
            "CREATE TABLE both_ (x TEXT);\n");
  EXPECT_EQ(adaptSql(sql, Dialect::PostgreSQL),
            "-- a comment\n"
            "-- sqlite: CREATE VIRTUAL TABLE s USING fts5(x);\n"
            "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"
            "CREATE TABLE both_ (x TEXT);\n");
}

// An IN list is padded to one of four lengths with its last value; the head of the params and
// lists past 512 are left alone.
TEST(PadList, FourLengthsByTheLastValue) {
  mw::db::Params p{std::string("worker"), 1, 2, 3};
  EXPECT_EQ(mw::db::padList(p, 3), 8u);
  ASSERT_EQ(p.size(), 9u);
  EXPECT_EQ(p[0].s(), "worker");
  for (std::size_t i = 3; i < p.size(); ++i) EXPECT_EQ(p[i].i(), 3);
  for (std::size_t n : {1u, 8u, 9u, 32u, 33u, 128u, 129u, 500u, 512u}) {
    mw::db::Params q(n, 7);
    auto padded = mw::db::padList(q, n);
    EXPECT_EQ(padded, n <= 8 ? 8u : n <= 32 ? 32u : n <= 128 ? 128u : 512u) << n;
    EXPECT_EQ(q.size(), padded);
  }
  mw::db::Params big(600, 1);
  EXPECT_EQ(mw::db::padList(big, 600), 600u);
  EXPECT_EQ(big.size(), 600u);
}
