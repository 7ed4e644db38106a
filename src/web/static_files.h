#pragma once
#include <map>
#include <string>

#include "web/context.h"

namespace mw::web {

// Serves /static/... from our static/ directory and /static/vendor/<pkg>/... from node_modules,
// and /media/... (user uploads) from DATA_DIR/uploads. Rejects traversal; answers 304 on ETag.
class StaticFiles {
 public:
  StaticFiles(const std::string& resourceDir, const std::string& uploadDir);
  bool serve(Ctx& ctx);  // false when the path is not a static path
  static std::string mimeType(const std::string& path);

 private:
  std::map<std::string, std::string> roots_;  // URL prefix -> directory
};

}  // namespace mw::web
