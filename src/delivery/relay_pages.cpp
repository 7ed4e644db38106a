// /admin/relays (issue 14.1, role admin): the relays with their state, a form to add one, their
// editing and deletion; GET /api/v1/relays gives the same as JSON. Passwords are sealed on the way
// in and never shown again.
#include <Poco/JSON/Array.h>

#include <cctype>
#include <ctime>

#include "core/config.h"
#include "core/security.h"
#include "delivery/relays_repo.h"
#include "web/form.h"
#include "web/format.h"
#include "web/guards.h"
#include "web/platform.h"

namespace mw::delivery {
namespace {

using web::Ctx;
using web::Data;
using web::FormState;

// A whole number in [lo, hi]; nullopt otherwise.
std::optional<int> intIn(const std::string& text, int lo, int hi) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  int n = 0;
  for (char ch : text) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) return std::nullopt;
    n = n * 10 + (ch - '0');
  }
  if (n < lo || n > hi) return std::nullopt;
  return n;
}

bool validName(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.')
      return false;
  return true;
}

bool validHost(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (char ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '.' && ch != ':')
      return false;
  return true;
}

// Reads and checks the form into r (the password sealed); the state carries values and errors.
// r.id is the relay being edited (0 for a new one), whose own name is not taken.
FormState fromForm(Ctx& ctx, RelayRepo& repo, RelayRow& r) {
  FormState f;
  auto field = [&](const char* name, const std::string& def = "") {
    std::string v = web::clean(ctx.form(name));
    f.set(name, v);
    return v.empty() ? def : v;  // a field left empty takes its default
  };
  r.name = field("name");
  if (!validName(r.name))
    f.error("name", ctx.t("relay_error_name"));
  else if (auto same = repo.byName(r.name); r.name == "default" || (same && same->id != r.id))
    f.error("name", ctx.t("relay_error_name_taken"));
  r.host = field("host");
  if (!validHost(r.host)) f.error("host", ctx.t("relay_error_host"));
  if (auto port = intIn(field("port"), 1, 65535))
    r.port = *port;
  else
    f.error("port", ctx.t("relay_error_port"));
  r.tls = field("tls", "none");
  if (r.tls != "none" && r.tls != "starttls" && r.tls != "ssl")
    f.error("tls", ctx.t("relay_error_tls"));
  r.username = field("username");
  std::string password = ctx.form("password");  // never echoed back, even with errors
  if (auto n = intIn(field("max_connections", "4"), 1, 100))
    r.maxConnections = *n;
  else
    f.error("max_connections", ctx.t("relay_error_connections"));
  if (auto rate = parseRate(field("rate")))
    r.rate = *rate;
  else
    f.error("rate", ctx.t("relay_error_rate"));
  if (auto w = intIn(field("weight", "1"), 0, 1000))
    r.weight = *w;
  else
    f.error("weight", ctx.t("relay_error_weight"));
  if (f.ok() && !password.empty())
    r.sealedPassword = security::seal(ctx.platform.cfg.secretKey, password);
  return f;
}

std::string stateOf(Ctx& ctx, const RelayRow& r, std::int64_t now) {
  if (r.backoffUntil > now)
    return ctx.t("relay_state_backoff") + " " + web::humanTime(ctx, r.backoffUntil);
  return ctx.t("relay_state_up");
}

void listPage(Ctx& ctx, const FormState& f, int status) {
  auto c = ctx.platform.db.conn();
  auto relays = RelayRepo(c).list();
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  Data rows(Data::type::list);
  for (const auto& r : relays) {
    Data d;
    d.set("id", std::to_string(r.id));
    d.set("name", r.name);
    d.set("address", r.host + ":" + std::to_string(r.port));
    d.set("tls", r.tls);
    d.set("username", r.username);
    d.set("has_password", !r.sealedPassword.empty());
    d.set("max_connections", std::to_string(r.maxConnections));
    d.set("rate", r.rate.count ? rateText(r.rate) : ctx.t("relay_unlimited"));
    d.set("weight", std::to_string(r.weight));
    d.set("state", stateOf(ctx, r, now));
    d.set("backing_off", r.backoffUntil > now);
    d.set("last_error", r.lastError);
    d.set("last_error_at", r.lastErrorAt ? web::humanTime(ctx, r.lastErrorAt) : "");
    // An unlimited relay keeps no log of its sends (RateWindow), so nothing to show.
    d.set("window_sent", r.rate.count ? std::to_string(r.windowSent) : "—");
    rows.push_back(d);
  }
  Data d;
  d.set("title", ctx.t("relays_title"));
  d.set("relays", rows);
  d.set("has_relays", !relays.empty());
  const auto& cfg = ctx.platform.cfg;
  d.set("env_address", cfg.emailHost + ":" + std::to_string(cfg.emailPort));
  d.set("form", f.toData());
  d.set("tls_starttls", f.value("tls") == "starttls");  // the choice re-shown with an error
  d.set("tls_ssl", f.value("tls") == "ssl");
  ctx.html("delivery/relays", d, status);
}

// The edit form, filled from the relay (or from what was posted, with its errors).
void editPage(Ctx& ctx, const RelayRow& r, const FormState& posted, int status) {
  FormState f = posted;
  if (status == 200) {
    f.set("name", r.name);
    f.set("host", r.host);
    f.set("port", std::to_string(r.port));
    f.set("tls", r.tls);
    f.set("username", r.username);
    f.set("max_connections", std::to_string(r.maxConnections));
    f.set("rate", rateText(r.rate));
    f.set("weight", std::to_string(r.weight));
  }
  Data d;
  d.set("title", ctx.t("relay_edit_title"));
  d.set("relay_id", std::to_string(r.id));
  d.set("relay_name", r.name);
  d.set("editing", true);
  d.set("has_password", !r.sealedPassword.empty());
  d.set("form", f.toData());
  d.set("tls_starttls", f.value("tls") == "starttls");
  d.set("tls_ssl", f.value("tls") == "ssl");
  ctx.html("delivery/relay_edit", d, status);
}

RelayRow relayOr404(Ctx& ctx, RelayRepo& repo) {
  auto r = repo.byId(ctx.idParam());
  if (!r) throw web::HttpError(404, ctx.t("error_not_found"));
  return *r;
}

void editForm(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  RelayRepo repo(c);
  editPage(ctx, relayOr404(ctx, repo), FormState(), 200);
}

// A password left empty keeps the stored one; "remove password" clears it. The senders pick up
// the new settings within 2 s (RelaySet::refresh) and reconnect; the relay's health goes on.
void editSubmit(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  RelayRepo repo(c);
  RelayRow old = relayOr404(ctx, repo);
  RelayRow r;
  r.id = old.id;
  FormState f = fromForm(ctx, repo, r);
  if (!f.ok()) return editPage(ctx, old, f, 422);
  bool remove = ctx.form("remove_password") == "1";
  bool setPassword = remove || !r.sealedPassword.empty();
  if (remove) r.sealedPassword.clear();
  if (!repo.update(r, setPassword)) throw web::HttpError(404, ctx.t("error_not_found"));
  ctx.flash("success", ctx.t("flash_relay_saved"));
  ctx.redirect("/admin/relays");
}

void createSubmit(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  RelayRepo repo(c);
  RelayRow r;
  FormState f = fromForm(ctx, repo, r);
  if (!f.ok()) return listPage(ctx, f, 422);
  r.createdAt = static_cast<std::int64_t>(std::time(nullptr));
  repo.add(r);
  ctx.flash("success", ctx.t("flash_relay_added"));
  ctx.redirect("/admin/relays");
}

void deleteSubmit(Ctx& ctx) {
  std::int64_t id = ctx.idParam();
  auto c = ctx.platform.db.conn();
  if (!RelayRepo(c).remove(id)) throw web::HttpError(404, ctx.t("error_not_found"));
  ctx.flash("success", ctx.t("flash_relay_deleted"));
  ctx.redirect("/admin/relays");
}

void apiList(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const auto& r : RelayRepo(c).list()) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("id", r.id);
    o->set("name", r.name);
    o->set("host", r.host);
    o->set("port", r.port);
    o->set("tls", r.tls);
    o->set("username", r.username);
    o->set("has_password", !r.sealedPassword.empty());
    o->set("max_connections", r.maxConnections);
    o->set("rate", rateText(r.rate));
    o->set("weight", r.weight);
    o->set("state", r.backoffUntil > now ? "backing_off" : "up");
    o->set("backoff_until", r.backoffUntil);
    o->set("last_error", r.lastError);
    o->set("last_error_at", r.lastErrorAt);
    o->set("window_sent", r.windowSent);
    items->add(o);
  }
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("items", items);
  ctx.json(o);
}

}  // namespace

void installRelays(web::Platform& p) {
  p.get(
      "/admin/relays", [](Ctx& ctx) { listPage(ctx, FormState(), 200); }, web::role("admin"));
  p.post("/admin/relays", createSubmit, web::role("admin"));
  p.get("/admin/relays/{id}/edit", editForm, web::role("admin"));
  p.post("/admin/relays/{id}", editSubmit, web::role("admin"));
  p.post("/admin/relays/{id}/delete", deleteSubmit, web::role("admin"));
  p.get("/api/v1/relays", apiList, web::role("admin"));
}

}  // namespace mw::delivery
