#include "web/templates.h"

#include <chrono>
#include <iostream>
#include <regex>
#include <stdexcept>

#include "core/resources.h"

namespace mw::web {
namespace {

using kainjow::mustache::data;

// kainjow renders a section for any string, even an empty one, so `{{#avatar_url}}<img ...>`
// showed a broken image and `{{#username}}@{{username}}` a lone "@". Here, as in mustache.js,
// an empty string is false: sections skip it, inverted sections show, variables print nothing.
//
// The lookup is kainjow's, without its costs: a name with a dot ({{t.key}}) was split into a
// vector per lookup, and push() inserted at the front; lookups were 20% of /mailings (perf).
class Context : public kainjow::mustache::basic_context<std::string> {
 public:
  void push(const data* d) override { items_.push_back(d); }
  void pop() override { items_.pop_back(); }

  const data* get(const std::string& name) const override {
    static const data kFalse(false);
    const data* var = find(name);
    if (var && var->is_string() && var->string_value().empty()) return &kFalse;
    return var;
  }

  const data* get_partial(const std::string& name) const override {
    for (auto it = items_.rbegin(); it != items_.rend(); ++it)
      if (const data* var = (*it)->get(name)) return var;
    return nullptr;
  }

 private:
  const data* find(const std::string& name) const {
    if (name == ".") return items_.empty() ? nullptr : items_.back();
    auto dot = name.find('.');
    if (dot == std::string::npos) return get_partial(name);
    // "a.b.c": the innermost item that has "a", then down its path (mustache's rule).
    std::string part = name.substr(0, dot);
    for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
      const data* var = (*it)->get(part);
      if (!var) continue;
      for (std::size_t from = dot + 1; var && from <= name.size();) {
        std::size_t next = name.find('.', from);
        if (next == std::string::npos) next = name.size();
        part.assign(name, from, next - from);
        var = var->get(part);
        from = next + 1;
      }
      if (var) return var;
      part.assign(name, 0, dot);
    }
    return nullptr;
  }

  std::vector<const data*> items_;
};

// kainjow parses a partial again at every use: the partials are pasted in before parsing.
std::string inlinePartials(const std::string& source, const std::map<std::string, std::string>& all,
                           int depth = 0) {
  static const std::regex tag(R"(\{\{>\s*([^}\s]+)\s*\}\})");
  if (depth > 8) throw std::runtime_error("templates: partials nested too deep");
  std::string out;
  auto last = source.cbegin();
  for (std::sregex_iterator it(source.begin(), source.end(), tag), end; it != end; ++it) {
    out.append(last, (*it)[0].first);
    auto p = all.find((*it)[1].str());
    if (p != all.end()) out += inlinePartials(p->second, all, depth + 1);
    last = (*it)[0].second;
  }
  out.append(last, source.cend());
  return out;
}

std::map<std::string, std::string> readSources(const std::string& dir) {
  if (!resources::isDirectory(dir))
    throw std::runtime_error("template directory not found: " + dir);
  std::map<std::string, std::string> sources;
  for (const auto& path : resources::list(dir, ".html")) {
    auto source = resources::read(path);
    if (!source) continue;
    // "<dir>/blog/_card.html" -> "blog/_card"
    std::string name = path.substr(dir.size() + 1);
    name.resize(name.size() - 5);
    sources[name] = std::move(*source);
  }
  return sources;
}

// The names and versions (size and mtime) of every template file: changes with any edit.
std::string fingerprintOf(const std::string& dir) {
  std::string out;
  for (const auto& path : resources::list(dir, ".html"))
    if (auto info = resources::stat(path)) out += path + "=" + info->version + ";";
  return out;
}

std::shared_ptr<const std::map<std::string, std::unique_ptr<kainjow::mustache::mustache>>> parseAll(
    const std::string& dir) {
  auto sources = readSources(dir);
  auto parsed =
      std::make_shared<std::map<std::string, std::unique_ptr<kainjow::mustache::mustache>>>();
  for (const auto& [name, source] : sources) {
    auto tmpl = std::make_unique<kainjow::mustache::mustache>(inlinePartials(source, sources));
    if (!tmpl->is_valid())
      throw std::runtime_error("template " + name + ": " + tmpl->error_message());
    (*parsed)[name] = std::move(tmpl);
  }
  return parsed;
}

double steadyNow() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Templates::Templates(const std::string& dir, const I18n& i18n)
    : dir_(dir), watch_(!resources::isEmbedded(dir)) {
  if (watch_) fingerprint_ = fingerprintOf(dir);
  parsed_ = parseAll(dir);
  checkedAt_ = steadyNow();
  for (const auto& lang : I18n::languages()) {
    data t;
    for (const auto& [k, v] : i18n.table("en")) t.set(k, v);
    for (const auto& [k, v] : i18n.table(lang)) t.set(k, v);
    data root;
    root.set("t", t);
    translations_[lang] = std::move(root);
  }
}

// Embedded templates never change: no lock, no check. From a source tree, a second after an
// edit the next request parses the set again; a template that no longer parses keeps the last
// good set (and says why on stderr).
std::shared_ptr<const Templates::Parsed> Templates::current() const {
  if (!watch_) return parsed_;
  std::lock_guard lock(reloadMutex_);
  double now = steadyNow();
  if (now - checkedAt_ >= 1.0) {
    checkedAt_ = now;
    auto fingerprint = fingerprintOf(dir_);
    if (fingerprint != fingerprint_) {
      fingerprint_ = fingerprint;
      try {
        parsed_ = parseAll(dir_);
      } catch (const std::exception& e) {
        std::cerr << "templates: kept the previous set: " << e.what() << "\n";
      }
    }
  }
  return parsed_;
}

Templates::~Templates() = default;

kainjow::mustache::mustache& Templates::find(const Parsed& set, const std::string& name) {
  auto it = set.find(name);
  if (it == set.end()) throw std::runtime_error("no template named " + name);
  return *it->second;
}

const data* Templates::translations(const data& d) const {
  const data* lang = d.get("lang");
  auto it = translations_.find(lang && lang->is_string() ? lang->string_value() : "en");
  if (it == translations_.end()) it = translations_.find("en");
  return it == translations_.end() ? nullptr : &it->second;
}

// Parsed templates are only read while rendering (kainjow writes nothing but an error message,
// and a template that parsed cannot fail later without partials or lambdas), so threads share them.
std::string Templates::render(const std::string& name, const data& d) const {
  auto set = current();
  auto& tmpl = find(*set, name);
  Context ctx;
  if (const auto* t = translations(d)) ctx.push(t);
  ctx.push(&d);
  return tmpl.render(ctx);
}

std::string Templates::renderPage(const std::string& name, const data& d) const {
  return renderPage(name, d, data());
}

std::string Templates::renderPage(const std::string& name, const data& d,
                                  const data& common) const {
  auto set = current();
  auto& page = find(*set, name);
  auto& layout = find(*set, "layout");
  Context ctx;
  if (const auto* t = translations(common.get("lang") ? common : d)) ctx.push(t);
  ctx.push(&d);
  ctx.push(&common);
  data content;
  content.set("content", page.render(ctx));
  ctx.push(&content);
  return layout.render(ctx);
}

}  // namespace mw::web
