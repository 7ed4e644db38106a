#pragma once
#include "app/args.h"
#include "core/config.h"
#include "core/db.h"

namespace mw::users {

// Subcommands: createsuperuser, user create, role grant|revoke, token create.
// Each returns the exit status; reasons go to stderr in one line.
int createSuperuser(const Config& cfg, db::Database& db, const app::Args& args);
int userCommand(const Config& cfg, db::Database& db, const app::Args& args);
int roleCommand(const Config& cfg, db::Database& db, const app::Args& args);
int tokenCommand(const Config& cfg, db::Database& db, const app::Args& args);

}  // namespace mw::users
