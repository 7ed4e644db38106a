#pragma once
#include <cstdint>
#include <string>

#include "clients/module.h"
#include "clients/repo.h"
#include "web/context.h"

namespace mw::clients {

// The client list's filter (issue 12): search, group, status ("active", "unsubscribed" or "").
struct ListFilter {
  std::string q;
  std::int64_t groupId = 0;
  std::string status;
  bool any() const { return !q.empty() || groupId > 0 || !status.empty(); }
  // url with the filter's parameters appended.
  std::string on(const std::string& url) const;
};

// From the query string, or from the bulk form's hidden f_* fields; another user's group (or a
// group id that is no number) answers 404.
ListFilter listFilter(web::Ctx& ctx, db::Conn& conn, bool fromForm);

// A positive id from a request; 0 for "" and -1 for anything else.
std::int64_t parseId(const std::string& raw);

// Deletes the owner's clients with every other domain's references to them, inside the caller's
// transaction, a few statements per 512 of them.
void dropClients(db::Conn& conn, std::int64_t owner, const std::vector<std::int64_t>& ids,
                 const Hooks& h);
// The same in a transaction of its own.
void removeClient(db::Conn& conn, const Client& c, const Hooks& h);
// Erases the client for a deletion request (152-ФЗ, GDPR): deleted, and its address in the
// owner's history replaced by a keyed hash that cannot be turned back into the address, so that
// the history still counts one recipient per former address.
void eraseClient(db::Conn& conn, const Client& c, const Hooks& h, const std::string& secretKey);

// POST /clients/bulk: add to a group, remove from a group or delete, for the ticked clients or
// for every client the filter matches.
void bulkSubmit(web::Ctx& ctx, const Hooks& h);

}  // namespace mw::clients
