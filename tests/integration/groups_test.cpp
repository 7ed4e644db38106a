// Recipient groups through the API: create/list/get/patch/delete, members by client ids, the
// client list filtered by group, and ownership of every group and client id.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "app.h"
#include "core/db.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

class Groups : public TwoUsers {
 protected:
  std::int64_t group(const std::string& name, const std::string& t = "") {
    Poco::JSON::Object body;
    body.set("name", name);
    return apiCreate(*api, "/api/v1/groups", body, t.empty() ? token : t);
  }
  Response members(const std::string& method, std::int64_t g, const std::string& json,
                   const std::string& t = "") {
    return api->request(method, "/api/v1/groups/" + std::to_string(g) + "/clients", json,
                        "application/json",
                        {{"Authorization", "Bearer " + (t.empty() ? token : t)}});
  }
  std::int64_t count(std::int64_t g) {
    return api->getJson("/api/v1/groups/" + std::to_string(g), token)
        .json()
        ->getValue<std::int64_t>("clients_count");
  }
};

std::string ids(std::initializer_list<std::int64_t> v) {
  std::string s = R"({"client_ids":[)";
  bool first = true;
  for (auto i : v) {
    s += (first ? "" : ",") + std::to_string(i);
    first = false;
  }
  return s + "]}";
}

}  // namespace

TEST_F(Groups, CrudWithValidationAndOwnership) {
  auto r = api->postJson("/api/v1/groups", R"({"name":"VIP","description":"Best buyers"})", token);
  ASSERT_EQ(r.status, 201);
  auto id = r.json()->getValue<std::int64_t>("id");
  EXPECT_EQ(r.json()->getValue<std::string>("description"), "Best buyers");
  EXPECT_EQ(r.json()->getValue<std::int64_t>("clients_count"), 0);
  EXPECT_EQ(api->postJson("/api/v1/groups", R"({"name":"vip"})", token).status, 409);
  EXPECT_EQ(api->postJson("/api/v1/groups", R"({"name":"  "})", token).status, 422);
  EXPECT_EQ(api->postJson("/api/v1/groups", R"({"name":5})", token).status, 422);
  EXPECT_EQ(api->postJson("/api/v1/groups", R"({"name":"x")", token).status, 400);
  EXPECT_EQ(total("/api/v1/groups"), 1);
  // Boris may have a VIP group of his own, and sees nothing of Anna's.
  EXPECT_EQ(api->postJson("/api/v1/groups", R"({"name":"VIP"})", otherToken).status, 201);
  EXPECT_EQ(total("/api/v1/groups", otherToken), 1);
  std::string path = "/api/v1/groups/" + std::to_string(id);
  EXPECT_EQ(api->getJson(path, otherToken).status, 404);
  EXPECT_EQ(api->patchJson(path, R"({"name":"Mine"})", otherToken).status, 404);
  EXPECT_EQ(api->del(path, otherToken).status, 404);

  r = api->patchJson(path, R"({"name":"Regulars"})", token);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()->getValue<std::string>("name"), "Regulars");
  EXPECT_EQ(r.json()->getValue<std::string>("description"), "Best buyers");
  EXPECT_EQ(api->del(path, token).status, 204);
  EXPECT_EQ(api->getJson(path, token).status, 404);
  EXPECT_EQ(total("/api/v1/groups"), 0);
}

TEST_F(Groups, MembersByIdsAndTheClientListByGroup) {
  auto a = apiClient(*api, token, "a@example.com");
  auto b = apiClient(*api, token, "b@example.com");
  auto c = apiClient(*api, token, "c@example.com");
  auto foreign = apiClient(*api, otherToken, "x@example.com");
  auto g = group("Shop");
  auto h = group("Blog");

  auto r = members("POST", g, ids({a, b, a}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()->getValue<std::int64_t>("added"), 2);
  EXPECT_EQ(members("POST", g, ids({b})).json()->getValue<std::int64_t>("added"), 0);
  EXPECT_EQ(members("POST", h, ids({b, c})).status, 200);
  EXPECT_EQ(count(g), 2);
  EXPECT_EQ(count(h), 2);
  EXPECT_EQ(total("/api/v1/clients?group_id=" + std::to_string(g)), 2);
  EXPECT_EQ(total("/api/v1/clients?group_id=" + std::to_string(g) + "&q=b%40"), 1);
  EXPECT_EQ(total("/api/v1/clients"), 3);

  // Another user's client in the list: refused whole, nothing joined.
  r = members("POST", g, ids({c, foreign}));
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(r.json()->has("error"));
  EXPECT_EQ(count(g), 2);
  EXPECT_EQ(members("POST", g, ids({99999})).status, 422);
  EXPECT_EQ(members("POST", g, R"({"client_ids":[]})").status, 422);
  EXPECT_EQ(members("POST", g, R"({"client_ids":["1"]})").status, 422);
  // Another user's group: 404, both to add his own client and to list by it.
  auto borisGroup = group("Boris", otherToken);
  EXPECT_EQ(members("POST", borisGroup, ids({a})).status, 404);
  EXPECT_EQ(members("POST", g, ids({foreign}), otherToken).status, 404);
  EXPECT_EQ(api->getJson("/api/v1/clients?group_id=" + std::to_string(borisGroup), token).status,
            404);
  EXPECT_EQ(api->getJson("/api/v1/clients?group_id=abc", token).status, 404);

  r = members("DELETE", g, ids({a, c}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()->getValue<std::int64_t>("removed"), 1);
  EXPECT_EQ(count(g), 1);
  // A deleted client leaves its groups; a deleted group leaves its clients.
  EXPECT_EQ(api->del("/api/v1/clients/" + std::to_string(b), token).status, 204);
  EXPECT_EQ(count(g), 0);
  EXPECT_EQ(count(h), 1);
  EXPECT_EQ(api->del("/api/v1/groups/" + std::to_string(h), token).status, 204);
  EXPECT_EQ(total("/api/v1/clients"), 2);
}

TEST_F(Groups, MembersByFilterInOneRequest) {
  for (int i = 0; i < 12; ++i)
    apiClient(*api, token, "shop" + std::to_string(i) + "@example.com", i % 3 ? "Buyer" : "VIP");
  apiClient(*api, token, "blog@example.org", "VIP");
  apiClient(*api, otherToken, "shop@example.com", "VIP");
  auto all = group("All shop");
  auto vip = group("VIP shop");
  auto r = members("POST", all, R"({"filter":{"q":"shop"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()->getValue<std::int64_t>("added"), 12);
  std::string f = R"({"filter":{"q":"VIP","group_id":)" + std::to_string(all) + "}}";
  EXPECT_EQ(members("POST", vip, f).json()->getValue<std::int64_t>("added"), 4);
  EXPECT_EQ(members("POST", vip, R"({"filter":{"status":"active","q":"blog"}})").status, 200);
  EXPECT_EQ(count(vip), 5);
  EXPECT_EQ(members("POST", vip, R"({"filter":{"status":"unsubscribed"}})")
                .json()
                ->getValue<std::int64_t>("added"),
            0);
  EXPECT_EQ(members("DELETE", all, R"({"filter":{"q":"shop1"}})")
                .json()
                ->getValue<std::int64_t>("removed"),
            3);  // shop1, shop10, shop11
  EXPECT_EQ(count(all), 9);
  // Bad filters and another user's group as the source: 422, nothing changes.
  EXPECT_EQ(members("POST", all, R"({"filter":{"status":"bounced?"}})").status, 422);
  EXPECT_EQ(members("POST", all, R"({"filter":{"q":5}})").status, 422);
  auto boris = group("Boris", otherToken);
  EXPECT_EQ(members("POST", all, R"({"filter":{"group_id":)" + std::to_string(boris) + "}}").status,
            422);
  EXPECT_EQ(members("POST", boris, R"({"filter":{}})").status, 404);
  EXPECT_EQ(count(all), 9);
  EXPECT_EQ(total("/api/v1/groups", otherToken), 1);
}

TEST_F(Groups, ImportPutsEveryRowIntoTheChosenGroup) {
  apiClient(*api, token, "old@example.com");
  auto g = group("Imported");
  auto boris = group("Boris", otherToken);
  auto post = [&](const std::string& gid) {
    return api->request("POST", "/api/v1/clients/import",
                        "csv=" + std::string("email%0Anew%40example.com%0Aold%40example.com%0A") +
                            "&group_id=" + gid,
                        "application/x-www-form-urlencoded",
                        {{"Authorization", "Bearer " + token}});
  };
  EXPECT_EQ(post(std::to_string(boris)).status, 422);
  EXPECT_EQ(post("x").status, 422);
  EXPECT_EQ(total("/api/v1/clients"), 1);
  auto r = post(std::to_string(g));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()->getValue<std::int64_t>("imported"), 1);
  EXPECT_EQ(count(g), 2);
}

TEST_F(Groups, PagesCreateEditAndDeleteGroupsWithErrorsBesideTheField) {
  web->setCookie("mw_lang", "ru");
  EXPECT_TRUE(contains(web->get("/groups").body, "Групп пока нет"));
  auto bad = submit(*web, "/groups", {{"name", "  "}, {"description", "x"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_TRUE(contains(fieldError(bad.body, "id=\"name\""), "Обязательное поле")) << bad.body;
  auto ok = submit(*web, "/groups", {{"name", "Покупатели"}, {"description", "Летние"}});
  ASSERT_EQ(ok.status, 303) << ok.body;
  EXPECT_TRUE(contains(ok.location(), "/clients?group_id=")) << ok.location();
  auto dup = submit(*web, "/groups", {{"name", "Покупатели"}});
  EXPECT_EQ(dup.status, 422);
  EXPECT_TRUE(contains(fieldError(dup.body, "id=\"name\""), "уже есть группа"));
  auto list = api->getJson("/api/v1/groups", token).json()->getArray("items");
  ASSERT_EQ(list->size(), 1u);
  auto id = std::to_string(list->getObject(0)->getValue<std::int64_t>("id"));
  EXPECT_TRUE(contains(web->get("/groups").body, "0 клиентов"));
  EXPECT_EQ(submit(*web, "/groups/" + id, {{"name", "VIP"}, {"description", ""}}).status, 303);
  EXPECT_EQ(api->getJson("/api/v1/groups/" + id, token).json()->getValue<std::string>("name"),
            "VIP");
  // Boris cannot see, edit or delete it.
  HttpClient boris(server->baseUrl());
  ASSERT_EQ(login(boris, "boris@example.com").status, 303);
  EXPECT_EQ(boris.get("/groups/" + id + "/edit").status, 404);
  EXPECT_EQ(submit(boris, "/groups/" + id + "/delete", {}).status, 404);
  EXPECT_EQ(boris.get("/clients?group_id=" + id).status, 404);
  EXPECT_EQ(submit(*web, "/groups/" + id + "/delete", {}).status, 303);
  EXPECT_EQ(total("/api/v1/groups"), 0);
}

TEST_F(Groups, TheClientListFiltersByGroupAndStatusAndActsInBulk) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 6; ++i)
    ids.push_back(apiClient(*api, token, "c" + std::to_string(i) + "@example.com"));
  auto borisClient = apiClient(*api, otherToken, "boris-c@example.com");
  auto g = group("Покупатели");
  auto other = group("Борисовы", otherToken);
  auto gid = std::to_string(g);
  // Ticked clients into the group; Boris's ticked client is ignored.
  auto r = submit(*web, "/clients/bulk",
                  {{"action", "add"},
                   {"target_group", gid},
                   {"scope", "selected"},
                   {"ids", std::to_string(ids[0])},
                   {"ids", std::to_string(ids[1])},
                   {"ids", std::to_string(borisClient)}});
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(count(g), 2);
  auto page = web->get("/clients?group_id=" + gid);
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(contains(page.body, "c0@example.com"));
  EXPECT_FALSE(contains(page.body, "c2@example.com"));
  // Everything the filter matches: the search "c" and status active, i.e. all six.
  r = submit(*web, "/clients/bulk",
             {{"action", "add"},
              {"target_group", gid},
              {"scope", "matching"},
              {"f_q", "example.com"},
              {"f_status", "active"}});
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(count(g), 6);
  EXPECT_FALSE(contains(web->get("/clients?status=unsubscribed").body, "c0@example.com"));
  EXPECT_TRUE(contains(web->get("/clients?status=active").body, "c0@example.com"));
  // Another user's group as the target or the filter changes nothing.
  r = submit(
      *web, "/clients/bulk",
      {{"action", "remove"}, {"target_group", std::to_string(other)}, {"scope", "matching"}});
  EXPECT_EQ(count(g), 6);
  EXPECT_EQ(
      submit(*web, "/clients/bulk",
             {{"action", "delete"}, {"scope", "matching"}, {"f_group_id", std::to_string(other)}})
          .status,
      404);
  EXPECT_EQ(total("/api/v1/clients"), 6);
  // Remove the group's members matching "c5", then delete the group's members in bulk.
  submit(*web, "/clients/bulk",
         {{"action", "remove"},
          {"target_group", gid},
          {"scope", "matching"},
          {"f_q", "c5@"},
          {"f_group_id", gid}});
  EXPECT_EQ(count(g), 5);
  r = submit(*web, "/clients/bulk",
             {{"action", "delete"}, {"scope", "matching"}, {"f_group_id", gid}});
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(total("/api/v1/clients"), 1);
  EXPECT_EQ(total("/api/v1/clients", otherToken), 1);
  EXPECT_EQ(count(g), 0);
}

TEST_F(Groups, ExportFollowsTheListFilterAcrossChunks) {
  // 12,001 clients cross two of the export's 5,000-row chunks; every third one is in the group.
  std::string csv = "email%0A";
  for (int i = 0; i < 12'001; ++i) csv += "e" + std::to_string(i) + "%40example.com%0A";
  auto g = group("Thirds");
  auto r =
      api->request("POST", "/api/v1/clients/import", "csv=" + csv,
                   "application/x-www-form-urlencoded", {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(r.status, 200) << r.body;
  apiClient(*api, otherToken, "boris-only@example.com");
  Poco::JSON::Object filter;
  filter.set("q", "0@");  // e0, e10, ..., e12000: 1,201 addresses
  Poco::JSON::Object body;
  body.set("filter", filter);
  std::ostringstream json;
  body.stringify(json);
  ASSERT_EQ(members("POST", g, json.str()).status, 200);
  auto lines = [](const std::string& text) {
    return static_cast<long>(std::count(text.begin(), text.end(), '\n')) - 1;  // minus the header
  };
  auto all = web->get("/clients/export.csv");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(lines(all.body), 12'001);
  EXPECT_TRUE(contains(all.body, "e0@example.com"));
  EXPECT_TRUE(contains(all.body, "e12000@example.com"));
  EXPECT_FALSE(contains(all.body, "boris-only"));
  auto gid = std::to_string(g);
  auto inGroup = web->get("/clients/export.csv?group_id=" + gid);
  EXPECT_EQ(lines(inGroup.body), 1'201);
  EXPECT_FALSE(contains(inGroup.body, "e1@example.com"));
  // The API export takes the same filter; search and group together.
  auto both = api->get("/api/v1/clients/export?q=e1200&group_id=" + gid,
                       {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(lines(both.body), 2);  // e1200 and e12000
  // A search alone walks its index newest first, across the chunks too: each address once.
  auto searched = web->get("/clients/export.csv?q=example.com");
  EXPECT_EQ(lines(searched.body), 12'001);
  std::istringstream rows(searched.body);
  std::set<std::string> seen;
  for (std::string row; std::getline(rows, row);) seen.insert(row);
  EXPECT_EQ(seen.size(), 12'002u);  // with the header
  auto page = [&](int n) {
    auto o =
        api->getJson("/api/v1/clients?per_page=2&q=example.com&page=" + std::to_string(n), token)
            .json();
    auto items = o->getArray("items");
    std::string out;
    for (std::size_t i = 0; i < items->size(); ++i)
      out += items->getObject(static_cast<unsigned>(i))->getValue<std::string>("email") + " ";
    return out + std::to_string(o->getValue<std::int64_t>("total"));
  };
  EXPECT_EQ(page(1), "e12000@example.com e11999@example.com 12001");
  EXPECT_EQ(page(2), "e11998@example.com e11997@example.com 12001");
  // The list links its export with the filter it shows.
  EXPECT_TRUE(
      contains(web->get("/clients?group_id=" + gid).body, "/clients/export.csv?group_id=" + gid));
  // A search is counted up to 10,000 ("10000+"); the whole list exactly, from the counters;
  // the last page counts exactly.
  auto first = web->get("/clients?q=example.com");
  EXPECT_TRUE(contains(first.body, "1 / 500+")) << first.body;
  EXPECT_TRUE(contains(first.body, "10000+"));
  auto whole = web->get("/clients");
  EXPECT_TRUE(contains(whole.body, "1 / 601")) << whole.body;
  EXPECT_TRUE(contains(whole.body, "12001"));
  auto last = web->get("/clients?page=601");
  EXPECT_TRUE(contains(last.body, "601 / 601"));
  EXPECT_TRUE(contains(last.body, "12001"));
  EXPECT_TRUE(contains(web->get("/clients?group_id=" + gid).body, "1 / 61"));
  // Another user's group is no filter: 404, nothing exported.
  EXPECT_EQ(api->get("/api/v1/clients/export?group_id=" + gid,
                     {{"Authorization", "Bearer " + otherToken}})
                .status,
            404);
  // Deleting everything the group filter matches: 1,201 clients in statements of 512, each
  // leaving the mailings that named it; the others stay, in the list and in the mailing.
  auto id = [&](const std::string& email) {
    return api->getJson("/api/v1/clients?q=" + urlEncode(email), token)
        .json()
        ->getArray("items")
        ->getObject(0)
        ->getValue<std::int64_t>("id");
  };
  auto mailing = apiMailing(*api, token, apiMessage(*api, token, "M"),
                            {id("e10@example.com"), id("e11@example.com")}, "Two");
  ASSERT_EQ(submit(*web, "/clients/bulk",
                   {{"action", "delete"}, {"scope", "matching"}, {"f_group_id", gid}})
                .status,
            303);
  EXPECT_EQ(total("/api/v1/clients"), 10'800);
  EXPECT_EQ(count(g), 0);
  EXPECT_EQ(total("/api/v1/clients?q=e120"), 9);  // e1201..e1209; e120, e1200, e12000 went
  mw::db::Database db(server->databaseUrl(), 1);
  auto c = db.conn();
  EXPECT_EQ(c.scalar("SELECT COUNT(*) FROM mailing_clients WHERE mailing_id = $1", {mailing}), 1);
  EXPECT_EQ(c.scalar("SELECT COUNT(*) FROM clients WHERE email LIKE 'e%0@example.com'"), 0);
}

// The search goes by a trigram index from 3 characters (migration 0014), kept by edits and
// deletions, and by a scan below that; quotes and FTS operators are plain text.
TEST_F(Groups, SearchByIndexFollowsEditsAndDeletes) {
  auto r = api->postJson(
      "/api/v1/clients",
      R"({"email":"elkina@example.com","full_name":"Ёлкина Мария","comment":"VIP; постоянный"})",
      token);
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.json()->getValue<std::int64_t>("id");
  apiClient(*api, token, "other@example.com");
  api->postJson("/api/v1/clients", R"({"email":"boris@example.com","full_name":"Ёлкина Мария"})",
                otherToken);
  auto found = [&](const std::string& q) { return total("/api/v1/clients?q=" + urlEncode(q)); };
  EXPECT_EQ(found("Ёлкин"), 1);
  EXPECT_EQ(found("vip"), 1);
  EXPECT_EQ(found("постоян"), 1);
  EXPECT_EQ(found("example.com"), 2);
  EXPECT_EQ(found("@e"), 2);  // two characters: the scan
  EXPECT_EQ(found("a\"b"), 0);
  EXPECT_EQ(found("\"VIP\" OR *"), 0);
  EXPECT_EQ(found("elkina@example.com OR other"), 0);
  EXPECT_TRUE(contains(web->get("/clients?q=" + urlEncode("Ёлкин")).body, "elkina@example.com"));
  // A bulk action by filter takes the list's own search: what the list shows, and only that.
  auto g = group("Ёлки");
  auto added = members("POST", g, R"({"filter":{"q":"ЁЛКИН"}})");
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.json()->getValue<std::int64_t>("added"), 1);
  EXPECT_EQ(total("/api/v1/clients?group_id=" + std::to_string(g)), 1);
  EXPECT_EQ(members("DELETE", g, R"({"filter":{"q":"мария ё"}})")
                .json()
                ->getValue<std::int64_t>("removed"),
            0);  // words in another order are another text
  EXPECT_EQ(members("DELETE", g, R"({"filter":{"q":"на мар"}})")
                .json()
                ->getValue<std::int64_t>("removed"),
            1);
  std::string path = "/api/v1/clients/" + std::to_string(id);
  ASSERT_EQ(api->patchJson(path, R"({"full_name":"Сосновская Анна","comment":""})", token).status,
            200);
  EXPECT_EQ(found("Ёлкин"), 0);
  EXPECT_EQ(found("vip"), 0);
  EXPECT_EQ(found("Соснов"), 1);
  ASSERT_EQ(api->del(path, token).status, 204);
  EXPECT_EQ(found("Соснов"), 0);
  EXPECT_EQ(found("elkina"), 0);
  EXPECT_EQ(total("/api/v1/clients?q=" + urlEncode("Ёлкин"), otherToken), 1);
}

// The list's totals and the groups' member counts come from counters kept by triggers (migration
// 0022): after imports into a group, bulk actions, deletions that take members with them, an
// erasure and a group's deletion, each equals counting the rows again.
TEST_F(Groups, TotalsFollowEveryChangeOfClientsAndMembers) {
  mw::db::Database db(server->databaseUrl(), 1);
  auto recounted = [&] {
    auto c = db.conn();
    std::string out;
    for (const auto& r : c.query(R"(SELECT 'o' AS k, owner_id AS id, clients AS n
FROM client_counts
WHERE clients <> 0
UNION ALL
SELECT 'g', group_id, members
FROM group_counts
WHERE members <> 0
ORDER BY 1, 2)"))
      out += r["k"].s() + std::to_string(r["id"].i()) + "=" + std::to_string(r["n"].i()) + " ";
    out += "| ";
    for (const auto& r : c.query(R"(SELECT 'o' AS k, owner_id AS id, COUNT(*) AS n
FROM clients
GROUP BY owner_id
UNION ALL
SELECT 'g', group_id, COUNT(*)
FROM client_group_members
GROUP BY group_id
ORDER BY 1, 2)"))
      out += r["k"].s() + std::to_string(r["id"].i()) + "=" + std::to_string(r["n"].i()) + " ";
    auto bar = out.find("| ");
    EXPECT_EQ(out.substr(0, bar), out.substr(bar + 2)) << "counters | rows";
  };
  auto g = group("Импорт");
  auto h = group("Второй");
  auto borisGroup = group("Boris", otherToken);
  auto r = api->request(
      "POST", "/api/v1/clients/import",
      "csv=email%0Aa%40example.com%0Ab%40example.com%0Ac%40example.com%0Aa%40example.com%0A" +
          std::string("&group_id=") + std::to_string(g),
      "application/x-www-form-urlencoded", {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = apiClient(*api, token, "d@example.com");
  auto boris = apiClient(*api, otherToken, "x@example.com");
  ASSERT_EQ(members("POST", borisGroup, ids({boris}), otherToken).status, 200);
  EXPECT_EQ(total("/api/v1/clients"), 4);
  EXPECT_EQ(total("/api/v1/clients", otherToken), 1);
  EXPECT_EQ(count(g), 3);
  EXPECT_EQ(total("/api/v1/clients?group_id=" + std::to_string(g)), 3);
  recounted();
  // Members added twice count once; Boris's client is not added to Anna's group.
  ASSERT_EQ(members("POST", h, R"({"filter":{"q":"example.com"}})").status, 200);
  ASSERT_EQ(members("POST", h, ids({d})).status, 200);
  EXPECT_EQ(members("POST", h, ids({d, boris})).status, 422);
  EXPECT_EQ(count(h), 4);
  recounted();
  // A deleted client leaves both of its groups; an erased one too.
  ASSERT_EQ(api->del("/api/v1/clients/" + std::to_string(d), token).status, 204);
  EXPECT_EQ(count(h), 3);
  EXPECT_EQ(total("/api/v1/clients"), 3);
  auto list = api->getJson("/api/v1/clients?q=a%40example.com", token).json();
  auto a = list->getArray("items")->getObject(0)->getValue<std::int64_t>("id");
  ASSERT_EQ(api->request("POST", "/api/v1/clients/" + std::to_string(a) + "/erase", "", "",
                         {{"Authorization", "Bearer " + token}})
                .status,
            204);
  EXPECT_EQ(count(g), 2);
  EXPECT_EQ(count(h), 2);
  recounted();
  // Removing by filter, deleting by filter, deleting a group.
  ASSERT_EQ(members("DELETE", h, R"({"filter":{"q":"b@"}})").status, 200);
  EXPECT_EQ(count(h), 1);
  ASSERT_EQ(api->del("/api/v1/groups/" + std::to_string(g), token).status, 204);
  EXPECT_EQ(submit(*web, "/clients/bulk",
                   {{"action", "delete"}, {"scope", "matching"}, {"f_group_id", std::to_string(h)}})
                .status,
            303);
  EXPECT_EQ(total("/api/v1/clients"), 1);
  EXPECT_EQ(count(h), 0);
  EXPECT_EQ(total("/api/v1/clients", otherToken), 1);
  EXPECT_EQ(count(group("Импорт")), 0);  // a new group of the same name starts at zero
  recounted();
  // The pages show the same totals.
  EXPECT_TRUE(contains(web->get("/clients").body, "b@example.com"));
}
