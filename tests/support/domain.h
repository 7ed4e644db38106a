// Shortcuts for the clients/messages/mailings/users tests: objects through the JSON API, forms
// with the CSRF token of the home page, and checks on rendered HTML.
#pragma once
#include <Poco/JSON/Object.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "http_client.h"
#include "mailwright_server.h"

namespace mw::test {

std::string toJson(const Poco::JSON::Object& o);
// POSTs body to path and returns the new object's id; throws with the answer unless 201.
std::int64_t apiCreate(HttpClient& c, const std::string& path, const Poco::JSON::Object& body,
                       const std::string& token);
std::int64_t apiClient(HttpClient& c, const std::string& token, const std::string& email,
                       const std::string& fullName = "");
std::int64_t apiMessage(HttpClient& c, const std::string& token, const std::string& subject,
                        const std::string& text = "Hello, {{name}}!");
// A once-mailing starting far in the future (nothing is sent) unless told otherwise.
std::int64_t apiMailing(HttpClient& c, const std::string& token, std::int64_t messageId,
                        const std::vector<std::int64_t>& clientIds,
                        const std::string& name = "Mailing",
                        const std::string& start = "2035-01-01T09:00:00Z",
                        const std::string& periodicity = "once");

// Posts a form with the csrf_token taken from the home page (every page carries one).
Response submit(HttpClient& c, const std::string& path, const Form& form);

// The message of the invalid-feedback shown after `anchor` (e.g. `id="email"`) and before the
// next field label; "" when that field shows no error.
std::string fieldError(const std::string& html, const std::string& anchor);
bool contains(const std::string& text, const std::string& part);
// Epoch seconds of an ISO 8601 time with a Z or ±HH:MM offset; -1 when malformed.
std::int64_t epochOf(const std::string& iso);
// The UTC time `seconds` from now as ISO 8601 ("2026-12-07T15:00:00Z"), for start_at.
std::string isoIn(int seconds);
// Epoch seconds of a UTC calendar time.
std::int64_t utcEpoch(int year, int month, int day, int hour, int minute);

// Two users, Anna and Boris, with API tokens; `web` is Anna's signed-in browser. No scheduler runs.
class TwoUsers : public ::testing::Test {
 protected:
  void SetUp() override;
  // The "total" of a JSON list (e.g. "/api/v1/clients?q=x"), as Anna or with another token.
  int total(const std::string& path, const std::string& t = "");
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> web, api;
  std::string token, otherToken;
};

}  // namespace mw::test
