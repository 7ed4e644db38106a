#include "messages/template_check.h"

#include <algorithm>
#include <cctype>

namespace mw::messages {
namespace {

struct Open {
  std::string name;
  std::size_t at;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Optimal string alignment distance: insertions, deletions, substitutions, transpositions.
std::size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, sub});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

void locate(const std::string& tmpl, std::size_t at, TemplateIssue& issue) {
  issue.line = 1;
  issue.column = 1;
  for (std::size_t i = 0; i < at && i < tmpl.size(); ++i) {
    if (tmpl[i] == '\n') {
      ++issue.line;
      issue.column = 1;
    } else if ((static_cast<unsigned char>(tmpl[i]) & 0xC0) != 0x80) {
      ++issue.column;
    }
  }
}

TemplateIssue fail(const std::string& tmpl, std::size_t at, std::string code, std::string name) {
  TemplateIssue issue;
  issue.code = std::move(code);
  issue.name = std::move(name);
  locate(tmpl, at, issue);
  return issue;
}

bool allowed(const std::string& name) {
  const auto& names = placeholderNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Checks one tag whose sigil is `kind` and whose trimmed name is `name`; updates the stack.
TemplateIssue checkTag(const std::string& tmpl, std::size_t at, char kind, const std::string& name,
                       std::vector<Open>& open) {
  if (kind == '!') return {};
  if (kind == '=' || kind == '>' || kind == '<' || kind == '$' || kind == '{')
    return fail(tmpl, at, "unsupported", name);
  if (name.empty()) return fail(tmpl, at, "empty_tag", "");
  if (kind == '/') {
    if (open.empty()) return fail(tmpl, at, "unexpected_close", name);
    if (open.back().name != name) {
      auto issue = fail(tmpl, at, "mismatched_close", name);
      issue.expected = open.back().name;
      return issue;
    }
    open.pop_back();
    return {};
  }
  if (!allowed(name)) {
    auto issue = fail(tmpl, at, "unknown", name);
    issue.suggestion = nearestPlaceholder(name);
    return issue;
  }
  if (kind == '#' || kind == '^') {
    if (static_cast<int>(open.size()) >= kMaxNesting) return fail(tmpl, at, "too_deep", name);
    open.push_back({name, at});
  }
  return {};
}

}  // namespace

const std::vector<std::string>& placeholderNames() {
  static const std::vector<std::string> names{"name", "email", "unsubscribe_url"};
  return names;
}

std::string nearestPlaceholder(const std::string& name) {
  if (name.size() > 64) return "";
  std::string best;
  std::size_t bestDistance = 3;
  for (const auto& candidate : placeholderNames()) {
    std::size_t d = editDistance(lower(name), candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best;
}

TemplateIssue scanTemplate(const std::string& tmpl) {
  if (tmpl.size() > kMaxTemplateBytes) return fail(tmpl, 0, "too_big", "");
  std::vector<Open> open;
  std::size_t placeholders = 0;
  std::size_t pos = 0;
  while ((pos = tmpl.find("{{", pos)) != std::string::npos) {
    std::size_t start = pos + 2;
    bool triple = start < tmpl.size() && tmpl[start] == '{';
    std::string closing = triple ? "}}}" : "}}";
    std::size_t end = tmpl.find(closing, start);
    if (end == std::string::npos) return fail(tmpl, pos, "unclosed_tag", "");
    std::string inner = tmpl.substr(start + (triple ? 1 : 0), end - start - (triple ? 1 : 0));
    char kind = triple ? '&' : 0;
    std::string t = trim(inner);
    if (!triple && !t.empty() && std::string("#^/!&=><${").find(t[0]) != std::string::npos) {
      kind = t[0];
      t = trim(t.substr(1));
    }
    auto issue = checkTag(tmpl, pos, kind, t, open);
    if (!issue.ok()) return issue;
    if (kind == 0 || kind == '&') ++placeholders;
    pos = end + closing.size();
  }
  if (!open.empty()) return fail(tmpl, open.back().at, "unclosed_section", open.back().name);
  TemplateIssue ok;
  ok.placeholders = placeholders;
  return ok;
}

std::string describe(const TemplateIssue& issue) {
  if (issue.ok()) return "";
  std::string where = issue.line ? " at line " + std::to_string(issue.line) + ", column " +
                                       std::to_string(issue.column)
                                 : "";
  if (issue.code == "too_big")
    return "template is larger than " + std::to_string(kMaxTemplateBytes / 1024) + " KB";
  if (issue.code == "too_deep")
    return "sections nested deeper than " + std::to_string(kMaxNesting) + " levels" + where;
  if (issue.code == "too_large_output") return "rendered message would be too large";
  std::string s = "template error (" + issue.code + ")";
  if (!issue.name.empty()) s += " {{" + issue.name + "}}";
  return s + where;
}

}  // namespace mw::messages
