#include "web/templates.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mw::web {
namespace {

// kainjow renders a section for any string, even an empty one, so `{{#avatar_url}}<img ...>`
// showed a broken image and `{{#username}}@{{username}}` a lone "@". Here, as in mustache.js,
// an empty string is false: sections skip it, inverted sections show, variables print nothing.
class Context : public kainjow::mustache::context<std::string> {
 public:
  using kainjow::mustache::context<std::string>::context;
  const kainjow::mustache::data* get(const std::string& name) const override {
    static const kainjow::mustache::data kFalse(false);
    const auto* var = kainjow::mustache::context<std::string>::get(name);
    if (var && var->is_string() && var->string_value().empty()) return &kFalse;
    return var;
  }
};

}  // namespace

Templates::Templates(const std::string& dir) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) throw std::runtime_error("template directory not found: " + dir);
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".html") continue;
    std::ifstream in(e.path());
    std::stringstream buf;
    buf << in.rdbuf();
    std::string name = fs::relative(e.path(), dir).replace_extension().string();
    kainjow::mustache::mustache check(buf.str());
    if (!check.is_valid())
      throw std::runtime_error("template " + name + ": " + check.error_message());
    sources_[name] = buf.str();
    if (e.path().filename().string()[0] == '_') partials_.set(name, buf.str());
  }
}

std::string Templates::render(const std::string& name, const kainjow::mustache::data& data) const {
  auto it = sources_.find(name);
  if (it == sources_.end()) throw std::runtime_error("no template named " + name);
  kainjow::mustache::mustache tmpl(it->second);
  Context ctx(&partials_);
  ctx.push(&data);
  std::string out = tmpl.render(ctx);
  if (!tmpl.is_valid()) throw std::runtime_error("template " + name + ": " + tmpl.error_message());
  return out;
}

std::string Templates::renderPage(const std::string& name,
                                  const kainjow::mustache::data& data) const {
  kainjow::mustache::data page = data;
  page.set("content", render(name, data));
  return render("layout", page);
}

}  // namespace mw::web
