#pragma once
#include <kainjow/mustache.hpp>

#include <map>
#include <memory>
#include <string>

#include "core/i18n.h"

namespace mw::web {

// Mustache templates from templates/*.html, read and parsed once at start. Files whose name
// starts with '_' are partials ({{>_name}}), inlined into the templates that use them; pages
// render inside layout.html as {{{content}}}. {{t.key}} reads the translation table of the
// data's "lang" (English for keys that language lacks), built once per language.
class Templates {
 public:
  Templates(const std::string& dir, const I18n& i18n);
  ~Templates();
  std::string render(const std::string& name, const kainjow::mustache::data& data) const;
  std::string renderPage(const std::string& name, const kainjow::mustache::data& data) const;
  // `common` (the platform's page data) is looked up before `data`, without merging the two.
  std::string renderPage(const std::string& name, const kainjow::mustache::data& data,
                         const kainjow::mustache::data& common) const;
  bool has(const std::string& name) const { return parsed_.count(name) > 0; }

 private:
  kainjow::mustache::mustache& find(const std::string& name) const;
  const kainjow::mustache::data* translations(const kainjow::mustache::data& data) const;
  std::map<std::string, std::unique_ptr<kainjow::mustache::mustache>> parsed_;
  std::map<std::string, kainjow::mustache::data> translations_;  // lang -> {"t": {...}}
};

}  // namespace mw::web
