#pragma once
#include "core/db.h"
#include "mailings/repo.h"
#include "web/context.h"

namespace mw::mailings {

// The recipient choices of the mailing form (issue 12): "all my clients", the owner's groups, and
// clients. An owner with up to kInlineClients clients sees them all, filtered in the page; above
// that the form shows the chosen ones and searches as you type (GET /mailings/picker): 100,000
// inline checkboxes made a 34 MB page that took 1.5 s.
constexpr std::int64_t kInlineClients = 200;

void addAudienceChoices(db::Conn& conn, const Mailing& m, web::Data& d);

// GET /mailings/picker?q=: up to 30 of the user's clients matching q, as form checkboxes.
void pickerFragment(web::Ctx& ctx);

}  // namespace mw::mailings
