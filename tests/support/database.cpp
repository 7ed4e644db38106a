#include "database.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <Poco/URI.h>
#include <atomic>
#include <cctype>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>

namespace mw::test {
namespace {

// Runs one statement on a server URL; throws with the server's message on failure.
void execute(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect to " + url + ": " + msg);
  }
  PGresult* res = PQexec(conn, sql.c_str());
  bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  std::string msg = ok ? "" : PQerrorMessage(conn);
  PQclear(res);
  PQfinish(conn);
  if (!ok) throw std::runtime_error(sql + ": " + msg);
}

std::string withDatabase(const std::string& url, const std::string& name) {
  Poco::URI uri(url);
  uri.setPath("/" + name);
  return uri.toString();
}

// Databases created by this process, dropped when it exits.
struct Created {
  std::mutex mutex;
  std::set<std::string> urls;
  ~Created() {
    for (const auto& url : urls) {
      try {
        Database::dropPostgres(url);
      } catch (...) {
        // Best effort: the test servers are throwaway anyway.
      }
    }
  }
};

Created& created() {
  static Created c;
  return c;
}

void recordSkip(const std::string& why) {
  GTEST_SKIP() << why;
}
void recordFailure(const std::string& why) {
  FAIL() << why;
}

}  // namespace

std::string Database::kind() {
  std::string k = envOr("MW_TEST_DB", "sqlite");
  if (k != "sqlite" && k != "postgresql")
    throw std::runtime_error("MW_TEST_DB must be sqlite or postgresql, not " + k);
  return k;
}

std::string Database::freshDatabaseUrl(TempDir& dir) {
  if (kind() == "sqlite") return "sqlite://" + dir.file("mw.db");
  std::string server = envOr("MW_TEST_PG_URL");
  if (server.empty()) {
    const std::string why =
        "MW_TEST_DB=postgresql but MW_TEST_PG_URL is not set (start servers with "
        "scripts/test-servers.sh start && . build/test-servers/env.sh)";
    if (envOr("MW_REQUIRE_SERVERS") == "1")
      recordFailure(why + " and MW_REQUIRE_SERVERS=1");
    else
      recordSkip(why);
    return "";
  }
  return createPostgres(server);
}

std::string Database::createPostgres(const std::string& serverUrl) {
  static std::atomic<int> counter{0};
  static std::mt19937_64 rng{std::random_device{}()};
  static std::mutex rngMutex;
  unsigned long long random;
  {
    std::lock_guard lock(rngMutex);
    random = rng() % 1000000000ULL;
  }
  std::string name = "mwtest_" + std::to_string(getpid()) + "_" + std::to_string(++counter) + "_" +
                     std::to_string(random);
  execute(serverUrl, "CREATE DATABASE " + name + " TEMPLATE template0 ENCODING 'UTF8'");
  std::string url = withDatabase(serverUrl, name);
  std::lock_guard lock(created().mutex);
  created().urls.insert(url);
  return url;
}

void Database::dropPostgres(const std::string& databaseUrl) {
  Poco::URI uri(databaseUrl);
  std::string name = uri.getPath().substr(1);
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      throw std::invalid_argument("unexpected database name: " + name);
  execute(withDatabase(databaseUrl, "postgres"),
          "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

bool testUnavailable() {
  return ::testing::Test::IsSkipped() || ::testing::Test::HasFatalFailure();
}

}  // namespace mw::test
