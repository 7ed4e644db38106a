// Issue 10.6: pages at the speed of the machine. Starts build/mailwright serve on a seeded SQLite
// database and, in the same run, nginx (Debian's nginx-light) on loopback serving the same home
// page bytes from a file; `wrk -t2 -c64 -d10s --latency` against the anonymous home page, the
// blog list (20 articles), an authenticated /mailings list of 50 mailings, and nginx. Prints
// req/s, p99 and the ratio to nginx; medians over MW_BENCH_REPEAT runs (default 1). Issue 13: the
// open pixel and the click redirect of a message really sent (to an SMTP capture), each request
// one upsert of the same row (the worst case: every request contends for it).
//
// Goals (2 cores): home >= 0.3x nginx with p99 < 20 ms; /mailings >= 5,000 req/s; pixel and
// click >= 10,000 req/s each.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <regex>
#include <stdexcept>
#include <thread>

#include "app.h"
#include "bench_util.h"
#include "http_client.h"
#include "mailwright_server.h"
#include "process.h"
#include "smtp_capture.h"

using namespace mw::test;
using mw::bench::median;

namespace {

struct Result {
  double rps = 0;
  double p99ms = 0;
};

double toMs(const std::string& value, const std::string& unit) {
  double v = std::stod(value);
  if (unit == "us") return v / 1000;
  if (unit == "s") return v * 1000;
  return v;
}

Result wrk(const std::string& url, const std::string& cookie, const std::string& log) {
  std::vector<std::string> argv = {"wrk", "-t2", "-c64", "-d10s", "--latency"};
  if (!cookie.empty()) argv.insert(argv.end(), {"-H", "Cookie: " + cookie});
  argv.push_back(url);
  ChildProcess p(argv, {}, log);
  if (!p.waitExit(60) || p.exitCode() != 0) throw std::runtime_error("wrk failed for " + url);
  std::ifstream in(log);
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::smatch m;
  Result r;
  if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([0-9.]+))")))
    r.rps = std::stod(m[1]);
  if (std::regex_search(out, m, std::regex(R"(99%\s+([0-9.]+)(us|ms|s))")))
    r.p99ms = toMs(m[1], m[2]);
  if (out.find("Non-2xx") != std::string::npos)
    throw std::runtime_error("wrk saw errors for " + url + ":\n" + out);
  return r;
}

void seed(MailwrightServer& server) {
  createUser(server, "bench@example.com", kStrongPassword, "content_manager");
  std::string token = tokenFor(server, "bench@example.com");
  HttpClient http(server.baseUrl());
  auto r = http.postJson("/api/v1/clients",
                         R"({"email": "client@example.ru", "full_name": "Иванова Анна"})", token);
  if (r.status != 201) throw std::runtime_error("client: " + r.body);
  long clientId = r.json()->getValue<long>("id");
  r = http.postJson("/api/v1/messages",
                    R"({"subject": "Новости за ноябрь", "body_text": "Здравствуйте, {{name}}!"})",
                    token);
  if (r.status != 201) throw std::runtime_error("message: " + r.body);
  long messageId = r.json()->getValue<long>("id");
  for (int i = 1; i <= 50; ++i) {
    r = http.postJson("/api/v1/mailings",
                      "{\"name\": \"Рассылка " + std::to_string(i) +
                          "\", \"message_id\": " + std::to_string(messageId) +
                          ", \"client_ids\": [" + std::to_string(clientId) +
                          "], \"start_at\": \"2035-01-01T00:00:00Z\", \"periodicity\": \"once\"}",
                      token);
    if (r.status != 201) throw std::runtime_error("mailing: " + r.body);
  }
  for (int i = 1; i <= 20; ++i) {
    r = http.postJson("/api/v1/articles",
                      "{\"title\": \"Статья " + std::to_string(i) +
                          "\", \"content\": \"Текст статьи о рассылках, абзац за абзацем.\", "
                          "\"is_published\": true}",
                      token);
    if (r.status != 201) throw std::runtime_error("article: " + r.body);
  }
}

// Sends a tracked mailing to the bench client and returns its pixel and first link, as captured.
std::pair<std::string, std::string> trackingUrls(MailwrightServer& server, SmtpCapture& smtp) {
  std::string token = tokenFor(server, "bench@example.com");
  HttpClient http(server.baseUrl());
  auto r =
      http.postJson("/api/v1/messages",
                    R"({"subject": "Трекинг", "body_text": "https://shop.example/sale",)"
                    R"( "body_html": "<p><a href=\"https://shop.example/sale\">Sale</a></p>"})",
                    token);
  if (r.status != 201) throw std::runtime_error("message: " + r.body);
  long messageId = r.json()->getValue<long>("id");
  r = http.postJson("/api/v1/mailings",
                    "{\"name\": \"Tracked\", \"message_id\": " + std::to_string(messageId) +
                        ", \"all_clients\": true, \"start_at\": \"2035-01-01T00:00:00Z\"}",
                    token);
  if (r.status != 201) throw std::runtime_error("mailing: " + r.body);
  r = http.postJson("/api/v1/mailings/" + std::to_string(r.json()->getValue<long>("id")) + "/send",
                    "{}", token);
  if (r.status != 202) throw std::runtime_error("send: " + r.body);
  auto mails = smtp.waitForMessages(1, 30);
  if (mails.empty()) throw std::runtime_error("the tracked message did not arrive");
  std::string html = mails[0].decoded()->getValue<std::string>("html");
  auto pixel = findLink(html, server.baseUrl() + "/t/o/");
  auto click = findLink(html, server.baseUrl() + "/t/c/");
  if (pixel.empty() || click.empty()) throw std::runtime_error("no tracking links in " + html);
  return {pixel, click};
}

std::unique_ptr<ChildProcess> startNginx(const TempDir& tmp, const std::string& home, int port) {
  std::system(("mkdir -p " + tmp.file("www") + " " + tmp.file("nginx")).c_str());
  // nginx's workers run as nobody when started by root: they must be able to read the page.
  std::system(("chmod 755 " + tmp.path() + " " + tmp.file("www")).c_str());
  mw::bench::writeFile(tmp.file("www/index.html"), home);
  std::system(("chmod 644 " + tmp.file("www/index.html")).c_str());
  mw::bench::writeFile(
      tmp.file("nginx.conf"),
      "worker_processes auto;\npid " + tmp.file("nginx.pid") + ";\nerror_log " +
          tmp.file("nginx/error.log") +
          ";\nevents { worker_connections 1024; }\nhttp {\n"
          "  access_log off;\n  client_body_temp_path " +
          tmp.file("nginx") + ";\n  server {\n    listen 127.0.0.1:" + std::to_string(port) +
          ";\n    root " + tmp.file("www") + ";\n    default_type text/html;\n  }\n}\n");
  auto p = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/sbin/nginx", "-c", tmp.file("nginx.conf"), "-p",
                               tmp.file("nginx"), "-g", "daemon off;"},
      Env{}, tmp.file("nginx.log"));
  for (int i = 0; i < 200; ++i) {
    try {
      HttpClient probe("http://127.0.0.1:" + std::to_string(port));
      if (probe.get("/").body == home) return p;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  std::ifstream log(tmp.file("nginx.log"));
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  throw std::runtime_error("nginx did not start on port " + std::to_string(port) + ": " + text);
}

}  // namespace

int main() {
  try {
    TempDir tmp;
    ServerOptions opts;
    opts.databaseUrl = "sqlite://" + tmp.file("http.db");
    opts.serveArgs = {"--no-scheduler"};
    SmtpCapture smtp;
    opts.smtp = &smtp;
    MailwrightServer server(opts);
    seed(server);
    auto [pixel, click] = trackingUrls(server, smtp);
    HttpClient visitor(server.baseUrl());
    std::string home = visitor.get("/").body;
    HttpClient user(server.baseUrl());
    login(user, "bench@example.com");
    std::string cookie = "mw_sid=" + user.cookie("mw_sid");
    if (user.get("/mailings").status != 200) throw std::runtime_error("/mailings is not 200");
    int nginxPort = freePort();
    auto nginx = startNginx(tmp, home, nginxPort);
    int repeat = mw::bench::repeats(1);
    std::printf("http: wrk -t2 -c64 -d10s, home page %zu bytes, %d repeats\n", home.size(), repeat);
    std::map<std::string, std::vector<double>> rps, p99;
    const std::vector<std::pair<std::string, std::string>> targets = {
        {"nginx", "http://127.0.0.1:" + std::to_string(nginxPort) + "/"},
        {"home", server.baseUrl() + "/"},
        {"blog", server.baseUrl() + "/blog"},
        {"mailings", server.baseUrl() + "/mailings"},
        {"pixel", pixel},
        {"click", click}};
    for (int i = 0; i < repeat; ++i) {
      for (const auto& [name, url] : targets) {
        auto r = wrk(url, name == "mailings" ? cookie : "",
                     tmp.file("wrk-" + name + std::to_string(i) + ".log"));
        rps[name].push_back(r.rps);
        p99[name].push_back(r.p99ms);
        std::printf("  run %d %-9s %9.0f req/s  p99 %7.2f ms\n", i + 1, name.c_str(), r.rps,
                    r.p99ms);
      }
    }
    double ref = median(rps["nginx"]);
    for (const auto& [name, url] : targets)
      std::printf("%-9s %9.0f req/s  p99 %7.2f ms  %.3fx nginx\n", name.c_str(), median(rps[name]),
                  median(p99[name]), median(rps[name]) / ref);
    std::printf(
        "goals: home >= 0.3x nginx with p99 < 20 ms; /mailings >= 5000 req/s; pixel, click >= "
        "10000 req/s\n");
    nginx->terminate(5);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_http: " << e.what() << "\n";
    return 1;
  }
}
