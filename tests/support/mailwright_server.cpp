#include "mailwright_server.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "database.h"
#include "smtp_capture.h"

namespace mw::test {
namespace {

int healthStatus(int port) {
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(2, 0));
    Poco::Net::HTTPRequest req("GET", "/healthz", Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& body = session.receiveResponse(resp);
    body.ignore(std::numeric_limits<std::streamsize>::max());
    return resp.getStatus();
  } catch (const Poco::Exception&) {
    return 0;
  }
}

}  // namespace

std::string mailwrightBinary() {
  return envOr("MW_BINARY", MW_BINARY);
}

MailwrightServer::MailwrightServer(ServerOptions options) : options_(std::move(options)) {
  databaseUrl_ = options_.databaseUrl;
  if (databaseUrl_.empty()) {
    databaseUrl_ = Database::freshDatabaseUrl(tmp_);
    if (databaseUrl_.empty()) return;  // skip or failure already recorded
  }
  std::filesystem::create_directories(dataDir());
  port_ = freePort();
  env_ = {
      {"DATABASE_URL", databaseUrl_},
      {"DATA_DIR", dataDir()},
      {"SECRET_KEY", "mailwright-test-secret-key-0123456789abcdef"},
      {"BASE_URL", baseUrl()},
      {"BIND", "127.0.0.1:" + std::to_string(port_)},
      {"EMAIL_HOST", "127.0.0.1"},
      {"EMAIL_TIMEOUT", "10"},
  };
  if (options_.smtp) env_["EMAIL_PORT"] = std::to_string(options_.smtp->port());
  for (const auto& [k, v] : options_.env) env_[k] = v;

  if (options_.migrate) {
    auto r = cli({"migrate"});
    if (r.exitCode != 0)
      throw std::runtime_error("mailwright migrate failed (" + std::to_string(r.exitCode) + "):\n" +
                               tail(r.out + r.err));
  }
  start();
}

MailwrightServer::~MailwrightServer() {
  if (process_) process_->kill9();
}

// freePort() only says a port was free a moment ago; tests on the same machine race for ports, and
// `serve` refuses a taken one. A first start moves to another port; a restart waits for its own.
void MailwrightServer::start() {
  if (process_ && process_->running()) throw std::logic_error("MailwrightServer already running");
  for (int attempt = 0; !launch(); ++attempt) {
    if (attempt >= 10) throw std::runtime_error("mailwright serve: no free port:\n" + tail(logs()));
    if (startedOnce_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      continue;
    }
    port_ = freePort();
    env_["BASE_URL"] = baseUrl();
    env_["BIND"] = "127.0.0.1:" + std::to_string(port_);
  }
  startedOnce_ = true;
}

bool MailwrightServer::launch() {
  if (healthStatus(port_) != 0) return false;  // someone else answers there
  std::vector<std::string> argv = {mailwrightBinary(), "serve", "--bind",
                                   "127.0.0.1:" + std::to_string(port_)};
  argv.insert(argv.end(), options_.serveArgs.begin(), options_.serveArgs.end());
  size_t logStart = logs().size();
  process_ = std::make_unique<ChildProcess>(argv, env_, tmp_.file("server.log"));
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(options_.startTimeoutSeconds);
  while (healthStatus(port_) != 200 || !process_->running()) {
    if (!process_->running()) {
      std::string log = logs().substr(std::min(logStart, logs().size()));
      if (log.find("cannot listen on") != std::string::npos &&
          log.find("in use") != std::string::npos)
        return false;
      throw std::runtime_error("mailwright serve exited with " +
                               std::to_string(process_->exitCode()) + " before /healthz:\n" +
                               tail(logs()));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      process_->kill9();
      throw std::runtime_error("mailwright serve: no 200 from /healthz within " +
                               std::to_string(options_.startTimeoutSeconds) + " s:\n" +
                               tail(logs()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return true;
}

int MailwrightServer::stop(int graceSeconds) {
  return process_ ? process_->terminate(graceSeconds) : -1;
}

int MailwrightServer::kill9() {
  return process_ ? process_->kill9() : -1;
}

int MailwrightServer::pid() const {
  return process_ ? static_cast<int>(process_->pid()) : -1;
}

bool MailwrightServer::running() {
  return process_ && process_->running();
}

std::string MailwrightServer::logs() const {
  // The server writes its log lines out within 50 ms (core/log.cpp): wait for what it holds.
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  return readFile(tmp_.file("server.log"));
}

ProcessResult MailwrightServer::cli(const std::vector<std::string>& args,
                                    const std::string& stdinData, int timeoutSeconds) const {
  std::vector<std::string> argv = {mailwrightBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return runProcess(argv, env_, stdinData, timeoutSeconds);
}

}  // namespace mw::test
