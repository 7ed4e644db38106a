#include "bounces/classify.h"

#include <cctype>

namespace mw::bounces {
namespace {

bool digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

// "d.ddd.ddd" at the start of s (RFC 3463: class one digit, subject and detail 1-3 digits).
std::size_t enhancedLength(std::string_view s) {
  if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return 0;
  std::size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    std::size_t start = i;
    while (i < s.size() && digit(s[i]) && i - start < 3) ++i;
    if (i == start) return 0;
    if (part == 0) {
      if (i >= s.size() || s[i] != '.') return 0;
      ++i;
    }
  }
  if (i < s.size() && digit(s[i])) return 0;  // more than 3 digits
  return i;
}

}  // namespace

const char* kindName(Kind k) {
  switch (k) {
    case Kind::Hard:
      return "hard";
    case Kind::Soft:
      return "soft";
    case Kind::Complaint:
      return "complaint";
    case Kind::None:
      break;
  }
  return "";
}

std::string enhancedCode(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  // An optional basic code: "550 " or "550-".
  if (i + 3 < text.size() && digit(text[i]) && digit(text[i + 1]) && digit(text[i + 2]) &&
      (text[i + 3] == ' ' || text[i + 3] == '-'))
    i += 4;
  while (i < text.size() && text[i] == ' ') ++i;
  auto rest = text.substr(i);
  auto n = enhancedLength(rest);
  return n ? std::string(rest.substr(0, n)) : std::string();
}

Kind classifyStatus(std::string_view s) {
  if (s.empty()) return Kind::None;
  if (s[0] == '2') return Kind::None;
  if (s[0] == '4') return Kind::Soft;
  if (s[0] != '5') return Kind::None;
  if (s.rfind("5.1.", 0) == 0 || s == "5.2.1") return Kind::Hard;
  return Kind::Soft;
}

Kind classifySmtp(int code, std::string_view text) {
  if (code < 400 || code >= 600) return Kind::None;
  auto enhanced = enhancedCode(text);
  if (!enhanced.empty() && enhanced[0] == static_cast<char>('0' + code / 100))
    return classifyStatus(enhanced);
  if (code == 550 || code == 551 || code == 553) return Kind::Hard;
  return Kind::Soft;
}

}  // namespace mw::bounces
