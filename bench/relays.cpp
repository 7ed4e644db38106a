// Issue 14.6: a rate of 50/s over 4 relays holds within 2% over a minute and never exceeds 50 in
// any one-second window.
//
// Starts 4 capture SMTP servers (tests/support/smtp_capture.h: each message's arrival time is
// in its .json) and build/mailwright serve (SQLite, SEND_CONCURRENCY=4); an admin adds 4 relays
// on /admin/relays; a mailing to 50 * MW_BENCH_RELAY_SECONDS (default 60) clients is sent. The
// arrival times at the servers give the achieved rate, its deviation from 50/s, and the most
// messages in any 1-second window (and per relay, against its own rate). Two set-ups:
//   A: SEND_RATE=50 (the global pace) over 4 relays of 14/s each, equal weights;
//   B: no SEND_RATE, relays of 13/s, 13/s, 12/s, 12/s weighted 13:13:12:12 (windows only).
// B is the set-up (the relays' windows count each message from its reply, so they hold
// at the relay): 49.79 msg/s, -0.42%, at most 50 in any second (ASan build, 2 cores). A's even
// pace counts a message as it starts, so the relays may see 51-52 in a second: 49.90 msg/s.
#include <Poco/DirectoryIterator.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "app.h"
#include "domain.h"
#include "http_client.h"
#include "mailwright_server.h"
#include "process.h"
#include "smtp_capture.h"

using namespace mw::test;

namespace {

// Arrival times (epoch seconds) of the messages a capture server saved.
std::vector<double> arrivals(const SmtpCapture& c) {
  std::vector<double> out;
  for (Poco::DirectoryIterator it(c.dir()), end; it != end; ++it) {
    if (it.name().size() < 5 || it.name().substr(it.name().size() - 5) != ".json") continue;
    std::ifstream in(it.path().toString());
    std::stringstream ss;
    ss << in.rdbuf();
    Poco::JSON::Parser p;
    out.push_back(
        p.parse(ss.str()).extract<Poco::JSON::Object::Ptr>()->getValue<double>("received_at"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The most times in any half-open window [t, t + 1 s).
std::size_t maxPerSecond(const std::vector<double>& sorted) {
  std::size_t best = 0, lo = 0;
  for (std::size_t hi = 0; hi < sorted.size(); ++hi) {
    while (sorted[hi] - sorted[lo] >= 1.0) ++lo;
    best = std::max(best, hi - lo + 1);
  }
  return best;
}

struct Setup {
  const char* label;
  std::string sendRate;
  std::vector<std::pair<std::string, std::string>> relays;  // rate, weight
};

bool run(const Setup& s, int seconds) {
  const int total = 50 * seconds;
  std::vector<std::unique_ptr<SmtpCapture>> caps;
  for (int i = 0; i < 4; ++i) caps.push_back(std::make_unique<SmtpCapture>());
  TempDir tmp;
  ServerOptions opts;
  opts.databaseUrl = "sqlite://" + tmp.file("relays.db");
  opts.smtp = caps[0].get();
  opts.env = {{"SEND_CONCURRENCY", "4"}, {"SEND_RATE", s.sendRate}};
  MailwrightServer server(opts);
  createUser(server, "root@example.com", kStrongPassword, "admin");
  std::string token = tokenFor(server, "root@example.com");
  HttpClient web(server.baseUrl());
  if (login(web, "root@example.com").status != 303) throw std::runtime_error("login failed");
  for (int i = 0; i < 4; ++i) {
    auto r = submit(web, "/admin/relays",
                    {{"name", "r" + std::to_string(i)},
                     {"host", "127.0.0.1"},
                     {"port", std::to_string(caps[i]->port())},
                     {"rate", s.relays[i].first},
                     {"weight", s.relays[i].second}});
    if (r.status != 303) throw std::runtime_error("relay: " + r.body.substr(0, 300));
  }
  HttpClient http(server.baseUrl());
  http.setTimeoutSeconds(300);
  std::string csv = "email,full_name\r\n";
  for (int i = 0; i < total; ++i) csv += "c" + std::to_string(i) + "@example.org,C\r\n";
  auto r =
      http.postMultipart("/api/v1/clients/import", {}, {{"file", "clients.csv", "text/csv", csv}},
                         {{"Authorization", "Bearer " + token}});
  if (r.status != 200) throw std::runtime_error("import: " + r.body.substr(0, 300));
  auto msg = apiMessage(http, token, "Rate", "Hello {{name}}");
  r = http.postJson("/api/v1/mailings",
                    "{\"name\":\"rate\",\"message_id\":" + std::to_string(msg) +
                        ",\"all_clients\":true,\"start_at\":\"2035-01-01T00:00:00Z\"}",
                    token);
  if (r.status != 201) throw std::runtime_error("mailing: " + r.body.substr(0, 300));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // senders see the relays
  auto id = r.json()->getValue<std::int64_t>("id");
  r = http.postJson("/api/v1/mailings/" + std::to_string(id) + "/send", "{}", token);
  if (r.status != 202) throw std::runtime_error("send: " + r.body.substr(0, 300));
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds * 2 + 30);
  std::size_t got = 0;
  while (std::chrono::steady_clock::now() < until) {
    got = 0;
    for (auto& c : caps) got += c->messages().size();
    if (got >= static_cast<std::size_t>(total)) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::vector<double> all;
  std::printf("relays %s (SEND_RATE=%s):", s.label, s.sendRate.c_str());
  bool ok = true;
  for (int i = 0; i < 4; ++i) {
    auto t = arrivals(*caps[i]);
    all.insert(all.end(), t.begin(), t.end());
    auto limit = std::atoi(s.relays[i].first.c_str());
    auto peak = maxPerSecond(t);
    std::printf(" r%d %zu msgs (rate %s, max %zu/1s)", i, t.size(), s.relays[i].first.c_str(),
                peak);
    if (limit > 0 && peak > static_cast<std::size_t>(limit)) ok = false;
  }
  std::sort(all.begin(), all.end());
  if (all.size() < 2) throw std::runtime_error("nothing arrived");
  double span = all.back() - all.front();
  double rate = static_cast<double>(all.size() - 1) / span;
  double deviation = (rate - 50.0) / 50.0 * 100.0;
  std::size_t peak = maxPerSecond(all);
  std::printf("\n  %zu/%d messages in %.2f s: %.2f msg/s, deviation %+.2f%%, max %zu in any 1 s\n",
              all.size(), total, span, rate, deviation, peak);
  ok = ok && all.size() == static_cast<std::size_t>(total) && std::fabs(deviation) <= 2.0 &&
       peak <= 50;
  std::printf("  target: within 2%% of 50/s, never over 50 in 1 s: %s\n", ok ? "met" : "NOT met");
  return ok;
}

}  // namespace

int main() {
  try {
    int seconds = std::atoi(envOr("MW_BENCH_RELAY_SECONDS", "60").c_str());
    bool a =
        run({"A", "50", {{"14/s", "1"}, {"14/s", "1"}, {"14/s", "1"}, {"14/s", "1"}}}, seconds);
    bool b =
        run({"B", "0", {{"13/s", "13"}, {"13/s", "13"}, {"12/s", "12"}, {"12/s", "12"}}}, seconds);
    (void)a;
    (void)b;
    return 0;  // figures, as the other benches: a target missed is printed, not fatal
  } catch (const std::exception& e) {
    std::fprintf(stderr, "relays bench: %s\n", e.what());
    return 2;
  }
}
