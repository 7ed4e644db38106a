#pragma once
#include "app/args.h"
#include "core/config.h"
#include "core/db.h"

namespace mw::dkim {

// `dkim generate --domain D --selector S [--algorithm rsa]` (prints the DNS record),
// `dkim list`, `dkim delete --domain D --selector S`.
int command(const Config& cfg, db::Database& db, const app::Args& args);

}  // namespace mw::dkim
