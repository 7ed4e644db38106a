#pragma once
#include <map>
#include <string>
#include <vector>

namespace mw {

// Flat key -> text tables loaded from locales/<lang>.json; unknown keys fall back to English,
// then to the key itself so a missing translation is visible but harmless.
class I18n {
 public:
  explicit I18n(const std::string& dir);
  const std::map<std::string, std::string>& table(const std::string& lang) const;
  std::string t(const std::string& lang, const std::string& key) const;
  // The plural form of key for n: key_one / key_few / key_many / key_other (CLDR categories;
  // Russian uses one, few, many, English one, other), falling back to key_other, then key.
  // "{n}" in the text is replaced by n.
  std::string plural(const std::string& lang, const std::string& key, long long n) const;
  static std::string pluralCategory(const std::string& lang, long long n);
  bool supports(const std::string& lang) const { return tables_.count(lang) > 0; }
  // Picks a supported language from an Accept-Language header; "" if none matches.
  std::string fromAcceptLanguage(const std::string& header) const;
  static const std::vector<std::string>& languages();

 private:
  std::map<std::string, std::map<std::string, std::string>> tables_;
};

}  // namespace mw
