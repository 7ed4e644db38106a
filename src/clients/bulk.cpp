#include "clients/bulk.h"

#include "clients/groups.h"
#include "core/security.h"
#include "web/form.h"
#include "web/pager.h"

namespace mw::clients {
namespace {

using web::Ctx;
using web::HttpError;

std::vector<std::int64_t> tickedIds(Ctx& ctx) {
  std::vector<std::int64_t> ids;
  for (const auto& raw : ctx.formAll("ids"))
    if (auto id = parseId(raw); id > 0) ids.push_back(id);
  return ids;
}

std::vector<std::int64_t> idsOf(const std::vector<Client>& clients) {
  std::vector<std::int64_t> ids;
  ids.reserve(clients.size());
  for (const auto& c : clients) ids.push_back(c.id);
  return ids;
}

// Deletes what the filter matches, 5,000 clients per transaction (each goes with its references).
std::int64_t deleteMatching(db::Conn& conn, std::int64_t owner, const ListFilter& f,
                            const Hooks& h) {
  Repo repo(conn);
  std::int64_t n = 0;
  for (;;) {
    auto batch = repo.list(owner, f.q, 0, 5000, f.groupId, f.status);
    if (batch.empty()) return n;
    db::Tx tx(conn);
    dropClients(conn, owner, idsOf(batch), h);
    tx.commit();
    n += static_cast<std::int64_t>(batch.size());
  }
}

std::int64_t deleteTicked(db::Conn& conn, std::int64_t owner, const std::vector<std::int64_t>& ids,
                          const Hooks& h) {
  auto owned = Repo(conn).byIds(owner, ids);
  db::Tx tx(conn);
  dropClients(conn, owner, idsOf(owned), h);
  tx.commit();
  return static_cast<std::int64_t>(owned.size());
}

}  // namespace

std::int64_t parseId(const std::string& raw) {
  if (raw.empty()) return 0;
  if (raw.size() > 15) return -1;
  std::int64_t id = 0;
  for (char ch : raw) {
    if (ch < '0' || ch > '9') return -1;
    id = id * 10 + (ch - '0');
  }
  return id > 0 ? id : -1;
}

// A statement per 512 clients, not one per client: each DELETE on clients is a statement's
// savepoint at which SQLite's FTS5 index flushes (0.35 ms a client, 6 minutes for a million;
// 12.5 us a client by 500, measured with sqlite3 on 100,000 clients).
void dropClients(db::Conn& conn, std::int64_t owner, const std::vector<std::int64_t>& ids,
                 const Hooks& h) {
  if (ids.empty()) return;
  if (h.onRemove) h.onRemove(conn, owner, ids);
  Repo(conn).removeMany(owner, ids);
}

std::string ListFilter::on(const std::string& url) const {
  std::string out = url;
  if (!q.empty()) out = web::withParam(out, "q", q);
  if (groupId > 0) out = web::withParam(out, "group_id", std::to_string(groupId));
  if (!status.empty()) out = web::withParam(out, "status", status);
  return out;
}

ListFilter listFilter(Ctx& ctx, db::Conn& conn, bool fromForm) {
  auto get = [&](const std::string& name) {
    return fromForm ? ctx.form("f_" + name) : ctx.query(name);
  };
  ListFilter f;
  f.q = web::clean(get("q"));
  f.status = get("status");
  if (!knownStatus(f.status)) f.status.clear();
  f.groupId = parseId(get("group_id"));
  if (f.groupId < 0 || (f.groupId > 0 && !GroupRepo(conn).get(ctx.user->id, f.groupId)))
    throw HttpError(404, ctx.t("error_not_found"));
  return f;
}

void removeClient(db::Conn& conn, const Client& c, const Hooks& h) {
  db::Tx tx(conn);
  dropClients(conn, c.ownerId, {c.id}, h);
  tx.commit();
}

void eraseClient(db::Conn& conn, const Client& c, const Hooks& h, const std::string& secretKey) {
  std::string alias =
      "erased-" + security::sha256Hex(secretKey + "\n" + c.email).substr(0, 20) + "@erased.invalid";
  db::Tx tx(conn);
  if (h.onErase) h.onErase(conn, c.ownerId, c.id, c.email, alias);
  dropClients(conn, c.ownerId, {c.id}, h);
  tx.commit();
}

void bulkSubmit(Ctx& ctx, const Hooks& h) {
  auto conn = ctx.platform.db.conn();
  auto filter = listFilter(ctx, conn, true);
  std::string back = filter.on("/clients");
  std::string action = ctx.form("action");
  bool matching = ctx.form("scope") == "matching";
  auto ids = matching ? std::vector<std::int64_t>{} : tickedIds(ctx);
  std::int64_t owner = ctx.user->id;
  if (!matching && ids.empty()) {
    ctx.flash("danger", ctx.t("error_bulk_none"));
    return ctx.redirect(back);
  }
  if (action == "delete") {
    auto n = matching ? deleteMatching(conn, owner, filter, h) : deleteTicked(conn, owner, ids, h);
    ctx.flash("success", ctx.tn("flash_bulk_deleted", n));
    return ctx.redirect(matching ? std::string("/clients") : back);
  }
  if (action != "add" && action != "remove") {
    ctx.flash("danger", ctx.t("error_bulk_action"));
    return ctx.redirect(back);
  }
  GroupRepo groups(conn);
  auto target = parseId(ctx.form("target_group"));
  auto group = target > 0 ? groups.get(owner, target) : std::nullopt;
  if (!group) {
    ctx.flash("danger", ctx.t("error_bulk_group"));
    return ctx.redirect(back);
  }
  ClientFilter cf{filter.q, filter.groupId, filter.status};
  db::Tx tx(conn);
  std::int64_t n = 0;
  if (action == "add")
    n = matching ? groups.addMatching(owner, group->id, cf)
                 : groups.addMembers(owner, group->id, ids);
  else
    n = matching ? groups.removeMatching(owner, group->id, cf)
                 : groups.removeMembers(owner, group->id, ids);
  tx.commit();
  ctx.flash("success", ctx.tn(action == "add" ? "flash_bulk_added" : "flash_bulk_removed", n) +
                           " «" + group->name + "»");
  ctx.redirect(back);
}

}  // namespace mw::clients
