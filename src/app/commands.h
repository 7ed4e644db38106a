#pragma once
#include <string>

#include "app/args.h"

namespace mw::app {

// Runs one subcommand; returns the exit status. Throws std::exception with a one-line reason.
int runCommand(const std::string& cmd, const Args& args);

}  // namespace mw::app
