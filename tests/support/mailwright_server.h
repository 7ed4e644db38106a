// Runs the real build/mailwright binary (`serve`) on a free port, for integration and e2e tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "process.h"

namespace mw::test {

class SmtpCapture;

struct ServerOptions {
  std::string databaseUrl{};             // empty: Database::freshDatabaseUrl
  const SmtpCapture* smtp = nullptr;     // sets EMAIL_HOST/EMAIL_PORT to the capture server
  Env env{};                             // extra environment, applied last
  std::vector<std::string> serveArgs{};  // after `serve --bind ...`, e.g. {"--no-scheduler"}
  bool migrate = true;                   // run `mailwright migrate` before serving
  int startTimeoutSeconds = 30;
};

class MailwrightServer {
 public:
  // Starts the server and waits for GET /healthz == 200; throws with its log tail on failure.
  // When no database is available the test is marked skipped (or failed with
  // MW_REQUIRE_SERVERS=1) and nothing starts: check running() or use MW_SKIP_IF_UNAVAILABLE().
  explicit MailwrightServer(ServerOptions options = {});
  ~MailwrightServer();
  MailwrightServer(const MailwrightServer&) = delete;
  MailwrightServer& operator=(const MailwrightServer&) = delete;

  // (Re)starts on the same port, database and data dir, e.g. after kill9().
  void start();
  // SIGTERM, wait up to graceSeconds, then SIGKILL; returns the exit code (128+N for signal N).
  int stop(int graceSeconds = 10);
  int kill9();
  bool running();

  std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // Process id of the running server, -1 when none.
  int pid() const;
  const std::string& databaseUrl() const { return databaseUrl_; }
  std::string dataDir() const { return tmp_.file("data"); }
  // The environment every process of this server gets (on top of the test's own).
  const Env& env() const { return env_; }
  // Everything the server printed (stdout and stderr, all runs).
  std::string logs() const;

  // Runs the same binary with the same environment: cli({"user", "create", "--email", ...}).
  ProcessResult cli(const std::vector<std::string>& args, const std::string& stdinData = "",
                    int timeoutSeconds = 60) const;

 private:
  ServerOptions options_;
  TempDir tmp_;
  std::string databaseUrl_;
  int port_ = 0;
  Env env_;
  std::unique_ptr<ChildProcess> process_;
  bool startedOnce_ = false;
  // One launch; false when the port turned out to be taken (by another machine-wide test).
  bool launch();
};

// Path of the mailwright binary: $MW_BINARY, else the compile-time MW_BINARY.
std::string mailwrightBinary();

}  // namespace mw::test

// Stops the current test body when a helper recorded a skip or fatal failure.
#define MW_SKIP_IF_UNAVAILABLE() \
  if (::mw::test::testUnavailable()) return
