#include "messages/render.h"

#include <algorithm>
#include <kainjow/mustache.hpp>

namespace mw::messages {
namespace {

std::string renderOne(const std::string& part, const std::string& tmpl,
                      const kainjow::mustache::data& data, std::size_t longestValue, bool escape) {
  if (tmpl.empty()) return "";
  auto issue = scanTemplate(tmpl);
  if (!issue.ok()) throw TemplateError(part, issue);
  // Each placeholder expands to at most the longest value, six times over when HTML-escaped.
  std::size_t bound = tmpl.size() + issue.placeholders * longestValue * (escape ? 6 : 1);
  if (bound > kMaxRenderedBytes) {
    issue.code = "too_large_output";
    throw TemplateError(part, issue);
  }
  kainjow::mustache::mustache m(tmpl);
  if (!m.is_valid()) {
    TemplateIssue bad;
    bad.code = "syntax";
    bad.name = m.error_message();
    throw TemplateError(part, bad);
  }
  if (!escape) m.set_custom_escape([](const std::string& s) { return s; });
  return m.render(data);
}

}  // namespace

TemplateIssue checkTemplate(const std::string& tmpl) {
  auto issue = scanTemplate(tmpl);
  if (!issue.ok()) return issue;
  kainjow::mustache::mustache m(tmpl);
  if (!m.is_valid()) {
    issue.code = "syntax";
    issue.name = m.error_message();
  }
  return issue;
}

Rendered render(const std::string& subject, const std::string& text, const std::string& html,
                const Recipient& r) {
  kainjow::mustache::data d;
  std::string name = r.name.empty() ? r.email.substr(0, r.email.find('@')) : r.name;
  d.set("name", name);
  d.set("email", r.email);
  d.set("unsubscribe_url", r.unsubscribeUrl);
  std::size_t longest = std::max({name.size(), r.email.size(), r.unsubscribeUrl.size()});
  Rendered out;
  out.subject = renderOne("subject", subject, d, longest, false);
  // Subjects are one line.
  for (auto& c : out.subject)
    if (c == '\r' || c == '\n') c = ' ';
  out.text = renderOne("body_text", text, d, longest, false);
  out.html = renderOne("body_html", html, d, longest, true);
  return out;
}

}  // namespace mw::messages
