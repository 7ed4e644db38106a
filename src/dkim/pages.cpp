#include "dkim/keys.h"
#include "dkim/module.h"
#include "dkim/repo.h"
#include "web/format.h"
#include "web/guards.h"

namespace mw::dkim {

namespace {

using web::Ctx;
using web::Data;

void listPage(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  auto keys = Repo(c).list();
  Data rows(Data::type::list);
  std::string lastDomain;
  for (const auto& k : keys) {
    Data r;
    r.set("id", std::to_string(k.id));
    r.set("domain", k.domain);
    r.set("selector", k.selector);
    r.set("algorithm", k.algorithm);
    r.set("created", web::humanTime(ctx, k.createdAt));
    r.set("record_name", recordName(k));
    r.set("record_value", recordValue(k));
    // Keys come newest first per domain: the first one of a domain is the one that signs.
    r.set("signing", k.domain != lastDomain);
    lastDomain = k.domain;
    rows.push_back(r);
  }
  Data d;
  d.set("title", ctx.t("dkim_title"));
  d.set("keys", rows);
  d.set("has_keys", !keys.empty());
  ctx.html("dkim/keys", d);
}

void deleteSubmit(Ctx& ctx) {
  std::int64_t id = ctx.idParam();
  auto c = ctx.platform.db.conn();
  if (!Repo(c).removeId(id)) throw web::HttpError(404, ctx.t("error_not_found"));
  ctx.flash("success", ctx.t("flash_dkim_deleted"));
  ctx.redirect("/admin/dkim");
}

}  // namespace

void install(web::Platform& p) {
  p.get("/admin/dkim", listPage, web::role("admin"));
  p.post("/admin/dkim/{id}/delete", deleteSubmit, web::role("admin"));
}

}  // namespace mw::dkim
