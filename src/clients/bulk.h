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

// Deletes the client with every other domain's references to it, in one transaction.
void removeClient(db::Conn& conn, const Client& c, const Hooks& h);

// POST /clients/bulk: add to a group, remove from a group or delete, for the ticked clients or
// for every client the filter matches.
void bulkSubmit(web::Ctx& ctx, const Hooks& h);

}  // namespace mw::clients
