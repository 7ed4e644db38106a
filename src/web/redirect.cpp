#include "web/redirect.h"

namespace mw::web {

bool safeHeaderValue(std::string_view value) {
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::string localPath(std::string_view target) {
  if (target.empty() || target[0] != '/') return "/";
  if (target.size() > 1 && (target[1] == '/' || target[1] == '\\')) return "/";
  if (!safeHeaderValue(target)) return "/";
  return std::string(target);
}

}  // namespace mw::web
