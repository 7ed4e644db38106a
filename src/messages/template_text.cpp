#include "messages/template_text.h"

#include <map>

namespace mw::messages {
namespace {

std::string fill(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    std::string token = "{" + key + "}";
    for (std::size_t at = text.find(token); at != std::string::npos;
         at = text.find(token, at + value.size()))
      text.replace(at, token.size(), value);
  }
  return text;
}

std::string allowedList() {
  std::string names;
  for (const auto& n : placeholderNames()) names += (names.empty() ? "" : ", ") + ("{{" + n + "}}");
  return names;
}

}  // namespace

std::string explain(web::Ctx& ctx, const TemplateIssue& issue) {
  if (issue.ok()) return "";
  std::string name = issue.name.size() > 80 ? issue.name.substr(0, 80) + "…" : issue.name;
  std::map<std::string, std::string> values{
      {"name", name},
      {"expected", issue.expected},
      {"line", std::to_string(issue.line)},
      {"column", std::to_string(issue.column)},
      {"limit", issue.code == "too_big" ? std::to_string(kMaxTemplateBytes / 1024)
                                        : std::to_string(kMaxNesting)},
      {"names", allowedList()}};
  std::string s = issue.line ? fill(ctx.t("tpl_where"), values) : "";
  s += fill(ctx.t("tpl_" + issue.code), values);
  if (issue.code == "unknown") {
    if (!issue.suggestion.empty())
      s += " " + fill(ctx.t("tpl_did_you_mean"), {{"name", issue.suggestion}});
    s += " " + fill(ctx.t("tpl_allowed"), values);
  }
  return s;
}

}  // namespace mw::messages
