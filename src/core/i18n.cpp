#include "core/i18n.h"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/resources.h"

namespace mw {

const std::vector<std::string>& I18n::languages() {
  static const std::vector<std::string> langs{"en", "ru"};
  return langs;
}

I18n::I18n(const std::string& dir) {
  for (const auto& lang : languages()) {
    auto text = resources::read(dir + "/" + lang + ".json");
    if (!text) throw std::runtime_error("missing translation file " + dir + "/" + lang + ".json");
    auto obj = Poco::JSON::Parser().parse(*text).extract<Poco::JSON::Object::Ptr>();
    auto& table = tables_[lang];
    for (const auto& [key, value] : *obj) table[key] = value.convert<std::string>();
  }
  // Fill gaps from English so every language has every key.
  for (auto& [lang, table] : tables_)
    for (const auto& [key, value] : tables_["en"]) table.emplace(key, value);
}

const std::map<std::string, std::string>& I18n::table(const std::string& lang) const {
  auto it = tables_.find(lang);
  return it == tables_.end() ? tables_.at("en") : it->second;
}

std::string I18n::t(const std::string& lang, const std::string& key) const {
  const auto& tab = table(lang);
  auto it = tab.find(key);
  return it == tab.end() ? key : it->second;
}

std::string I18n::pluralCategory(const std::string& lang, long long n) {
  long long a = n < 0 ? -n : n;
  if (lang == "ru") {
    if (a % 10 == 1 && a % 100 != 11) return "one";
    if (a % 10 >= 2 && a % 10 <= 4 && (a % 100 < 12 || a % 100 > 14)) return "few";
    return "many";
  }
  return a == 1 ? "one" : "other";
}

std::string I18n::plural(const std::string& lang, const std::string& key, long long n) const {
  const auto& tab = table(lang);
  auto it = tab.find(key + "_" + pluralCategory(lang, n));
  if (it == tab.end()) it = tab.find(key + "_other");
  std::string text = it == tab.end() ? t(lang, key) : it->second;
  auto at = text.find("{n}");
  if (at != std::string::npos) text.replace(at, 3, std::to_string(n));
  return text;
}

std::string I18n::fromAcceptLanguage(const std::string& header) const {
  // Highest q wins; ties keep header order.
  std::string best;
  double bestQ = 0;
  std::stringstream ss(header);
  std::string item;
  while (std::getline(ss, item, ',')) {
    double q = 1;
    auto semi = item.find(';');
    std::string tag = item.substr(0, semi);
    if (semi != std::string::npos) {
      auto qpos = item.find("q=", semi);
      if (qpos != std::string::npos) {
        try {
          q = std::stod(item.substr(qpos + 2));
        } catch (...) {
          q = 0;
        }
      }
    }
    tag.erase(std::remove(tag.begin(), tag.end(), ' '), tag.end());
    std::string primary = tag.substr(0, tag.find('-'));
    std::transform(primary.begin(), primary.end(), primary.begin(), ::tolower);
    if (supports(primary) && q > bestQ) {
      best = primary;
      bestQ = q;
    }
  }
  return best;
}

}  // namespace mw
