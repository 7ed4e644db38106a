// Fresh, isolated databases for tests, on SQLite or PostgreSQL per MW_TEST_DB.
#pragma once

#include <string>

#include "process.h"

namespace mw::test {

class Database {
 public:
  // "sqlite" (default) or "postgresql", from MW_TEST_DB.
  static std::string kind();

  // sqlite: "sqlite://" + dir.path() + "/mw.db" (an absolute path, so three slashes).
  // postgresql: creates database mwtest_<pid>_<n>_<random> on MW_TEST_PG_URL and returns its URL;
  // it is dropped at process exit. Without MW_TEST_PG_URL it records a gtest skip (or a fatal
  // failure when MW_REQUIRE_SERVERS=1) and returns "": see MW_FRESH_DATABASE_URL.
  static std::string freshDatabaseUrl(TempDir& dir);

  // Creates a new database on a PostgreSQL server URL and returns the URL pointing at it.
  static std::string createPostgres(const std::string& serverUrl);
  // Drops (WITH FORCE) a database created by createPostgres.
  static void dropPostgres(const std::string& databaseUrl);
};

// True when the current test was skipped or has a fatal failure (stop the test body then).
bool testUnavailable();

}  // namespace mw::test

// In a test body: `MW_FRESH_DATABASE_URL(url, dir);` declares url or leaves the test skipped.
#define MW_FRESH_DATABASE_URL(var, dir)                          \
  std::string var = ::mw::test::Database::freshDatabaseUrl(dir); \
  if (::mw::test::testUnavailable()) return
