#pragma once
#include <kainjow/mustache.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/i18n.h"

namespace mw::web {

// Mustache templates from templates/*.html, read and parsed once at start (from a source tree,
// MW_RESOURCE_DIR, they are parsed again when a file changes, checked at most once a second). Files
// whose name starts with '_' are partials ({{>_name}}), inlined into the templates that use them;
// pages render inside layout.html as {{{content}}}. {{t.key}} reads the translation table of the
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
  bool has(const std::string& name) const { return current()->count(name) > 0; }

 private:
  using Parsed = std::map<std::string, std::unique_ptr<kainjow::mustache::mustache>>;
  // The parsed set, kept alive by each render that uses it while a reload replaces it.
  std::shared_ptr<const Parsed> current() const;
  static kainjow::mustache::mustache& find(const Parsed& set, const std::string& name);
  const kainjow::mustache::data* translations(const kainjow::mustache::data& data) const;
  std::string dir_;
  bool watch_ = false;  // a source tree: re-read on change
  mutable std::mutex reloadMutex_;
  mutable std::shared_ptr<const Parsed> parsed_;  // under reloadMutex_ when watch_
  mutable std::string fingerprint_;
  mutable double checkedAt_ = 0;
  std::map<std::string, kainjow::mustache::data> translations_;  // lang -> {"t": {...}}
};

}  // namespace mw::web
