#include "web/csv.h"

namespace mw::web {

char csvSeparator(const std::string& asked, const std::string& lang) {
  if (asked == "comma") return ',';
  if (asked == "semicolon") return ';';
  return lang == "ru" ? ';' : ',';
}

std::string csvField(const std::string& s) {
  std::string v = s;
  if (!v.empty() && std::string("=+-@").find(v[0]) != std::string::npos) v = "'" + v;
  if (v.find_first_of(",;\t\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace mw::web
