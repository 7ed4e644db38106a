// Who may do what (SPEC §2), page by page and endpoint by endpoint, through the real binary:
// owner, another user, manager, content manager, admin and an anonymous visitor.
#include <gtest/gtest.h>

#include <map>

#include "app.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

const std::vector<std::string> kActors{"anon", "other", "content", "manager", "admin", "owner"};

// One request and the status each actor must get. Page answers of 303 for the anonymous
// visitor must lead to the login form.
struct Case {
  std::string method;  // GET, POST (form), API-GET, API-POST, API-PATCH, API-DELETE
  std::string path;
  std::map<std::string, int> expect;
  std::string body = "{}";  // API-POST / API-PATCH
  Form form = {};           // POST
};

class Roles : public ::testing::Test {
 protected:
  void SetUp() override {
    server = std::make_unique<MailwrightServer>(ServerOptions{.serveArgs = {"--no-scheduler"}});
    MW_SKIP_IF_UNAVAILABLE();
    const std::map<std::string, std::string> roles{{"owner", ""},
                                                   {"other", ""},
                                                   {"content", "content_manager"},
                                                   {"manager", "manager"},
                                                   {"admin", "admin"}};
    for (const auto& [name, role] : roles) {
      std::string email = name + "@example.com";
      createUser(*server, email, kStrongPassword, role);
      tokens[name] = tokenFor(*server, email);
    }
    for (const auto& name : kActors) {
      sessions[name] = std::make_unique<HttpClient>(server->baseUrl());
      if (name != "anon") {
        auto r = login(*sessions[name], name + "@example.com");
        ASSERT_EQ(r.status, 303) << name << ": " << r.body;
      }
    }
  }

  Response perform(const std::string& actor, const Case& c) {
    HttpClient& h = *sessions[actor];
    const std::string& token = tokens[actor];  // "" for anon
    if (c.method == "GET") return h.get(c.path);
    if (c.method == "POST") return submit(h, c.path, c.form);
    if (c.method == "API-GET") return h.getJson(c.path, token);
    if (c.method == "API-POST") return h.postJson(c.path, c.body, token);
    if (c.method == "API-PATCH") return h.patchJson(c.path, c.body, token);
    if (c.method == "API-DELETE") return h.del(c.path, token);
    throw std::runtime_error("unknown method " + c.method);
  }

  // Runs the cases in order, actors in kActors order (the owner last, so that its deletes
  // come after everyone else was refused).
  void run(const std::vector<Case>& cases) {
    for (const auto& c : cases) {
      for (const auto& actor : kActors) {
        auto it = c.expect.find(actor);
        if (it == c.expect.end()) continue;
        auto r = perform(actor, c);
        EXPECT_EQ(r.status, it->second)
            << c.method << " " << c.path << " as " << actor << ": " << r.body.substr(0, 300);
        bool isPage = c.method == "GET" || c.method == "POST";
        if (isPage && actor == "anon" && it->second == 303) {
          EXPECT_EQ(r.location().rfind("/login", 0), 0u) << c.path << " -> " << r.location();
        }
        if (!isPage && r.status >= 400) {
          EXPECT_TRUE(r.json()->has("error")) << c.path << " as " << actor << ": " << r.body;
        }
      }
    }
  }

  std::string owner() { return tokens["owner"]; }
  HttpClient& api() { return *sessions["owner"]; }

  std::unique_ptr<MailwrightServer> server;
  std::map<std::string, std::string> tokens;
  std::map<std::string, std::unique_ptr<HttpClient>> sessions;
};

std::string str(std::int64_t id) {
  return std::to_string(id);
}

// Everyone signed in has their own list; nobody but the owner reaches the owner's object.
std::map<std::string, int> ownOnly(int ownerStatus, int anonStatus) {
  return {{"anon", anonStatus}, {"other", 404}, {"content", 404},
          {"manager", 404},     {"admin", 404}, {"owner", ownerStatus}};
}
std::map<std::string, int> everyone(int signedIn, int anonStatus) {
  return {{"anon", anonStatus},  {"other", signedIn}, {"content", signedIn},
          {"manager", signedIn}, {"admin", signedIn}, {"owner", signedIn}};
}
std::map<std::string, int> managers(int allowed, int anonStatus) {
  return {{"anon", anonStatus}, {"other", 403},     {"content", 403},
          {"manager", allowed}, {"admin", allowed}, {"owner", 403}};
}

}  // namespace

TEST_F(Roles, ClientsBelongToTheirOwnerOnly) {
  auto id = str(apiClient(api(), owner(), "kept@clients.example", "Kept"));
  auto delPage = str(apiClient(api(), owner(), "page@clients.example"));
  auto delApi = str(apiClient(api(), owner(), "api@clients.example"));
  Form edit{{"email", "edited@clients.example"}, {"full_name", "Edited"}, {"comment", ""}};
  run({
      {"GET", "/clients", everyone(200, 303)},
      {"GET", "/clients/new", everyone(200, 303)},
      {"GET", "/clients/" + id + "/edit", ownOnly(200, 303)},
      {"GET", "/clients/" + id + "/delete", ownOnly(200, 303)},
      {"POST", "/clients/" + id, ownOnly(303, 303), "", edit},
      {"POST", "/clients/" + delPage + "/delete", ownOnly(303, 303)},
      {"GET", "/clients/export.csv", everyone(200, 303)},
      {"API-GET", "/api/v1/clients", everyone(200, 401)},
      {"API-GET", "/api/v1/clients/" + id, ownOnly(200, 401)},
      {"API-PATCH", "/api/v1/clients/" + id, ownOnly(200, 401), R"({"comment":"patched"})"},
      {"API-DELETE", "/api/v1/clients/" + delApi, ownOnly(204, 401)},
  });
  // Nobody else's list or export shows the owner's client; the owner's edits landed.
  for (const auto& actor : {"other", "content", "manager", "admin"}) {
    EXPECT_FALSE(contains(sessions[actor]->get("/clients").body, "clients.example")) << actor;
    EXPECT_FALSE(contains(sessions[actor]->get("/clients/export.csv").body, "clients.example"));
    EXPECT_EQ(
        sessions[actor]->getJson("/api/v1/clients", tokens[actor]).json()->getValue<int>("total"),
        0)
        << actor;
  }
  auto c = api().getJson("/api/v1/clients/" + id, owner()).json();
  EXPECT_EQ(c->getValue<std::string>("email"), "edited@clients.example");
  EXPECT_EQ(c->getValue<std::string>("comment"), "patched");
  EXPECT_EQ(api().getJson("/api/v1/clients/" + delPage, owner()).status, 404);
  EXPECT_EQ(api().getJson("/api/v1/clients/" + delApi, owner()).status, 404);
  // Creating is open to every signed-in user, not to visitors.
  EXPECT_EQ(submit(*sessions["anon"], "/clients", {{"email", "x@anon.example"}}).status, 303);
  EXPECT_EQ(sessions["anon"]->postJson("/api/v1/clients", R"({"email":"x@anon.example"})").status,
            401);
  EXPECT_EQ(submit(*sessions["content"], "/clients", {{"email", "x@content.example"}}).status, 303);
  EXPECT_EQ(sessions["manager"]
                ->postJson("/api/v1/clients", R"({"email":"x@m.example"})", tokens["manager"])
                .status,
            201);
}

TEST_F(Roles, MessagesBelongToTheirOwnerOnly) {
  auto id = str(apiMessage(api(), owner(), "Private subject"));
  auto delPage = str(apiMessage(api(), owner(), "Delete by page"));
  auto delApi = str(apiMessage(api(), owner(), "Delete by API"));
  Form edit{{"subject", "Edited subject"}, {"body_text", "Edited body"}};
  run({
      {"GET", "/messages", everyone(200, 303)},
      {"GET", "/messages/new", everyone(200, 303)},
      {"GET", "/messages/" + id, ownOnly(200, 303)},
      {"GET", "/messages/" + id + "/preview.html", ownOnly(200, 303)},
      {"GET", "/messages/" + id + "/edit", ownOnly(200, 303)},
      {"POST", "/messages/" + id, ownOnly(303, 303), "", edit},
      {"POST", "/messages/" + id + "/copy", ownOnly(303, 303)},
      {"POST", "/messages/" + delPage + "/delete", ownOnly(303, 303)},
      {"API-GET", "/api/v1/messages", everyone(200, 401)},
      {"API-GET", "/api/v1/messages/" + id, ownOnly(200, 401)},
      {"API-PATCH", "/api/v1/messages/" + id, ownOnly(200, 401), R"({"subject":"Patched"})"},
      {"API-DELETE", "/api/v1/messages/" + delApi, ownOnly(204, 401)},
  });
  for (const auto& actor : {"other", "content", "manager", "admin"}) {
    auto page = sessions[actor]->get("/messages").body;
    EXPECT_FALSE(contains(page, "Edited subject") || contains(page, "Patched")) << actor;
    EXPECT_EQ(
        sessions[actor]->getJson("/api/v1/messages", tokens[actor]).json()->getValue<int>("total"),
        0)
        << actor;
  }
  EXPECT_EQ(
      api().getJson("/api/v1/messages/" + id, owner()).json()->getValue<std::string>("subject"),
      "Patched");
  EXPECT_EQ(api().getJson("/api/v1/messages/" + delPage, owner()).status, 404);
}

TEST_F(Roles, MailingsManagersSeeAndDisableButNeverEditOthers) {
  auto client = apiClient(api(), owner(), "r@mailings.example");
  auto msg = apiMessage(api(), owner(), "Mailing message");
  auto id = str(apiMailing(api(), owner(), msg, {client}, "Owner's mailing"));
  auto delPage = str(apiMailing(api(), owner(), msg, {client}, "Delete by page"));
  auto delApi = str(apiMailing(api(), owner(), msg, {client}, "Delete by API"));
  Form edit{{"name", "Edited mailing"},
            {"message_id", str(msg)},
            {"client_ids", str(client)},
            {"start_at", "2035-02-01T10:00"},
            {"periodicity", "weekly"}};
  // A manager may view any mailing and its manager list; edit, delete and send stay the owner's.
  std::map<std::string, int> viewable{{"anon", 303},    {"other", 404}, {"content", 404},
                                      {"manager", 200}, {"admin", 200}, {"owner", 200}};
  std::map<std::string, int> viewableApi = viewable;
  viewableApi["anon"] = 401;
  run({
      {"GET", "/mailings", everyone(200, 303)},
      {"GET", "/mailings/new", everyone(200, 303)},
      {"GET", "/manage/mailings", managers(200, 303)},
      {"GET", "/mailings/" + id, viewable},
      {"GET", "/mailings/" + id + "/edit", ownOnly(200, 303)},
      {"GET", "/mailings/" + id + "/delete", ownOnly(200, 303)},
      {"POST", "/mailings/" + id, ownOnly(303, 303), "", edit},
      {"POST", "/mailings/" + id + "/send", ownOnly(303, 303)},
      {"POST", "/mailings/" + id + "/disable", managers(303, 303)},
      {"POST", "/mailings/" + id + "/enable", managers(303, 303)},
      {"POST", "/mailings/" + delPage + "/delete", ownOnly(303, 303)},
      {"API-GET", "/api/v1/mailings", everyone(200, 401)},
      {"API-GET", "/api/v1/mailings?all=1", managers(200, 401)},
      {"API-GET", "/api/v1/mailings/" + id, viewableApi},
      {"API-PATCH", "/api/v1/mailings/" + id, ownOnly(200, 401), R"({"name":"Patched"})"},
      {"API-POST", "/api/v1/mailings/" + id + "/send", ownOnly(202, 401)},
      {"API-POST", "/api/v1/mailings/" + id + "/disable", managers(200, 401)},
      {"API-POST", "/api/v1/mailings/" + id + "/enable", managers(200, 401)},
      {"API-DELETE", "/api/v1/mailings/" + delApi, ownOnly(204, 401)},
  });
  auto m = api().getJson("/api/v1/mailings/" + id, owner()).json();
  EXPECT_EQ(m->getValue<std::string>("name"), "Patched");
  EXPECT_EQ(m->getValue<std::string>("periodicity"), "weekly");
  EXPECT_TRUE(m->getValue<bool>("is_active"));
  EXPECT_EQ(api().getJson("/api/v1/mailings/" + delPage, owner()).status, 404);
  EXPECT_EQ(api().getJson("/api/v1/mailings/" + delApi, owner()).status, 404);

  // The manager's list shows everyone's mailings with their owners, searchable by owner and
  // status; the manager's view offers disabling, never editing.
  auto list = sessions["manager"]->get("/manage/mailings");
  EXPECT_TRUE(contains(list.body, "Patched"));
  EXPECT_TRUE(contains(list.body, "owner@example.com"));
  EXPECT_TRUE(contains(list.body, "/mailings/" + id + "/disable"));
  EXPECT_FALSE(contains(list.body, "/mailings/" + id + "/edit"));
  EXPECT_TRUE(contains(sessions["manager"]->get("/manage/mailings?q=OWNER%40").body, "Patched"));
  EXPECT_FALSE(contains(sessions["manager"]->get("/manage/mailings?q=other%40").body, "Patched"));
  EXPECT_FALSE(
      contains(sessions["manager"]->get("/manage/mailings?status=completed").body, "Patched"));
  auto view = sessions["manager"]->get("/mailings/" + id);
  EXPECT_TRUE(contains(view.body, "/mailings/" + id + "/disable"));
  EXPECT_FALSE(contains(view.body, "/mailings/" + id + "/edit"));
  EXPECT_FALSE(contains(view.body, "/mailings/" + id + "/send"));
  EXPECT_TRUE(contains(view.body, "r@mailings.example"));
  auto all = sessions["manager"]->getJson("/api/v1/mailings?all=1", tokens["manager"]).json();
  EXPECT_EQ(all->getValue<int>("total"), 1);
  EXPECT_EQ(sessions["other"]
                ->getJson("/api/v1/mailings", tokens["other"])
                .json()
                ->getValue<int>("total"),
            0);
  auto r =
      sessions["manager"]->postJson("/api/v1/mailings/" + id + "/disable", "", tokens["manager"]);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.json()->getValue<bool>("is_active"));
  EXPECT_FALSE(
      api().getJson("/api/v1/mailings/" + id, owner()).json()->getValue<bool>("is_active"));
  // The owner can neither flip the flag back by PATCH nor send a disabled mailing.
  EXPECT_EQ(api().patchJson("/api/v1/mailings/" + id, R"({"is_active":true})", owner()).status,
            403);
  EXPECT_EQ(api().postJson("/api/v1/mailings/" + id + "/send", "", owner()).status, 409);
  EXPECT_FALSE(
      api().getJson("/api/v1/mailings/" + id, owner()).json()->getValue<bool>("is_active"));
  // Sending is never triggered by a GET.
  EXPECT_NE(api().get("/mailings/" + id + "/send").status, 303);
  EXPECT_EQ(api().getJson("/api/v1/mailings/" + id + "/send", owner()).status, 405);
}

TEST_F(Roles, OnlyManagersListAndBlockUsers) {
  createUser(*server, "victim@example.com");
  auto victimToken = tokenFor(*server, "victim@example.com");
  HttpClient victim(server->baseUrl());
  ASSERT_EQ(login(victim, "victim@example.com").status, 303);
  auto users = sessions["manager"]->getJson("/api/v1/users?q=victim", tokens["manager"]).json();
  ASSERT_EQ(users->getValue<int>("total"), 1);
  auto id = str(users->getArray("items")->getObject(0)->getValue<std::int64_t>("id"));
  auto find = [&](const std::string& q) {
    auto o = sessions["admin"]->getJson("/api/v1/users?q=" + q, tokens["admin"]).json();
    return str(o->getArray("items")->getObject(0)->getValue<std::int64_t>("id"));
  };
  run({
      {"GET", "/manage/users", managers(200, 303)},
      {"API-GET", "/api/v1/users", managers(200, 401)},
      {"POST", "/manage/users/" + id + "/block", managers(303, 303)},
      {"POST", "/manage/users/" + id + "/unblock", managers(303, 303)},
      {"API-POST", "/api/v1/users/" + id + "/block", managers(200, 401)},
  });
  // Blocked: the victim's session has ended and it cannot log in again.
  EXPECT_EQ(victim.get("/clients").status, 303);
  EXPECT_EQ(victim.getJson("/api/v1/clients", victimToken).status, 401);
  HttpClient again(server->baseUrl());
  EXPECT_NE(login(again, "victim@example.com").status, 303);
  auto manage = sessions["manager"]->get("/manage/users?q=victim");
  EXPECT_TRUE(contains(manage.body, "victim@example.com"));
  EXPECT_TRUE(contains(manage.body, "/manage/users/" + id + "/unblock"));
  run({{"API-POST", "/api/v1/users/" + id + "/unblock", managers(200, 401)}});
  EXPECT_EQ(login(again, "victim@example.com").status, 303);
  EXPECT_EQ(victim.getJson("/api/v1/clients", victimToken).status, 200);
  // Blocking oneself through the page is refused with a message.
  auto self = submit(*sessions["manager"], "/manage/users/" + find("manager%40") + "/block", {});
  EXPECT_EQ(self.status, 303);
  EXPECT_TRUE(
      contains(sessions["manager"]->get(self.location()).body, "You cannot block yourself."));
  EXPECT_EQ(sessions["manager"]->get("/manage/users").status, 200);

  // Managers page through and search the users.
  auto page = sessions["manager"]->get("/manage/users?per_page=2&page=2");
  EXPECT_TRUE(contains(page.body, "2 / 3"));
  EXPECT_EQ(page.status, 200);
  auto o =
      sessions["manager"]->getJson("/api/v1/users?per_page=4&page=2", tokens["manager"]).json();
  EXPECT_EQ(o->getValue<int>("total"), 6);
  EXPECT_EQ(o->getArray("items")->size(), 2u);
  o = sessions["manager"]->getJson("/api/v1/users?q=VICTIM", tokens["manager"]).json();
  EXPECT_EQ(o->getValue<int>("total"), 1);
  EXPECT_FALSE(contains(sessions["manager"]->get("/manage/users?q=victim").body, "owner@"));

  // A manager cannot block an admin or itself; the admin can block a manager.
  auto adminId = find("admin%40"), managerId = find("manager%40");
  EXPECT_EQ(sessions["manager"]
                ->postJson("/api/v1/users/" + adminId + "/block", "", tokens["manager"])
                .status,
            403);
  EXPECT_EQ(submit(*sessions["manager"], "/manage/users/" + adminId + "/block", {}).status, 403);
  EXPECT_EQ(sessions["manager"]
                ->postJson("/api/v1/users/" + managerId + "/block", "", tokens["manager"])
                .status,
            409);
  EXPECT_EQ(
      sessions["manager"]->postJson("/api/v1/users/999999/block", "", tokens["manager"]).status,
      404);
  EXPECT_EQ(sessions["admin"]->get("/manage/users").status, 200);
  auto r =
      sessions["admin"]->postJson("/api/v1/users/" + managerId + "/block", "", tokens["admin"]);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.json()->getValue<bool>("is_blocked"));
  EXPECT_EQ(sessions["manager"]->get("/manage/users").status, 303);  // session ended
}

TEST_F(Roles, StateChangingFormsNeedTheCsrfToken) {
  auto id = str(apiClient(api(), owner(), "csrf@clients.example"));
  HttpClient& c = *sessions["owner"];
  EXPECT_EQ(c.post("/clients", {{"email", "new@clients.example"}}).status, 403);
  EXPECT_EQ(c.post("/clients/" + id + "/delete", {}).status, 403);
  EXPECT_EQ(c.post("/clients/" + id + "/delete", {{"csrf_token", "forged"}}).status, 403);
  EXPECT_EQ(api().getJson("/api/v1/clients/" + id, owner()).status, 200);
  EXPECT_EQ(api().getJson("/api/v1/clients", owner()).json()->getValue<int>("total"), 1);
  // The session alone does not authorise an API write from another site either.
  EXPECT_EQ(c.postJson("/api/v1/clients", R"({"email":"x@clients.example"})").status, 403);
}
