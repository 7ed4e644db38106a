#pragma once
#include "app/args.h"
#include "core/config.h"
#include "core/db.h"

namespace mw::app {

// `mailwright demo --email E [--clients N]`: sample clients, groups, messages, mailings and
// articles in an empty account, for trying the service.
int demoCommand(const Config& cfg, db::Database& db, const Args& args);

}  // namespace mw::app
