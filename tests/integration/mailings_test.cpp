// Mailings through pages and the API: validation of every field, ownership of the message and
// clients, pagination, search and status filter, times in the user's time zone.
#include <gtest/gtest.h>

#include "app.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

class Mailings : public TwoUsers {
 protected:
  void SetUp() override {
    TwoUsers::SetUp();
    if (HasFatalFailure() || testUnavailable()) return;
    client = apiClient(*api, token, "c1@example.com", "Клиент");
    message = apiMessage(*api, token, "Новости");
    othersClient = apiClient(*api, otherToken, "c2@example.com");
    othersMessage = apiMessage(*api, otherToken, "Чужое");
  }
  int total(const std::string& query = "", const std::string& t = "") {
    return TwoUsers::total("/api/v1/mailings" + query, t);
  }
  Form valid() {
    return {{"name", "Весенняя рассылка"},
            {"message_id", std::to_string(message)},
            {"client_ids", std::to_string(client)},
            {"start_at", "2031-03-10T09:30"},
            {"end_at", ""},
            {"periodicity", "weekly"}};
  }
  static Form with(Form f, const std::string& key, const std::string& value) {
    for (auto& [k, v] : f)
      if (k == key) v = value;
    return f;
  }
  void setTimeZone(const std::string& tz) {
    auto r = submit(*web, "/profile", {{"name", "Anna"}, {"timezone", tz}});
    ASSERT_EQ(r.status, 303) << r.body;
  }
  std::int64_t client = 0, message = 0, othersClient = 0, othersMessage = 0;
};

}  // namespace

TEST_F(Mailings, FormShowsEachErrorBesideItsFieldAndWritesNothing) {
  struct Bad {
    Form form;
    std::string anchor;
    std::string error;
  };
  const std::string clients = "id=\"client-list\"";
  std::vector<Bad> bad{
      {with(valid(), "name", " "), "id=\"name\"", "This field is required."},
      {with(valid(), "message_id", ""), "id=\"message_id\"", "Choose one of your messages."},
      {with(valid(), "message_id", std::to_string(othersMessage)), "id=\"message_id\"",
       "Choose one of your messages."},
      {with(valid(), "message_id", std::to_string(message) + "abc"), "id=\"message_id\"",
       "Choose one of your messages."},
      {with(valid(), "client_ids", ""), clients, "Choose at least one of your clients."},
      {with(valid(), "client_ids", std::to_string(othersClient)), clients,
       "Choose at least one of your clients."},
      {with(valid(), "end_at", "2031-03-10T09:00"), "id=\"end_at\"",
       "The end must be after the start."},
      {with(valid(), "periodicity", "yearly"), "id=\"periodicity\"",
       "Choose once, daily, weekly or monthly."},
      {with(valid(), "start_at", "2031-02-30T10:00"), "id=\"start_at\"", "Enter a date and time."},
      {with(valid(), "start_at", "tomorrow"), "id=\"start_at\"", "Enter a date and time."},
      {with(valid(), "end_at", "10.03.2031"), "id=\"end_at\"", "Enter a date and time."},
  };
  // A list of my client and someone else's is refused as a whole.
  auto mixed = valid();
  mixed.emplace_back("client_ids", std::to_string(othersClient));
  bad.push_back({mixed, clients, "Choose at least one of your clients."});
  for (const auto& b : bad) {
    auto r = submit(*web, "/mailings", b.form);
    EXPECT_EQ(r.status, 422) << b.anchor;
    EXPECT_EQ(fieldError(r.body, b.anchor), b.error) << b.anchor;
    EXPECT_TRUE(contains(r.body, "Весенняя рассылка") || b.anchor == "id=\"name\"");
  }
  EXPECT_EQ(total(), 0);
  // Someone else's client is never offered either.
  EXPECT_FALSE(contains(web->get("/mailings/new").body, "c2@example.com"));
  // The start is empty on a new mailing, as its help says ("leave it empty to start now").
  EXPECT_TRUE(
      contains(web->get("/mailings/new").body,
               "name=\"start_at\" type=\"datetime-local\" class=\"form-control \" value=\"\""));

  auto r = submit(*web, "/mailings", valid());
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(total(), 1);
  auto path = r.location();
  auto view = web->get(path);
  EXPECT_EQ(view.status, 200);
  EXPECT_TRUE(contains(view.body, "c1@example.com"));

  // Editing with a bad field changes nothing.
  r = submit(*web, path, with(valid(), "client_ids", std::to_string(othersClient)));
  EXPECT_EQ(r.status, 422);
  auto m = api->getJson("/api/v1" + path, token).json();
  EXPECT_EQ(m->getArray("client_ids")->size(), 1u);
  EXPECT_EQ(m->getArray("client_ids")->getElement<std::int64_t>(0), client);
}

TEST_F(Mailings, ApiAnswersValidationErrorsAsJson) {
  auto body = [&](const std::string& changes) {
    std::string b = R"({"name":"API","message_id":)" + std::to_string(message) +
                    R"(,"client_ids":[)" + std::to_string(client) +
                    R"(],"start_at":"2031-01-01T10:00:00+03:00","periodicity":"daily")";
    return b + (changes.empty() ? "" : "," + changes) + "}";
  };
  struct Bad {
    std::string changes;
    std::string field;
  };
  std::vector<Bad> bad{
      {R"("name":"")", "name"},
      {R"("message_id":0)", "message_id"},
      {R"("message_id":)" + std::to_string(othersMessage), "message_id"},
      {R"("message_id":"1")", "message_id"},
      {R"("client_ids":[])", "client_ids"},
      {R"("client_ids":[)" + std::to_string(othersClient) + "]", "client_ids"},
      {R"("client_ids":[)" + std::to_string(client) + "," + std::to_string(othersClient) + "]",
       "client_ids"},
      {R"("client_ids":["x"])", "client_ids"},
      {R"("client_ids":[18446744073709551615])", "client_ids"},
      {R"("message_id":18446744073709551615)", "message_id"},
      {R"("client_ids":5)", "client_ids"},
      {R"("periodicity":"hourly")", "periodicity"},
      {R"("start_at":"2031-01-01 10:00")", "start_at"},
      {R"("start_at":"2031-13-01T10:00:00Z")", "start_at"},
      {R"("end_at":"2030-12-31T10:00:00Z")", "end_at"},
      {R"("end_at":"2031-01-01T07:00:00Z")", "end_at"},  // equal to the start
  };
  for (const auto& b : bad) {
    auto r = api->postJson("/api/v1/mailings", body(b.changes), token);
    EXPECT_EQ(r.status, 422) << b.changes << " " << r.body;
    EXPECT_TRUE(r.json()->has("error")) << b.changes;
    EXPECT_TRUE(r.json()->getObject("fields")->has(b.field)) << b.changes << " " << r.body;
  }
  EXPECT_EQ(total(), 0);
  auto r = api->postJson("/api/v1/mailings", body(R"("end_at":"2031-02-01T00:00:00Z")"), token);
  ASSERT_EQ(r.status, 201) << r.body;
  auto m = r.json();
  EXPECT_EQ(epochOf(m->getValue<std::string>("start_at")), utcEpoch(2031, 1, 1, 7, 0));
  EXPECT_EQ(epochOf(m->getValue<std::string>("end_at")), utcEpoch(2031, 2, 1, 0, 0));
  EXPECT_EQ(m->getValue<std::string>("status"), "created");
  EXPECT_TRUE(m->getValue<bool>("is_active"));
  auto path = "/api/v1/mailings/" + std::to_string(m->getValue<std::int64_t>("id"));
  r = api->patchJson(path, R"({"client_ids":[)" + std::to_string(othersClient) + "]}", token);
  EXPECT_EQ(r.status, 422);
  r = api->patchJson(path, R"({"end_at":"2030-01-01T00:00:00Z"})", token);
  EXPECT_EQ(r.status, 422);
  r = api->patchJson(path, R"({"end_at":null,"periodicity":"monthly"})", token);
  EXPECT_EQ(r.status, 200) << r.body;
  m = api->getJson(path, token).json();
  EXPECT_TRUE(m->isNull("end_at"));
  EXPECT_EQ(m->getValue<std::string>("periodicity"), "monthly");
  EXPECT_EQ(m->getArray("client_ids")->getElement<std::int64_t>(0), client);
}

TEST_F(Mailings, ListPagesSearchesAndFiltersByStatus) {
  for (int i = 1; i <= 22; ++i)
    apiMailing(*api, token, message, {client},
               (i % 3 == 0 ? "Акция " : "Digest ") + std::to_string(i));
  apiMailing(*api, otherToken, othersMessage, {othersClient}, "Акция соседа");
  // A mailing whose whole schedule is already over is completed at once.
  apiMailing(*api, token, message, {client}, "Finished", "2020-01-01T00:00:00Z");
  auto m = api->getJson("/api/v1/mailings?q=Finished", token).json();
  ASSERT_EQ(m->getValue<int>("total"), 1);
  auto id = std::to_string(m->getArray("items")->getObject(0)->getValue<std::int64_t>("id"));
  EXPECT_EQ(api->patchJson("/api/v1/mailings/" + id, R"({"end_at":"2020-06-01T00:00:00Z"})", token)
                .status,
            200);

  const std::string row = "class=\"fw-semibold\">";
  auto count = [&](const std::string& html) {
    int n = 0;
    for (size_t p = 0; (p = html.find(row, p)) != std::string::npos; ++p) ++n;
    return n;
  };
  auto r = web->get("/mailings");
  EXPECT_EQ(count(r.body), 20);
  EXPECT_TRUE(contains(r.body, "1 / 2"));
  r = web->get("/mailings?page=2");
  EXPECT_EQ(count(r.body), 3);
  r = web->get("/mailings?q=" + urlEncode("акция"));
  EXPECT_EQ(count(r.body), 7);
  EXPECT_FALSE(contains(r.body, "соседа"));
  r = web->get("/mailings?status=completed");
  EXPECT_EQ(count(r.body), 1);
  EXPECT_TRUE(contains(r.body, "Finished"));
  r = web->get("/mailings?status=created&q=digest&page=2");
  EXPECT_EQ(count(r.body), 0);
  EXPECT_EQ(r.status, 200);
  r = web->get("/mailings?status=created&q=digest");
  EXPECT_EQ(count(r.body), 15);

  EXPECT_EQ(total(), 23);
  EXPECT_EQ(total("?q=Digest"), 15);
  EXPECT_EQ(total("?status=completed"), 1);
  EXPECT_EQ(total("?status=created"), 22);
  auto o = api->getJson("/api/v1/mailings?per_page=7&page=4", token).json();
  EXPECT_EQ(o->getArray("items")->size(), 2u);
  EXPECT_EQ(o->getValue<int>("total"), 23);
}

TEST_F(Mailings, FormTimesAreTheUsersLocalTimeStoredAsUtc) {
  setTimeZone("Asia/Tokyo");
  auto r =
      submit(*web, "/mailings",
             with(with(valid(), "start_at", "2031-03-10T09:30"), "end_at", "2031-06-01T18:00"));
  ASSERT_EQ(r.status, 303) << r.body;
  auto path = r.location();
  auto m = api->getJson("/api/v1" + path, token).json();
  EXPECT_EQ(epochOf(m->getValue<std::string>("start_at")), utcEpoch(2031, 3, 10, 0, 30));
  EXPECT_EQ(epochOf(m->getValue<std::string>("end_at")), utcEpoch(2031, 6, 1, 9, 0));
  EXPECT_TRUE(contains(m->getValue<std::string>("start_at"), "+09:00"));
  EXPECT_TRUE(contains(web->get(path).body, "10.03.2031 09:30"));
  EXPECT_TRUE(contains(web->get(path + "/edit").body, "value=\"2031-03-10T09:30\""));

  // Daylight saving: New York is UTC-5 in January and UTC-4 in July.
  setTimeZone("America/New_York");
  r = submit(*web, "/mailings",
             with(with(valid(), "start_at", "2031-01-15T09:00"), "end_at", "2031-07-15T09:00"));
  ASSERT_EQ(r.status, 303) << r.body;
  m = api->getJson("/api/v1" + r.location(), token).json();
  EXPECT_EQ(epochOf(m->getValue<std::string>("start_at")), utcEpoch(2031, 1, 15, 14, 0));
  EXPECT_EQ(epochOf(m->getValue<std::string>("end_at")), utcEpoch(2031, 7, 15, 13, 0));
  // The Tokyo mailing keeps its instant; it is shown in the new zone.
  auto first = api->getJson("/api/v1" + path, token).json();
  EXPECT_EQ(epochOf(first->getValue<std::string>("start_at")), utcEpoch(2031, 3, 10, 0, 30));
  EXPECT_TRUE(contains(web->get(path).body, "09.03.2031 20:30"));
  // An ISO time with an offset through the API means that instant, whatever the profile says.
  auto id = apiMailing(*api, token, message, {client}, "ISO", "2031-05-05T12:00:00+02:00");
  m = api->getJson("/api/v1/mailings/" + std::to_string(id), token).json();
  EXPECT_EQ(epochOf(m->getValue<std::string>("start_at")), utcEpoch(2031, 5, 5, 10, 0));
}
