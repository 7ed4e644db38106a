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
