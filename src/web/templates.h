#pragma once
#include <kainjow/mustache.hpp>

#include <map>
#include <string>

namespace mw::web {

// Mustache templates from templates/*.html, read once at start. Files whose name starts with
// '_' are partials ({{>_name}}); pages render inside layout.html as {{{content}}}.
class Templates {
 public:
  explicit Templates(const std::string& dir);
  std::string render(const std::string& name, const kainjow::mustache::data& data) const;
  std::string renderPage(const std::string& name, const kainjow::mustache::data& data) const;
  bool has(const std::string& name) const { return sources_.count(name) > 0; }

 private:
  std::map<std::string, std::string> sources_;
  kainjow::mustache::data partials_;
};

}  // namespace mw::web
