#pragma once
// Shared by the mailing pages (pages.cpp) and the mailing API (api.cpp).
#include <Poco/JSON/Object.h>

#include <string>

#include "core/db.h"
#include "mailings/module.h"
#include "mailings/repo.h"
#include "web/context.h"
#include "web/form.h"

namespace mw::mailings {

// A mailing's JSON; client_ids only up to kEchoedIds picked clients (then clients_count alone).
constexpr std::size_t kEchoedIds = 1000;
Poco::JSON::Object::Ptr toJson(web::Ctx& ctx, const Mailing& m);
// Field checks plus: the message, every client and every group are the user's own.
web::FormState check(web::Ctx& ctx, db::Conn& conn, const Mailing& m);
// The user's own mailing of the path's id, else 404.
Mailing load(web::Ctx& ctx, db::Conn& conn);
// Managers may look at any mailing; everyone else only at their own.
Mailing loadViewable(web::Ctx& ctx, db::Conn& conn);
// Queues a run for the audience ("all", "unsent", "failed"); the page never waits for SMTP.
std::int64_t startNow(web::Ctx& ctx, const DeliveryHooks& hooks, const Mailing& m,
                      const std::string& audience = "all");
// A manager disables or enables any mailing (page: redirect; API: the mailing as JSON).
void setActive(web::Ctx& ctx, bool active, bool api);
// Adds from's errors to into.
void merge(web::FormState& into, const web::FormState& from);
// The API routes (api.cpp).
void installApi(web::Platform& p, std::shared_ptr<const DeliveryHooks> hooks);

}  // namespace mw::mailings
