// The admin section through the real binary: access per role, browsing, search, paging, edits
// with validation, role assignment, deletes with confirmation, CSRF.
#include <gtest/gtest.h>

#include <regex>

#include "app.h"
#include "harness.h"

using namespace mw::test;

namespace {

bool has(const std::string& body, const std::string& text) {
  return body.find(text) != std::string::npos;
}

class Admin : public ::testing::Test {
 protected:
  void SetUp() override {
    server = std::make_unique<MailwrightServer>(ServerOptions{.serveArgs = {"--no-scheduler"}});
    MW_SKIP_IF_UNAVAILABLE();
    createUser(*server, "root@example.com", kStrongPassword, "admin");
    createUser(*server, "owner@example.com");
    admin = std::make_unique<HttpClient>(server->baseUrl());
    ASSERT_EQ(login(*admin, "root@example.com").status, 303);
    api = std::make_unique<HttpClient>(server->baseUrl());
    owner = tokenFor(*server, "owner@example.com");
    root = tokenFor(*server, "root@example.com");
  }

  std::int64_t userId(const std::string& email) {
    auto items =
        api->getJson("/api/v1/users?q=" + urlEncode(email), root).json()->getArray("items");
    for (size_t i = 0; i < items->size(); ++i) {
      auto o = items->getObject(static_cast<unsigned>(i));
      if (o->getValue<std::string>("email") == email) return o->getValue<std::int64_t>("id");
    }
    ADD_FAILURE() << "no user " << email;
    return 0;
  }
  std::int64_t client(const std::string& email, const std::string& name = "") {
    auto r = api->postJson("/api/v1/clients",
                           R"({"email":")" + email + R"(","full_name":")" + name + R"("})", owner);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()->getValue<std::int64_t>("id");
  }
  std::int64_t message(const std::string& subject) {
    auto r = api->postJson("/api/v1/messages",
                           R"({"subject":")" + subject + R"(","body_text":"Hello"})", owner);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()->getValue<std::int64_t>("id");
  }
  std::int64_t mailing(std::int64_t msg, std::int64_t clientId) {
    auto r = api->postJson("/api/v1/mailings",
                           R"({"name":"Autumn","message_id":)" + std::to_string(msg) +
                               R"(,"client_ids":[)" + std::to_string(clientId) +
                               R"(],"start_at":"2099-01-01T09:00:00Z","periodicity":"once"})",
                           owner);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()->getValue<std::int64_t>("id");
  }
  Poco::JSON::Object::Ptr clientJson(std::int64_t id) {
    return api->getJson("/api/v1/clients/" + std::to_string(id), owner).json();
  }
  // Row count the index page shows for a table.
  std::string countOf(const std::string& table) {
    auto body = admin->get("/admin").body;
    std::smatch m;
    std::regex re("data-table=\"" + table + "\">([0-9]+)<");
    return std::regex_search(body, m, re) ? m[1].str() : "?";
  }

  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> admin;
  std::unique_ptr<HttpClient> api;
  std::string owner;
  std::string root;
};

}  // namespace

TEST_F(Admin, OnlyAdminsGetInAndOnlyTheySeeTheLink) {
  auto r = admin->get("/admin");
  ASSERT_EQ(r.status, 200) << r.body;
  for (const char* table :
       {"users", "user_roles", "sessions", "api_tokens", "clients", "messages", "mailings",
        "mailing_clients", "runs", "deliveries", "attempts", "articles", "contact_messages"})
    EXPECT_TRUE(has(r.body, "href=\"/admin/" + std::string(table) + "\"")) << table;
  EXPECT_EQ(countOf("users"), "2");
  EXPECT_TRUE(has(r.body, "href=\"/admin\""));  // navbar
  EXPECT_EQ(admin->get("/admin/users").status, 200);

  int users = 0;
  for (const char* role : {"manager", "content_manager", ""}) {
    std::string email = "u" + std::to_string(++users) + "@example.com";
    createUser(*server, email, kStrongPassword, role);
    HttpClient c(server->baseUrl());
    ASSERT_EQ(login(c, email).status, 303);
    auto home = c.get("/");
    EXPECT_FALSE(has(home.body, "href=\"/admin\"")) << role;
    EXPECT_EQ(c.get("/admin").status, 403) << role;
    EXPECT_EQ(c.get("/admin/users").status, 403) << role;
    EXPECT_EQ(c.get("/admin/users/1").status, 403) << role;
    // A forged edit with a valid CSRF token of its own session is still refused.
    auto post = c.postForm("/admin/users/1", {{"email", "x@example.com"}}, "/profile");
    EXPECT_EQ(post.status, 403) << role;
  }

  HttpClient anon(server->baseUrl());
  r = anon.get("/admin/clients?q=a");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.location().rfind("/login?next=", 0), 0u) << r.location();
  EXPECT_FALSE(has(anon.get("/").body, "href=\"/admin\""));
  // Tokens of an admin do not open the pages (bearer tokens are for the API only).
  EXPECT_EQ(api->request("GET", "/admin", "", "", {{"Authorization", "Bearer " + root}}).status,
            400);
}

TEST_F(Admin, BrowsesSearchesAndPagesNewestFirst) {
  std::vector<std::int64_t> ids;
  for (int i = 1; i <= 30; ++i) {
    char email[64];
    std::snprintf(email, sizeof email, "client%02d@example.com", i);
    ids.push_back(client(email, "Имя " + std::to_string(i)));
  }
  EXPECT_EQ(countOf("clients"), "30");

  auto page1 = admin->get("/admin/clients");
  ASSERT_EQ(page1.status, 200);
  EXPECT_TRUE(has(page1.body, "client30@example.com"));
  EXPECT_TRUE(has(page1.body, "client06@example.com"));
  EXPECT_FALSE(has(page1.body, "client05@example.com"));  // 25 per page, newest first
  EXPECT_LT(page1.body.find("client30@"), page1.body.find("client29@"));
  EXPECT_TRUE(has(page1.body, "href=\"/admin/clients/" + std::to_string(ids[29]) + "\""));
  EXPECT_TRUE(has(page1.body, "href=\"/admin/clients?page=2\""));
  auto page2 = admin->get("/admin/clients?page=2");
  EXPECT_TRUE(has(page2.body, "client01@example.com"));
  EXPECT_TRUE(has(page2.body, "client05@example.com"));
  EXPECT_FALSE(has(page2.body, "client06@example.com"));

  // LIKE over the searchable columns, case-insensitive, with wildcards taken literally.
  auto found = admin->get("/admin/clients?q=CLIENT07");
  EXPECT_TRUE(has(found.body, "client07@example.com"));
  EXPECT_FALSE(has(found.body, "client08@example.com"));
  found = admin->get("/admin/clients?q=" + urlEncode("Имя 1"));
  EXPECT_TRUE(has(found.body, "client10@example.com"));
  EXPECT_FALSE(has(found.body, "client02@example.com"));
  EXPECT_FALSE(has(admin->get("/admin/clients?q=%25").body, "client01@example.com"));
  // A number also finds the row with that id.
  found = admin->get("/admin/clients?q=" + std::to_string(ids[2]));
  EXPECT_TRUE(has(found.body, "client03@example.com"));
  // Search terms stay data: quotes and SQL do nothing.
  found = admin->get("/admin/clients?q=" + urlEncode("' OR 1=1 --"));
  EXPECT_EQ(found.status, 200);
  EXPECT_FALSE(has(found.body, "client01@example.com"));
  EXPECT_EQ(countOf("clients"), "30");

  // The users table holds no password hashes.
  auto users = admin->get("/admin/users/" + std::to_string(userId("owner@example.com")));
  EXPECT_EQ(users.status, 200);
  EXPECT_FALSE(has(users.body, "argon2"));
  // Unknown or browse-only tables and rows answer 404.
  EXPECT_EQ(admin->get("/admin/nosuch").status, 404);
  EXPECT_EQ(admin->get("/admin/schema_migrations").status, 404);
  EXPECT_EQ(admin->get("/admin/clients/999999").status, 404);
  EXPECT_EQ(admin->get("/admin/user_roles/1").status, 404);
  EXPECT_EQ(admin->get("/admin/attempts/1/delete").status, 404);
  EXPECT_EQ(admin->postForm("/admin/attempts/1", {{"status", "success"}}, "/admin").status, 405);
  EXPECT_EQ(admin->get("/admin/sessions").status, 200);
}

TEST_F(Admin, InvalidEditIsReshownWithErrorsAndChangesNothing) {
  auto id = client("anna@example.com", "Anna");
  client("boris@example.com", "Boris");
  std::string path = "/admin/clients/" + std::to_string(id);
  auto r = admin->postForm(
      path, {{"email", "not-an-email"}, {"full_name", "Changed"}, {"unsubscribed_at", "soon"}});
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(has(r.body, "Enter a valid email address"));
  EXPECT_TRUE(has(r.body, "Enter a date and time"));
  EXPECT_TRUE(has(r.body, "data-field=\"email\""));
  EXPECT_TRUE(has(r.body, "value=\"not-an-email\""));  // re-shown as typed
  auto c = clientJson(id);
  EXPECT_EQ(c->getValue<std::string>("email"), "anna@example.com");
  EXPECT_EQ(c->getValue<std::string>("full_name"), "Anna");

  // Unique per owner.
  r = admin->postForm(path, {{"email", "boris@example.com"}, {"full_name", "Anna"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(has(r.body, "Another row already has this value"));
  EXPECT_EQ(clientJson(id)->getValue<std::string>("email"), "anna@example.com");

  // Integers must be integers, within range.
  auto art = api->postJson("/api/v1/articles", R"({"title":"News","content":"Text"})", root);
  ASSERT_EQ(art.status, 201) << art.body;
  std::string artPath = "/admin/articles/" + std::to_string(art.json()->getValue<int>("id"));
  for (const char* views : {"12x", "1.5", "-3", "99999999999999999999"}) {
    r = admin->postForm(artPath, {{"title", "News"}, {"views", views}});
    EXPECT_EQ(r.status, 422) << views;
    EXPECT_TRUE(has(r.body, "data-field=\"views\"")) << views;
  }
  r = admin->postForm(artPath, {{"title", ""}, {"views", "5"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(has(r.body, "This field is required"));
  EXPECT_EQ(api->getJson(artPath.substr(6).insert(0, "/api/v1"), root)
                .json()
                ->getValue<std::string>("title"),
            "News");
}

TEST_F(Admin, ValidEditIsVisibleInTheDomainsOwnPagesAndApi) {
  auto id = client("anna@example.com", "Anna");
  auto r =
      admin->postForm("/admin/clients/" + std::to_string(id), {{"email", " Anna.New@Example.com "},
                                                               {"full_name", "Анна Новая"},
                                                               {"comment", "line 1\nline 2"}});
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.location(), "/admin/clients/" + std::to_string(id));
  EXPECT_TRUE(has(admin->get(r.location()).body, "Saved."));
  auto c = clientJson(id);
  EXPECT_EQ(c->getValue<std::string>("email"), "anna.new@example.com");
  EXPECT_EQ(c->getValue<std::string>("full_name"), "Анна Новая");
  EXPECT_EQ(c->getValue<std::string>("comment"), "line 1\nline 2");

  // An article edited in the admin shows at once on the cached public blog.
  auto art = api->postJson("/api/v1/articles",
                           R"({"title":"Old title","content":"Text","is_published":true})", root);
  ASSERT_EQ(art.status, 201);
  std::string artId = std::to_string(art.json()->getValue<int>("id"));
  HttpClient visitor(server->baseUrl());
  ASSERT_TRUE(has(visitor.get("/blog/" + artId).body, "Old title"));
  ASSERT_TRUE(has(visitor.get("/blog").body, "Old title"));
  r = admin->postForm("/admin/articles/" + artId, {{"title", "New title"},
                                                   {"content", "Text"},
                                                   {"views", "7"},
                                                   {"is_published", "1"},
                                                   {"published_at", "2026-01-02T10:00"}});
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_TRUE(has(visitor.get("/blog/" + artId).body, "New title"));
  EXPECT_TRUE(has(visitor.get("/blog").body, "New title"));
  // An unticked checkbox unpublishes.
  r = admin->postForm("/admin/articles/" + artId,
                      {{"title", "New title"}, {"content", "Text"}, {"views", "7"}});
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(visitor.get("/blog/" + artId).status, 404);

  // A user blocked in the admin is signed out at once.
  HttpClient ownerWeb(server->baseUrl());
  ASSERT_EQ(login(ownerWeb, "owner@example.com").status, 303);
  ASSERT_EQ(ownerWeb.get("/clients").status, 200);
  auto ownerId = std::to_string(userId("owner@example.com"));
  auto page = admin->get("/admin/users/" + ownerId);
  ASSERT_EQ(page.status, 200);
  r = admin->postForm("/admin/users/" + ownerId, {{"email", "owner@example.com"},
                                                  {"timezone", "Europe/Moscow"},
                                                  {"is_verified", "1"},
                                                  {"is_blocked", "1"}});
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(ownerWeb.get("/clients").status, 303);
  EXPECT_EQ(api->getJson("/api/v1/clients", owner).status, 401);
}

TEST_F(Admin, GrantsAndRevokesRolesButNeverItsOwnAdminRole) {
  createUser(*server, "bob@example.com");
  HttpClient bob(server->baseUrl());
  ASSERT_EQ(login(bob, "bob@example.com").status, 303);
  EXPECT_EQ(bob.get("/manage/users").status, 403);
  std::string path = "/admin/users/" + std::to_string(userId("bob@example.com"));

  auto r = admin->postForm(path + "/roles", {{"flag", "manager"}}, path);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(bob.get("/manage/users").status, 200);
  auto page = admin->get(path);
  EXPECT_TRUE(has(page.body, "value=\"manager\" id=\"flag-manager\" checked"));
  EXPECT_TRUE(has(admin->get("/admin/user_roles?q=manager").body, "manager"));
  EXPECT_EQ(countOf("user_roles"), "2");  // root's admin and bob's manager

  r = admin->postForm(path + "/roles", {}, path);
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(bob.get("/manage/users").status, 403);
  EXPECT_EQ(countOf("user_roles"), "1");

  // Unknown roles are refused.
  r = admin->postForm(path + "/roles", {{"flag", "superuser"}}, path);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(countOf("user_roles"), "1");

  // The admin's own page: unticking admin, blocking or deleting itself is refused.
  std::string self = "/admin/users/" + std::to_string(userId("root@example.com"));
  r = admin->postForm(self + "/roles", {{"flag", "manager"}}, self);
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(has(r.body, "You cannot remove your own admin role"));
  EXPECT_EQ(admin->get("/admin").status, 200);
  EXPECT_EQ(countOf("user_roles"), "1");
  r = admin->postForm(self, {{"email", "root@example.com"},
                             {"timezone", "Europe/Moscow"},
                             {"is_verified", "1"},
                             {"is_blocked", "1"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(has(r.body, "You cannot block yourself"));
  r = admin->postForm(self + "/delete", {}, self + "/delete");
  EXPECT_EQ(r.status, 409);
  EXPECT_TRUE(has(r.body, "You cannot delete your own account"));
  EXPECT_EQ(admin->get("/admin").status, 200);

  // Granting admin to bob gives him the section; then he may take it from root.
  r = admin->postForm(path + "/roles", {{"flag", "admin"}}, path);
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(bob.get("/admin").status, 200);
  r = bob.postForm(self + "/roles", {}, self);
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(admin->get("/admin").status, 403);
}

TEST_F(Admin, DeletesAfterConfirmationAndExplainsWhatForbidsIt) {
  auto used = client("used@example.com");
  auto spare = client("spare@example.com");
  auto msg = message("Hello");
  mailing(msg, used);

  std::string path = "/admin/clients/" + std::to_string(spare);
  auto confirm = admin->get(path + "/delete");
  ASSERT_EQ(confirm.status, 200);
  EXPECT_TRUE(has(confirm.body, "spare@example.com"));
  EXPECT_TRUE(has(confirm.body, "action=\"" + path + "/delete\""));
  EXPECT_EQ(api->getJson("/api/v1/clients/" + std::to_string(spare), owner).status, 200);
  auto r = admin->postForm(path + "/delete", {}, path + "/delete");
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.location(), "/admin/clients");
  EXPECT_EQ(api->getJson("/api/v1/clients/" + std::to_string(spare), owner).status, 404);

  // A message or client a mailing uses: the foreign key refuses, the page explains.
  for (const std::string& p :
       {"/admin/messages/" + std::to_string(msg), "/admin/clients/" + std::to_string(used)}) {
    r = admin->postForm(p + "/delete", {}, p + "/delete");
    EXPECT_EQ(r.status, 409) << p << r.body;
    EXPECT_TRUE(has(r.body, "other rows refer to it")) << p;
    EXPECT_EQ(admin->get(p).status, 200) << p;
  }
  EXPECT_EQ(api->getJson("/api/v1/messages/" + std::to_string(msg), owner).status, 200);
  EXPECT_EQ(countOf("mailing_clients"), "1");
}

TEST_F(Admin, PostsWithoutTheCsrfTokenAreRefused) {
  auto id = client("anna@example.com", "Anna");
  std::string path = "/admin/clients/" + std::to_string(id);
  auto r = admin->post(path, {{"email", "evil@example.com"}, {"full_name", "Evil"}});
  EXPECT_EQ(r.status, 403);
  r = admin->post(path, {{"email", "evil@example.com"}, {"csrf_token", "forged"}});
  EXPECT_EQ(r.status, 403);
  r = admin->post(path + "/delete", {});
  EXPECT_EQ(r.status, 403);
  std::string bob = "/admin/users/" + std::to_string(userId("owner@example.com"));
  r = admin->post(bob + "/roles", {{"flag", "admin"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(clientJson(id)->getValue<std::string>("email"), "anna@example.com");
  EXPECT_EQ(countOf("user_roles"), "1");
  EXPECT_EQ(countOf("clients"), "1");
}
