#include "app/args.h"

#include <stdexcept>

namespace mw::app {

Args Args::parse(int argc, char** argv, int from, const std::set<std::string>& switchNames) {
  Args a;
  for (int i = from; i < argc; ++i) {
    std::string w = argv[i];
    if (w.rfind("--", 0) == 0 && w.size() > 2) {
      std::string name = w.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        a.flags[name.substr(0, eq)] = name.substr(eq + 1);
      } else if (switchNames.count(name)) {
        a.switches.insert(name);
      } else {
        if (i + 1 >= argc) throw std::runtime_error("option --" + name + " needs a value");
        a.flags[name] = argv[++i];
      }
    } else {
      a.positional.push_back(w);
    }
  }
  return a;
}

}  // namespace mw::app
