#pragma once
// Shared by the client pages (pages.cpp) and the clients API (api.cpp).
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <string>

#include "clients/csv.h"
#include "clients/groups.h"
#include "clients/repo.h"
#include "web/context.h"
#include "web/form.h"

namespace mw::clients {

Poco::JSON::Object::Ptr toJson(web::Ctx& ctx, const Client& c);
// Validation and uniqueness for pages and API alike.
web::FormState check(web::Ctx& ctx, Repo& repo, const Client& c);
// The user's own client of the path's id, else 404.
Client load(web::Ctx& ctx, Repo& repo);
// The user's own group of the path's id, else 404.
Group loadGroup(web::Ctx& ctx, GroupRepo& repo);

struct ImportResult {
  std::int64_t imported = 0;
  std::int64_t existing = 0;
  ParsedCsv parsed;
};
// group > 0: every row of the file (new or existing client) goes into that group too.
ImportResult runImport(web::Ctx& ctx, const std::string& text, std::int64_t group = 0);

// The clients that the list's filter (?q=&group_id=&status=) matches, as CSV, newest first
// (page and API).
void exportCsv(web::Ctx& ctx);

}  // namespace mw::clients
