#include "mailings/picker.h"

#include <set>

#include "clients/groups.h"
#include "clients/repo.h"
#include "web/form.h"
#include "web/platform.h"

namespace mw::mailings {
namespace {

constexpr int kPickerResults = 30;

web::Data clientChoice(const clients::Client& c, bool checked) {
  web::Data o;
  o.set("value", std::to_string(c.id));
  o.set("email", c.email);
  o.set("full_name", c.fullName);
  o.set("unsubscribed", c.unsubscribedAt.has_value());
  o.set("checked", checked);
  return o;
}

web::Data groupChoices(db::Conn& conn, const Mailing& m) {
  std::set<std::int64_t> chosen(m.groupIds.begin(), m.groupIds.end());
  web::Data list(web::Data::type::list);
  for (const auto& g : clients::GroupRepo(conn).list(m.ownerId, 0, 1000)) {
    web::Data o;
    o.set("value", std::to_string(g.id));
    o.set("name", g.name);
    o.set("count", std::to_string(g.clientsCount));
    o.set("checked", chosen.count(g.id) > 0);
    list.push_back(o);
  }
  return list;
}

}  // namespace

void addAudienceChoices(db::Conn& conn, const Mailing& m, web::Data& d) {
  auto groups = groupChoices(conn, m);
  d.set("has_groups", !groups.is_empty_list());
  d.set("groups", groups);
  d.set("all_clients", m.allClients);
  clients::Repo repo(conn);
  std::int64_t total = repo.count(m.ownerId, "");
  bool search = total > kInlineClients;
  std::set<std::int64_t> chosen(m.clientIds.begin(), m.clientIds.end());
  web::Data list(web::Data::type::list);
  for (const auto& c : search ? repo.byIds(m.ownerId, m.clientIds) : repo.all(m.ownerId))
    list.push_back(clientChoice(c, chosen.count(c.id) > 0));
  d.set("has_clients", total > 0);
  d.set("client_search", search);
  d.set("clients", list);
}

void pickerFragment(web::Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  std::string q = web::clean(ctx.query("q"));
  web::Data list(web::Data::type::list);
  if (!q.empty())
    for (const auto& c : clients::Repo(conn).list(ctx.user->id, q, 0, kPickerResults))
      list.push_back(clientChoice(c, false));
  web::Data d;
  d.set("clients", list);
  d.set("none", list.is_empty_list() && !q.empty());
  web::Data page = d;
  ctx.platform.addPageData(ctx, page);
  ctx.text(ctx.platform.templates.render("mailings/_picker_results", page),
           "text/html; charset=utf-8", 200);
}

}  // namespace mw::mailings
