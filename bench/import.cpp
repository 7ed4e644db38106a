// Issue 3.2: bulk import of 100,000 clients through the real server path.
//
// Generates a UTF-8 CSV (Cyrillic names, quoted fields with commas, CRLF, a few invalid rows),
// starts build/mailwright serve on a fresh database and POSTs the file to
// /api/v1/clients/import (multipart, Bearer token), timing the request from the first byte sent
// to the JSON report. The reference, timed in the same invocation on the same database, is the
// database's own bulk loader fed the same file: `sqlite3` (.import into a staging table, then
// one INSERT ... SELECT into clients) or `psql` (\copy into a staging table, then INSERT ...
// SELECT), each as a separate process, process start included.
//
// SQLite always; PostgreSQL too when MW_TEST_PG_URL is set (make bench sets it).
// MW_BENCH_ROWS (default 100000), MW_BENCH_REPEAT (default 3) change the size and repeats.
#include <Poco/JSON/Array.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>

#include "app.h"
#include "bench_util.h"
#include "database.h"
#include "http_client.h"
#include "mailwright_server.h"
#include "process.h"

using namespace mw::test;
using mw::bench::median;
using mw::bench::seconds;

namespace {

struct Csv {
  std::string bytes;
  int rows = 0;     // data rows (header excluded)
  int invalid = 0;  // rows the importer must reject
};

Csv makeCsv(int rows) {
  static const char* surnames[] = {"Иванов",  "Смирнов", "Кузнецов", "Попов",   "Васильев",
                                   "Петров",  "Соколов", "Михайлов", "Новиков", "Фёдоров",
                                   "Морозов", "Волков",  "Алексеев", "Лебедев", "Семёнов"};
  static const char* male[] = {"Иван", "Пётр", "Алексей", "Сергей", "Дмитрий", "Андрей", "Юрий"};
  static const char* female[] = {"Анна",  "Мария",   "Елена",    "Ольга",
                                 "Ирина", "Наталья", "Светлана", "Юлия"};
  Csv csv;
  csv.rows = rows;
  std::string& out = csv.bytes;
  out.reserve(static_cast<size_t>(rows) * 64);
  out += "email,full_name,comment\r\n";
  char email[64];
  for (int i = 1; i <= rows; ++i) {
    // Ten kinds of broken rows, spread over the file.
    if (i % (rows / 10 > 0 ? rows / 10 : 1) == rows / 20) {
      ++csv.invalid;
      switch (csv.invalid % 5) {
        case 0:
          out += "not-an-email,Плохой Адрес,\r\n";
          break;
        case 1:
          out += ",Без Почты,пустой адрес\r\n";
          break;
        case 2:
          out += "user@localhost,Без Домена,\r\n";
          break;
        case 3:
          out += "client000001@example.ru,Дубликат Первой Строки,\r\n";  // duplicate in file
          break;
        case 4:
          out += "two@@example.ru,\"Две, собаки\",\r\n";
          break;
      }
      continue;
    }
    std::snprintf(email, sizeof email, "client%06d@example.ru", i);
    bool woman = i % 2 == 0;
    out += email;
    out += ',';
    out += surnames[i % 15];
    if (woman) out += "а";
    out += ' ';
    out += woman ? female[i % 8] : male[i % 7];
    out += ',';
    if (i % 10 == 0)
      out += "\"VIP, постоянный клиент\"";
    else if (i % 97 == 0)
      out += "\"цитата \"\"в кавычках\"\"\nи перенос строки\"";
    out += "\r\n";
  }
  return csv;
}

struct Run {
  double seconds = 0;
  std::int64_t imported = 0;
  std::int64_t rejected = 0;
};

Run importThroughApi(const MailwrightServer& server, const Csv& csv, const std::string& email) {
  createUser(server, email);
  std::string token = tokenFor(server, email);
  HttpClient http(server.baseUrl());
  http.setTimeoutSeconds(600);
  double t0 = seconds();
  auto r = http.postMultipart("/api/v1/clients/import", {},
                              {{"file", "clients.csv", "text/csv", csv.bytes}},
                              {{"Authorization", "Bearer " + token}});
  Run run;
  run.seconds = seconds() - t0;
  if (r.status != 200)
    throw std::runtime_error("import answered " + std::to_string(r.status) + ": " +
                             r.body.substr(0, 300));
  auto o = r.json();
  run.imported = o->getValue<std::int64_t>("imported");
  run.rejected = static_cast<std::int64_t>(o->getArray("rejected")->size());
  return run;
}

double referenceLoad(const MailwrightServer& server, bool postgres, const std::string& csvPath,
                     const std::string& email) {
  createUser(server, email);
  std::string owner = "(SELECT id FROM users WHERE email = '" + email + "')";
  std::string insert =
      "INSERT INTO clients(owner_id, email, full_name, comment, created_at, updated_at) SELECT " +
      owner +
      ", lower(trim(email)), trim(COALESCE(full_name, '')), trim(COALESCE(comment, '')), 0, 0 FROM "
      "staging WHERE email LIKE "
      "'%_@_%._%' ON CONFLICT (owner_id, email) DO NOTHING;\n";
  ProcessResult r;
  double t0 = seconds();
  if (postgres) {
    std::string script =
        "CREATE TEMP TABLE staging(email TEXT, full_name TEXT, comment TEXT);\n"
        "\\copy staging FROM '" +
        csvPath + "' WITH (FORMAT csv, HEADER true)\nBEGIN;\n" + insert + "COMMIT;\n";
    r = runProcess({"psql", "-q", "-v", "ON_ERROR_STOP=1", server.databaseUrl()}, {}, script, 600);
  } else {
    std::string path = server.databaseUrl().substr(9);
    std::string script =
        "PRAGMA synchronous=NORMAL;\nDROP TABLE IF EXISTS staging;\n"
        "CREATE TABLE staging(email TEXT, full_name TEXT, comment TEXT);\n"
        ".import --csv --skip 1 " +
        csvPath + " staging\nBEGIN;\n" + insert + "COMMIT;\n";
    r = runProcess({"sqlite3", "-bail", path}, {}, script, 600);
  }
  double elapsed = seconds() - t0;
  if (r.exitCode != 0)
    throw std::runtime_error(std::string(postgres ? "psql" : "sqlite3") +
                             " reference failed: " + r.err + r.out);
  return elapsed;
}

void benchOne(const std::string& label, const std::string& databaseUrl, const Csv& csv,
              const std::string& csvPath, int repeat) {
  ServerOptions opts;
  opts.databaseUrl = databaseUrl;
  opts.serveArgs = {"--no-scheduler"};
  MailwrightServer server(opts);
  bool postgres = databaseUrl.rfind("postgres", 0) == 0;
  std::vector<double> ours, ref;
  Run last;
  for (int k = 0; k < repeat; ++k) {
    last = importThroughApi(server, csv, "import" + std::to_string(k) + "@example.com");
    ours.push_back(last.seconds);
    if (last.imported != csv.rows - csv.invalid || last.rejected != csv.invalid)
      throw std::runtime_error("import reported " + std::to_string(last.imported) + " imported, " +
                               std::to_string(last.rejected) + " rejected; expected " +
                               std::to_string(csv.rows - csv.invalid) + " and " +
                               std::to_string(csv.invalid));
    ref.push_back(
        referenceLoad(server, postgres, csvPath, "reference" + std::to_string(k) + "@example.com"));
    std::printf("  %s run %d: mailwright %.3f s, reference %.3f s\n", label.c_str(), k + 1,
                ours.back(), ref.back());
  }
  double m = median(ours), mr = median(ref);
  std::printf(
      "import[%s]: rows=%d imported=%lld rejected=%lld median=%.3f s rate=%.0f rows/s | "
      "reference(%s) median=%.3f s rate=%.0f rows/s | mailwright/reference time ratio=%.2f "
      "(target: < 2 s on SQLite: %s)\n",
      label.c_str(), csv.rows, static_cast<long long>(last.imported),
      static_cast<long long>(last.rejected), m, csv.rows / m,
      postgres ? "psql \\copy + INSERT..SELECT" : "sqlite3 .import + INSERT..SELECT", mr,
      csv.rows / mr, m / mr, postgres ? "n/a" : (m < 2.0 ? "met" : "NOT met"));
  std::fflush(stdout);
}

}  // namespace

int main() {
  try {
    int rows = std::atoi(envOr("MW_BENCH_ROWS", "100000").c_str());
    int repeat = mw::bench::repeats(3);
    TempDir tmp;
    Csv csv = makeCsv(rows);
    std::string csvPath = tmp.file("clients.csv");
    mw::bench::writeFile(csvPath, csv.bytes);
    std::printf("import: CSV of %d rows (%d invalid), %.2f MB, %d repeats\n", csv.rows, csv.invalid,
                csv.bytes.size() / 1048576.0, repeat);
    benchOne("sqlite", "sqlite://" + tmp.file("import.db"), csv, csvPath, repeat);
    std::string pg = envOr("MW_TEST_PG_URL");
    if (pg.empty()) {
      std::printf("import[postgresql]: skipped (MW_TEST_PG_URL not set)\n");
    } else {
      std::string url = Database::createPostgres(pg);
      try {
        benchOne("postgresql", url, csv, csvPath, repeat);
      } catch (...) {
        Database::dropPostgres(url);
        throw;
      }
      Database::dropPostgres(url);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_import: %s\n", e.what());
    return 1;
  }
  return 0;
}
