#include "domain.h"

#include "app.h"
#include "harness.h"

#include <Poco/JSON/Array.h>

#include <ctime>
#include <sstream>
#include <stdexcept>

namespace mw::test {

std::string toJson(const Poco::JSON::Object& o) {
  std::ostringstream s;
  o.stringify(s);
  return s.str();
}

std::int64_t apiCreate(HttpClient& c, const std::string& path, const Poco::JSON::Object& body,
                       const std::string& token) {
  auto r = c.postJson(path, toJson(body), token);
  if (r.status != 201)
    throw std::runtime_error("POST " + path + " answered " + std::to_string(r.status) + ": " +
                             r.body);
  return r.json()->getValue<std::int64_t>("id");
}

std::int64_t apiClient(HttpClient& c, const std::string& token, const std::string& email,
                       const std::string& fullName) {
  Poco::JSON::Object o;
  o.set("email", email);
  o.set("full_name", fullName);
  return apiCreate(c, "/api/v1/clients", o, token);
}

std::int64_t apiMessage(HttpClient& c, const std::string& token, const std::string& subject,
                        const std::string& text) {
  Poco::JSON::Object o;
  o.set("subject", subject);
  o.set("body_text", text);
  return apiCreate(c, "/api/v1/messages", o, token);
}

std::int64_t apiMailing(HttpClient& c, const std::string& token, std::int64_t messageId,
                        const std::vector<std::int64_t>& clientIds, const std::string& name,
                        const std::string& start, const std::string& periodicity) {
  Poco::JSON::Object o;
  o.set("name", name);
  o.set("message_id", messageId);
  Poco::JSON::Array ids;
  for (auto id : clientIds) ids.add(id);
  o.set("client_ids", ids);
  o.set("start_at", start);
  o.set("periodicity", periodicity);
  return apiCreate(c, "/api/v1/mailings", o, token);
}

Response submit(HttpClient& c, const std::string& path, const Form& form) {
  std::string token = csrfFrom(c.get("/").body);
  if (token.empty()) throw std::runtime_error("the home page has no csrf_token");
  Form f = form;
  f.emplace_back("csrf_token", token);
  return c.post(path, f);
}

std::string fieldError(const std::string& html, const std::string& anchor) {
  auto start = html.find(anchor);
  if (start == std::string::npos) return "";
  auto end = html.find("class=\"form-label", start + anchor.size());
  auto formEnd = html.find("</form>", start);
  if (end == std::string::npos || (formEnd != std::string::npos && formEnd < end)) end = formEnd;
  const std::string marker = "class=\"invalid-feedback d-block\">";
  auto pos = html.find(marker, start);
  if (pos == std::string::npos || (end != std::string::npos && pos > end)) return "";
  pos += marker.size();
  return html.substr(pos, html.find("</div>", pos) - pos);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::int64_t utcEpoch(int year, int month, int day, int hour, int minute) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::int64_t epochOf(const std::string& iso) {
  int y, mo, d, h, mi, s;
  char rest[16] = {0};
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%15s", &y, &mo, &d, &h, &mi, &s, rest) != 7)
    return -1;
  std::int64_t t = utcEpoch(y, mo, d, h, mi) + s;
  std::string off = rest;
  if (off == "Z") return t;
  int oh = 0, om = 0;
  if (off.size() != 6 || (off[0] != '+' && off[0] != '-') ||
      std::sscanf(off.c_str() + 1, "%2d:%2d", &oh, &om) != 2)
    return -1;
  int sign = off[0] == '+' ? 1 : -1;
  return t - sign * (oh * 3600 + om * 60);
}

void TwoUsers::SetUp() {
  server = std::make_unique<MailwrightServer>(ServerOptions{.serveArgs = {"--no-scheduler"}});
  MW_SKIP_IF_UNAVAILABLE();
  createUser(*server, "anna@example.com");
  createUser(*server, "boris@example.com");
  token = tokenFor(*server, "anna@example.com");
  otherToken = tokenFor(*server, "boris@example.com");
  web = std::make_unique<HttpClient>(server->baseUrl());
  ASSERT_EQ(login(*web, "anna@example.com").status, 303);
  api = std::make_unique<HttpClient>(server->baseUrl());
}

int TwoUsers::total(const std::string& path, const std::string& t) {
  auto r = api->getJson(path, t.empty() ? token : t);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json()->getValue<int>("total");
}

std::string isoIn(int seconds) {
  std::time_t t = std::time(nullptr) + seconds;
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace mw::test
