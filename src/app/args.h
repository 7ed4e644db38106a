#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

namespace mw::app {

// argv after the subcommand: positional words and --flag value / --switch.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
  std::set<std::string> switches;

  static Args parse(int argc, char** argv, int from, const std::set<std::string>& switchNames);
  std::string get(const std::string& flag, const std::string& def = "") const {
    auto it = flags.find(flag);
    return it == flags.end() ? def : it->second;
  }
  bool has(const std::string& flag) const { return flags.count(flag) > 0; }
  bool on(const std::string& name) const { return switches.count(name) > 0; }
};

}  // namespace mw::app
