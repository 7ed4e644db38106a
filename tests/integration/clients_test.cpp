// Clients through pages and the API: validation, uniqueness per owner, pagination and search,
// clients in use, CSV import and export.
#include <gtest/gtest.h>

#include "app.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

class Clients : public TwoUsers {
 protected:
  int total(const std::string& query = "", const std::string& t = "") {
    return TwoUsers::total("/api/v1/clients" + query, t);
  }
  Response upload(const std::string& csv) {
    std::string page = web->get("/clients/import").body;
    return web->postMultipart("/clients/import", {{"csrf_token", csrfFrom(page)}},
                              {{"file", "clients.csv", "text/csv", csv}});
  }
};

// Rows of the clients table on a list page.
int rows(const std::string& html) {
  int n = 0;
  for (size_t pos = 0;
       (pos = html.find("/edit\"><i class=\"bi bi-pencil", pos)) != std::string::npos; ++pos)
    ++n;
  return n;
}

}  // namespace

TEST_F(Clients, FormShowsEachErrorBesideItsFieldAndWritesNothing) {
  auto r = submit(*web, "/clients", {{"email", "not an email"}, {"full_name", "Иван"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(fieldError(r.body, "id=\"email\""), "Enter a valid email address.");
  EXPECT_EQ(fieldError(r.body, "id=\"full_name\""), "");
  EXPECT_TRUE(contains(r.body, "value=\"not an email\""));
  EXPECT_TRUE(contains(r.body, "value=\"Иван\""));

  r = submit(*web, "/clients", {{"email", "  "}, {"full_name", std::string(201, 'x')}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(fieldError(r.body, "id=\"email\""), "This field is required.");
  EXPECT_FALSE(fieldError(r.body, "id=\"full_name\"").empty());
  EXPECT_EQ(total(), 0);

  // Unique per owner, whatever the case; another owner may keep the same address.
  EXPECT_EQ(submit(*web, "/clients", {{"email", "Ivan@Example.com"}}).status, 303);
  r = submit(*web, "/clients", {{"email", "ivan@EXAMPLE.com"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(fieldError(r.body, "id=\"email\""), "You already have a client with this email.");
  EXPECT_EQ(total(), 1);
  EXPECT_EQ(api->postJson("/api/v1/clients", R"({"email":"ivan@example.com"})", otherToken).status,
            201);

  // Editing into a duplicate is refused the same way and changes nothing.
  auto second = apiClient(*api, token, "petr@example.com", "Пётр");
  r = submit(*web, "/clients/" + std::to_string(second),
             {{"email", "IVAN@example.com"}, {"full_name", "Changed"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(fieldError(r.body, "id=\"email\""), "You already have a client with this email.");
  auto c = api->getJson("/api/v1/clients/" + std::to_string(second), token).json();
  EXPECT_EQ(c->getValue<std::string>("email"), "petr@example.com");
  EXPECT_EQ(c->getValue<std::string>("full_name"), "Пётр");
}

TEST_F(Clients, ApiAnswersValidationErrorsAsJson) {
  auto r = api->postJson("/api/v1/clients", R"({"email":"bad@"})", token);
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(r.json()->has("error"));
  EXPECT_TRUE(r.json()->getObject("fields")->has("email"));
  r = api->postJson("/api/v1/clients", R"({"full_name":"No email"})", token);
  EXPECT_EQ(r.status, 422);
  r = api->postJson("/api/v1/clients", R"({"email":42})", token);
  EXPECT_EQ(r.status, 422);
  r = api->postJson("/api/v1/clients", R"({"email":"x@example.com")", token);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.json()->has("error"));
  r = api->postJson("/api/v1/clients", R"(["x@example.com"])", token);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(total(), 0);

  auto id = std::to_string(apiClient(*api, token, "one@example.com"));
  apiClient(*api, token, "two@example.com");
  r = api->postJson("/api/v1/clients", R"({"email":"ONE@example.com"})", token);
  EXPECT_EQ(r.status, 409);
  EXPECT_TRUE(r.json()->has("error"));
  r = api->patchJson("/api/v1/clients/" + id, R"({"email":"two@example.com"})", token);
  EXPECT_EQ(r.status, 409);
  r = api->patchJson("/api/v1/clients/" + id, R"({"email":"nope"})", token);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(api->getJson("/api/v1/clients/" + id, token).json()->getValue<std::string>("email"),
            "one@example.com");
  EXPECT_EQ(api->getJson("/api/v1/clients/abc", token).status, 404);
  EXPECT_EQ(api->getJson("/api/v1/clients/99999", token).status, 404);
  EXPECT_EQ(total(), 2);
}

TEST_F(Clients, ListPagesAndSearches) {
  for (int i = 1; i <= 25; ++i) {
    char email[64];
    std::snprintf(email, sizeof email, "user%02d@example.com", i);
    apiClient(*api, token, email, i % 5 == 0 ? "Иван Петров " + std::to_string(i) : "Someone");
  }
  apiClient(*api, token, "percent@example.com", "100% sure");
  apiClient(*api, otherToken, "user01@other.example", "Иван Петров");

  auto r = web->get("/clients");
  EXPECT_EQ(rows(r.body), 20);
  EXPECT_TRUE(contains(r.body, "1 / 2"));
  EXPECT_TRUE(contains(r.body, "/clients?page=2"));
  r = web->get("/clients?page=2");
  EXPECT_EQ(rows(r.body), 6);
  EXPECT_TRUE(contains(r.body, "user01@example.com"));  // newest first: the first is last
  r = web->get("/clients?page=99");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(rows(r.body), 0);

  r = web->get("/clients?q=" + urlEncode("Иван"));
  EXPECT_EQ(rows(r.body), 5);
  EXPECT_FALSE(contains(r.body, "other.example"));
  r = web->get("/clients?q=USER1");
  EXPECT_EQ(rows(r.body), 10);
  r = web->get("/clients?q=%25");  // a literal %, not a wildcard
  EXPECT_EQ(rows(r.body), 1);
  EXPECT_TRUE(contains(r.body, "percent@example.com"));
  r = web->get("/clients?q=nobody-here");
  EXPECT_EQ(rows(r.body), 0);
  EXPECT_EQ(r.status, 200);

  auto o = api->getJson("/api/v1/clients?per_page=10&page=3", token).json();
  EXPECT_EQ(o->getValue<int>("total"), 26);
  EXPECT_EQ(o->getArray("items")->size(), 6u);
  // Case-insensitive for Cyrillic too, on every database.
  r = web->get("/clients?q=" + urlEncode("иван петров"));
  EXPECT_EQ(rows(r.body), 5);
  o = api->getJson("/api/v1/clients?per_page=2&q=" + urlEncode("ИВАН"), token).json();
  EXPECT_EQ(o->getValue<int>("total"), 5);
  EXPECT_EQ(o->getArray("items")->size(), 2u);
  EXPECT_EQ(total("?q=_"), 0);  // literal underscore
  EXPECT_EQ(total("?per_page=0&page=-3"), 26);
}

TEST_F(Clients, AClientInAMailingCanAlwaysBeDeletedAndLeavesIt) {
  auto id = apiClient(*api, token, "busy@example.com", "Busy");
  auto other = apiClient(*api, token, "stays@example.com", "Stays");
  auto msg = apiMessage(*api, token, "Hello");
  auto mailing = apiMailing(*api, token, msg, {id, other}, "Spring sale");
  auto path = "/clients/" + std::to_string(id);

  // The page names the mailings it leaves, and deletes anyway.
  auto r = web->get(path + "/delete");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(contains(r.body, "Spring sale"));
  EXPECT_TRUE(contains(r.body, "deleting removes it from them"));
  r = submit(*web, path + "/delete", {});
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.location(), "/clients");
  EXPECT_EQ(api->getJson("/api/v1" + path, token).status, 404);
  auto m = api->getJson("/api/v1/mailings/" + std::to_string(mailing), token).json();
  EXPECT_EQ(m->getArray("client_ids")->size(), 1u);

  // The API too, and another user cannot delete it.
  auto otherPath = "/api/v1/clients/" + std::to_string(other);
  EXPECT_EQ(api->del(otherPath, otherToken).status, 404);
  EXPECT_EQ(api->del(otherPath, token).status, 204);
  EXPECT_EQ(api->getJson(otherPath, token).status, 404);
  EXPECT_EQ(api->getJson("/api/v1/mailings/" + std::to_string(mailing), token).status, 200);
}

TEST_F(Clients, ResubscribeKeepsWhenAndWho) {
  auto id = apiClient(*api, token, "back@example.com");
  auto path = "/api/v1/clients/" + std::to_string(id) + "/resubscribe";
  auto r = api->postJson(path, "{}", token);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.json()->has("resubscribed_at"));  // never unsubscribed: nothing to record
  EXPECT_EQ(api->postJson(path, "{}", otherToken).status, 404);
  EXPECT_EQ(api->postJson("/api/v1/clients/99999/resubscribe", "{}", token).status, 404);
}

TEST_F(Clients, CsvImportReportsRejectedRowsAndExportRoundTrips) {
  apiClient(*api, token, "existing@example.com", "Уже есть");
  std::string csv =
      "\xEF\xBB\xBF"
      "email;ФИО;комментарий\r\n"
      "ivan@example.com;Иван Петров;\"VIP; постоянный\"\r\n"
      "not-an-email;Плохой адрес;\r\n"
      "Olga@Example.com;Ольга \"Оля\" Смирнова;\r\n"
      "IVAN@example.com;Повтор;\r\n"
      "existing@example.com;Уже есть;\r\n"
      "\r\n"
      "\"quoted@example.com\";\"Ёлкина, Мария\";\"строка 1\nстрока 2\"\r\n";
  auto r = upload(csv);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, "id=\"import-imported\">3<"));
  EXPECT_TRUE(contains(r.body, "id=\"import-rejected\">2<"));
  EXPECT_TRUE(contains(r.body, "not-an-email"));
  EXPECT_TRUE(contains(r.body, "Enter a valid email address."));
  EXPECT_TRUE(contains(r.body, "Repeats an email earlier in the file"));
  EXPECT_EQ(total(), 4);
  auto found = api->getJson("/api/v1/clients?q=olga", token).json()->getArray("items");
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->getObject(0)->getValue<std::string>("email"), "olga@example.com");
  EXPECT_EQ(found->getObject(0)->getValue<std::string>("full_name"), "Ольга \"Оля\" Смирнова");

  // Export: UTF-8 with a header row; importing it elsewhere gives the same clients back.
  auto exported = web->get("/clients/export.csv");
  EXPECT_EQ(exported.status, 200);
  EXPECT_TRUE(contains(exported.header("Content-Type"), "text/csv"));
  EXPECT_TRUE(contains(exported.body, "email,full_name,comment"));
  EXPECT_TRUE(contains(exported.body, "\"Ёлкина, Мария\""));
  EXPECT_TRUE(contains(exported.body, "\"VIP; постоянный\""));
  auto r2 = api->request("POST", "/api/v1/clients/import", "csv=" + urlEncode(exported.body),
                         "application/x-www-form-urlencoded",
                         {{"Authorization", "Bearer " + otherToken}});
  ASSERT_EQ(r2.status, 200) << r2.body;
  EXPECT_EQ(r2.json()->getValue<int>("imported"), 4);
  EXPECT_EQ(r2.json()->getArray("rejected")->size(), 0u);
  auto mine = api->getJson("/api/v1/clients?per_page=100", token).json()->getArray("items");
  auto theirs = api->getJson("/api/v1/clients?per_page=100", otherToken).json()->getArray("items");
  ASSERT_EQ(mine->size(), theirs->size());
  std::map<std::string, std::pair<std::string, std::string>> a, b;
  for (size_t i = 0; i < mine->size(); ++i) {
    auto x = mine->getObject(i), y = theirs->getObject(i);
    a[x->getValue<std::string>("email")] = {x->getValue<std::string>("full_name"),
                                            x->getValue<std::string>("comment")};
    b[y->getValue<std::string>("email")] = {y->getValue<std::string>("full_name"),
                                            y->getValue<std::string>("comment")};
  }
  EXPECT_EQ(a, b);
  EXPECT_EQ(a["quoted@example.com"].second, "строка 1\nстрока 2");
  // The API export is the same file.
  EXPECT_EQ(api->get("/api/v1/clients/export", {{"Authorization", "Bearer " + token}}).body,
            exported.body);
}

TEST_F(Clients, UnusableCsvFilesAreRefusedWholeWithAReason) {
  struct Bad {
    std::string csv;
    std::string reason;
  };
  std::vector<Bad> bad{
      {"name,comment\nИван,x\n", "include 'email'"},
      {"", "Choose a file"},
      {"email,full_name\nivan@example.com,\xC8\xE2\xE0\xED\n", "not UTF-8"},  // cp1251
  };
  for (const auto& b : bad) {
    auto r = upload(b.csv);
    EXPECT_EQ(r.status, 422) << b.reason;
    EXPECT_TRUE(contains(r.body, "invalid-feedback")) << b.reason;
    auto a =
        api->postMultipart("/api/v1/clients/import", {}, {{"file", "c.csv", "text/csv", b.csv}},
                           {{"Authorization", "Bearer " + token}});
    EXPECT_TRUE(a.status == 422 || a.status == 400) << a.status << " " << a.body;
    EXPECT_TRUE(a.json()->has("error"));
  }
  EXPECT_EQ(total(), 0);
  // Anonymous visitors import nothing.
  HttpClient anon(server->baseUrl());
  EXPECT_EQ(anon.postMultipart("/api/v1/clients/import", {},
                               {{"file", "c.csv", "text/csv", "email\na@example.com\n"}})
                .status,
            401);
}
