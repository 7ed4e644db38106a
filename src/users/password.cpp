#include "users/password.h"

#include <Poco/UTF8String.h>
#include <zxcvbn.h>

#include <cmath>

#include "web/form.h"

namespace mw::users {
namespace {

struct Estimate {
  double bits = 0;
  bool common = false;  // one dictionary word (or its leet form) makes up the whole password
};

Estimate estimate(const std::string& password, const std::vector<std::string>& related) {
  std::vector<const char*> dict;
  for (const auto& w : related)
    if (!w.empty()) dict.push_back(w.c_str());
  dict.push_back(nullptr);
  ZxcMatch_t* info = nullptr;
  Estimate e;
  e.bits = ZxcvbnMatch(password.c_str(), dict.data(), &info);
  for (auto* m = info; m; m = m->Next) {
    int type = static_cast<int>(m->Type) & ~static_cast<int>(MULTIPLE_MATCH);
    bool word = type == DICTIONARY_MATCH || type == DICT_LEET_MATCH;
    if (word && m->Length >= static_cast<int>(password.size()) - 2) e.common = true;
  }
  ZxcvbnFreeInfo(info);
  return e;
}

int scoreOf(double bits) {
  const double guesses[] = {1e3 + 5, 1e6 + 5, 1e8 + 5, 1e10 + 5};
  int score = 0;
  for (double g : guesses)
    if (bits >= std::log2(g)) ++score;
  return score;
}

// The password contains one of the words, or a word contains the password (case-insensitive).
bool similar(const std::string& password, const std::vector<std::string>& related) {
  std::string p = Poco::UTF8::toLower(password);
  for (const auto& w : related) {
    std::string word = Poco::UTF8::toLower(w);
    if (web::utf8Length(word) < 3) continue;
    if (p.find(word) != std::string::npos || word.find(p) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

int passwordScore(const std::string& password, const std::vector<std::string>& related) {
  return scoreOf(estimate(password, related).bits);
}

std::string checkPassword(const std::string& password, int minScore,
                          const std::vector<std::string>& related) {
  if (password.empty()) return "error_required";
  if (web::utf8Length(password) < 8) return "error_password_short";
  if (password.size() > 256) return "error_password_long";
  if (similar(password, related)) return "error_password_similar";
  auto e = estimate(password, related);
  if (scoreOf(e.bits) >= minScore) return "";
  return e.common ? "error_password_common" : "error_password_weak";
}

std::vector<std::string> relatedWords(const std::string& email, const std::string& username,
                                      const std::string& name) {
  std::vector<std::string> out;
  if (!email.empty()) {
    out.push_back(email);
    out.push_back(email.substr(0, email.find('@')));
  }
  if (!username.empty()) out.push_back(username);
  if (!name.empty()) {
    out.push_back(name);
    std::size_t start = 0;
    while (start < name.size()) {  // each word of the name
      auto end = name.find(' ', start);
      if (end == std::string::npos) end = name.size();
      if (end > start) out.push_back(name.substr(start, end - start));
      start = end + 1;
    }
  }
  return out;
}

}  // namespace mw::users
