// Messages through pages and the API: validation, pagination and search, messages in use,
// the shared library (read-only for others, copy to own).
#include <gtest/gtest.h>

#include "app.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

class Messages : public TwoUsers {
 protected:
  void SetUp() override {
    TwoUsers::SetUp();
    if (HasFatalFailure() || testUnavailable()) return;
    otherWeb = std::make_unique<HttpClient>(server->baseUrl());
    ASSERT_EQ(login(*otherWeb, "boris@example.com").status, 303);
  }
  int total(const std::string& query = "", const std::string& t = "") {
    return TwoUsers::total("/api/v1/messages" + query, t);
  }
  std::unique_ptr<HttpClient> otherWeb;
};

int rows(const std::string& html, const std::string& marker) {
  int n = 0;
  for (size_t pos = 0; (pos = html.find(marker, pos)) != std::string::npos; ++pos) ++n;
  return n;
}

}  // namespace

TEST_F(Messages, FormShowsEachErrorBesideItsFieldAndWritesNothing) {
  auto r = submit(*web, "/messages", {{"subject", ""}, {"body_text", "Hello"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(fieldError(r.body, "id=\"subject\""), "This field is required.");
  EXPECT_EQ(fieldError(r.body, "id=\"body_text\""), "");
  EXPECT_TRUE(contains(r.body, ">Hello</textarea>"));

  r = submit(*web, "/messages", {{"subject", "Empty"}, {"body_text", "  "}, {"body_html", " "}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(fieldError(r.body, "id=\"subject\""), "");
  EXPECT_EQ(fieldError(r.body, "id=\"body_text\""),
            "Write the text or the HTML version of the message.");

  r = submit(*web, "/messages", {{"subject", "Broken"}, {"body_text", "Hi {{#name}"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_FALSE(fieldError(r.body, "id=\"body_text\"").empty());
  EXPECT_EQ(total(), 0);

  // HTML alone is a message; the redirect leads to its preview.
  r = submit(*web, "/messages",
             {{"subject", "Только HTML"}, {"body_html", "<p>Привет, {{name}}</p>"}});
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(web->get(r.location()).status, 200);
  EXPECT_EQ(total(), 1);
}

TEST_F(Messages, ApiAnswersValidationErrorsAsJson) {
  struct Bad {
    std::string body;
    std::string field;
  };
  std::vector<Bad> bad{
      {R"({"body_text":"no subject"})", "subject"},
      {R"({"subject":"   ","body_text":"blank subject"})", "subject"},
      {R"({"subject":"No body"})", "body_text"},
      {R"({"subject":"Blank","body_text":"","body_html":""})", "body_text"},
      {R"({"subject":5,"body_text":"x"})", "subject"},
      {R"({"subject":"Shared?","body_text":"x","is_shared":"yes"})", "is_shared"},
  };
  for (const auto& b : bad) {
    auto r = api->postJson("/api/v1/messages", b.body, token);
    EXPECT_EQ(r.status, 422) << b.body << " " << r.body;
    EXPECT_TRUE(r.json()->has("error"));
    EXPECT_TRUE(r.json()->getObject("fields")->has(b.field)) << b.body << " " << r.body;
  }
  EXPECT_EQ(api->postJson("/api/v1/messages", "not json", token).status, 400);
  EXPECT_EQ(total(), 0);

  auto id = std::to_string(apiMessage(*api, token, "Subject", "Text"));
  auto r = api->patchJson("/api/v1/messages/" + id, R"({"subject":""})", token);
  EXPECT_EQ(r.status, 422);
  r = api->patchJson("/api/v1/messages/" + id, R"({"body_text":""})", token);
  EXPECT_EQ(r.status, 422);
  auto m = api->getJson("/api/v1/messages/" + id, token).json();
  EXPECT_EQ(m->getValue<std::string>("subject"), "Subject");
  EXPECT_EQ(m->getValue<std::string>("body_text"), "Text");
}

TEST_F(Messages, ListPagesAndSearches) {
  for (int i = 1; i <= 23; ++i)
    apiMessage(*api, token, (i % 4 == 0 ? "Скидки " : "News ") + std::to_string(i), "Body");
  apiMessage(*api, otherToken, "Скидки у соседа", "Body");
  const std::string row = "<a class=\"fw-semibold\" href=\"/messages/";
  auto r = web->get("/messages");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(rows(r.body, row), 20);
  EXPECT_TRUE(contains(r.body, "1 / 2"));
  EXPECT_FALSE(contains(r.body, "News 1<"));  // newest first
  r = web->get("/messages?page=2");
  EXPECT_EQ(rows(r.body, row), 3);
  EXPECT_TRUE(contains(r.body, "2 / 2"));
  EXPECT_TRUE(contains(r.body, "News 1<"));
  r = web->get("/messages?q=" + urlEncode("Скидки"));
  EXPECT_TRUE(contains(r.body, "Скидки 4"));
  EXPECT_TRUE(contains(r.body, "Скидки 20"));
  EXPECT_FALSE(contains(r.body, "News"));
  EXPECT_FALSE(contains(r.body, "у соседа"));
  EXPECT_EQ(rows(r.body, row), 5);

  auto o = api->getJson("/api/v1/messages?per_page=5&page=5", token).json();
  EXPECT_EQ(o->getValue<int>("total"), 23);
  EXPECT_EQ(o->getArray("items")->size(), 3u);
  EXPECT_EQ(total("?q=" + urlEncode("Скидки")), 5);
  EXPECT_EQ(total("?q=" + urlEncode("скидки")), 5);
  EXPECT_EQ(total("?q=" + urlEncode("СКИДКИ 2")), 1);
  EXPECT_EQ(total("?q=news%201"), 9);  // News 1 and 10..19 but 12 and 16
}

TEST_F(Messages, AMessageInUseIsExplainedAndKept) {
  auto client = apiClient(*api, token, "r@example.com");
  auto id = apiMessage(*api, token, "Used");
  auto mailing = apiMailing(*api, token, id, {client}, "Autumn newsletter");
  auto path = "/messages/" + std::to_string(id);
  auto r = web->get(path + "/delete");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(contains(r.body, "Autumn newsletter"));
  EXPECT_TRUE(contains(r.body, "Change or delete them first"));
  r = submit(*web, path + "/delete", {});
  EXPECT_EQ(r.status, 303);
  EXPECT_TRUE(contains(web->get(r.location()).body,
                       "The message is used by mailings and was not deleted."));
  r = api->del("/api/v1" + path, token);
  EXPECT_EQ(r.status, 409);
  EXPECT_TRUE(contains(r.json()->getValue<std::string>("error"), "Autumn newsletter"));
  EXPECT_EQ(api->getJson("/api/v1" + path, token).status, 200);
  EXPECT_EQ(api->del("/api/v1/mailings/" + std::to_string(mailing), token).status, 204);
  EXPECT_EQ(api->del("/api/v1" + path, token).status, 204);
}

TEST_F(Messages, SharedMessagesAreReadOnlyForOthersAndCanBeCopied) {
  auto r = submit(*web, "/messages",
                  {{"subject", "Шаблон для всех"},
                   {"body_text", "Здравствуйте, {{name}}!"},
                   {"is_shared", "1"}});
  ASSERT_EQ(r.status, 303) << r.body;
  auto shared = apiMessage(*api, token, "Private draft");
  auto all = api->getJson("/api/v1/messages", token).json()->getArray("items");
  std::int64_t id = 0;
  for (size_t i = 0; i < all->size(); ++i)
    if (all->getObject(i)->getValue<bool>("is_shared"))
      id = all->getObject(i)->getValue<std::int64_t>("id");
  ASSERT_GT(id, 0);
  auto path = "/messages/" + std::to_string(id);

  // In the other user's library, with the author; private messages are not.
  auto lib = otherWeb->get("/messages/library");
  EXPECT_TRUE(contains(lib.body, "Шаблон для всех"));
  EXPECT_TRUE(contains(lib.body, "anna@example.com"));
  EXPECT_FALSE(contains(lib.body, "Private draft"));
  EXPECT_FALSE(contains(web->get("/messages/library").body, "Шаблон для всех"));
  auto libApi = api->getJson("/api/v1/messages?shared=1", otherToken).json();
  EXPECT_EQ(libApi->getValue<int>("total"), 1);
  EXPECT_EQ(total("", otherToken), 0);  // not among the other user's own messages

  // Readable, never writable by the other user.
  auto view = otherWeb->get(path);
  EXPECT_EQ(view.status, 200);
  EXPECT_FALSE(contains(view.body, path + "/edit"));
  EXPECT_TRUE(contains(view.body, path + "/copy"));
  EXPECT_EQ(otherWeb->get(path + "/edit").status, 404);
  EXPECT_EQ(submit(*otherWeb, path, {{"subject", "Hijacked"}, {"body_text", "x"}}).status, 404);
  EXPECT_EQ(submit(*otherWeb, path + "/delete", {}).status, 404);
  EXPECT_EQ(api->getJson("/api/v1" + path, otherToken).status, 200);
  EXPECT_EQ(api->patchJson("/api/v1" + path, R"({"subject":"Hijacked"})", otherToken).status, 404);
  EXPECT_EQ(api->del("/api/v1" + path, otherToken).status, 404);
  EXPECT_EQ(api->getJson("/api/v1/messages/" + std::to_string(shared), otherToken).status, 404);
  // A mailing cannot use someone else's message, shared or not: it must be copied first.
  auto client = apiClient(*api, otherToken, "c@example.com");
  Poco::JSON::Object m;
  m.set("name", "Borrowed");
  m.set("message_id", id);
  Poco::JSON::Array ids;
  ids.add(client);
  m.set("client_ids", ids);
  EXPECT_EQ(api->postJson("/api/v1/mailings", toJson(m), otherToken).status, 422);

  // The copy is the other user's own, private and editable; the original is untouched.
  r = submit(*otherWeb, path + "/copy", {});
  ASSERT_EQ(r.status, 303);
  auto copyPath = r.location().substr(0, r.location().rfind("/edit"));
  EXPECT_NE(copyPath, path);
  auto copy = api->getJson("/api/v1" + copyPath, otherToken).json();
  EXPECT_EQ(copy->getValue<std::string>("subject"), "Шаблон для всех");
  EXPECT_EQ(copy->getValue<std::string>("body_text"), "Здравствуйте, {{name}}!");
  EXPECT_FALSE(copy->getValue<bool>("is_shared"));
  EXPECT_EQ(api->patchJson("/api/v1" + copyPath, R"({"subject":"Мой вариант"})", otherToken).status,
            200);
  EXPECT_EQ(api->getJson("/api/v1" + path, token).json()->getValue<std::string>("subject"),
            "Шаблон для всех");
  EXPECT_EQ(total("", otherToken), 1);
  EXPECT_EQ(api->getJson("/api/v1" + copyPath, token).status, 404);

  // Unsharing takes it out of the library.
  EXPECT_EQ(api->patchJson("/api/v1" + path, R"({"is_shared":false})", token).status, 200);
  EXPECT_EQ(otherWeb->get(path).status, 404);
  EXPECT_FALSE(contains(otherWeb->get("/messages/library").body, "Шаблон для всех"));
}
