#pragma once
#include <Poco/JSON/Object.h>

#include <cstdint>

#include "core/db.h"
#include "web/platform.h"

namespace mw::tracking {

// The public tracking endpoints: GET /t/o/{token} (the open pixel) and GET /t/c/{token} (the
// click redirect). Both anonymous, one read at most and one upsert each.
void install(web::Platform& p);

// A mailing's opens and clicks for its page (key "tracking" of d) and its stats API, as numbers
// and as rates of `delivered` (messages the relay accepted). The caller checked who may see it.
void describe(db::Conn& c, std::int64_t mailingId, std::int64_t delivered, web::Data& d);
void addStats(db::Conn& c, std::int64_t mailingId, std::int64_t delivered, Poco::JSON::Object& o);

}  // namespace mw::tracking
