#include "messages/render.h"

#include <algorithm>
#include <kainjow/mustache.hpp>

namespace mw::messages {
// One part, scanned and parsed once. A part that fails its checks keeps the error, thrown on
// each render.
struct Templates::Part {
  std::string name;
  bool empty = false;
  bool escape = true;
  std::size_t size = 0;
  TemplateIssue issue;
  std::unique_ptr<kainjow::mustache::mustache> compiled;  // when issue.ok()

  // tmpl is checked; toRender (when not empty) is compiled in its place.
  Part(std::string partName, const std::string& tmpl, bool escapeHtml,
       const std::string& toRender = "")
      : name(std::move(partName)), empty(tmpl.empty()), escape(escapeHtml), size(tmpl.size()) {
    if (empty) return;
    issue = scanTemplate(tmpl);
    if (!issue.ok()) return;
    if (!toRender.empty()) size = toRender.size();
    compiled = std::make_unique<kainjow::mustache::mustache>(toRender.empty() ? tmpl : toRender);
    if (!compiled->is_valid()) {
      issue.code = "syntax";
      issue.name = compiled->error_message();
      compiled.reset();
      return;
    }
    if (!escape) compiled->set_custom_escape([](const std::string& s) { return s; });
  }

  // extraBytes: the values of the sender's placeholders, each used once.
  std::string render(const kainjow::mustache::data& data, std::size_t longestValue,
                     std::size_t extraBytes = 0) const {
    if (empty) return "";
    if (!issue.ok()) throw TemplateError(name, issue);
    // Each placeholder expands to at most the longest value, six times over when HTML-escaped.
    std::size_t bound = size + issue.placeholders * longestValue * (escape ? 6 : 1) + extraBytes;
    if (bound > kMaxRenderedBytes) {
      TemplateIssue large = issue;
      large.code = "too_large_output";
      throw TemplateError(name, large);
    }
    std::string out;
    out.reserve(bound < 64 * 1024 ? bound : size);
    compiled->render(data, [&out](const std::string& piece) { out += piece; });
    return out;
  }
};

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

Templates::Templates(const std::string& subject, const std::string& text, const std::string& html,
                     const std::string& htmlToRender)
    : subject_(std::make_unique<Part>("subject", subject, false)),
      text_(std::make_unique<Part>("body_text", text, false)),
      html_(std::make_unique<Part>("body_html", html, true, htmlToRender)) {}

Templates::~Templates() = default;

Rendered Templates::render(const Recipient& r, const Values& htmlValues) const {
  kainjow::mustache::data d;
  std::string name = r.name.empty() ? r.email.substr(0, r.email.find('@')) : r.name;
  d.set("name", name);
  d.set("email", r.email);
  d.set("unsubscribe_url", r.unsubscribeUrl);
  std::size_t longest = std::max({name.size(), r.email.size(), r.unsubscribeUrl.size()});
  Rendered out;
  out.subject = subject_->render(d, longest);
  // Subjects are one line.
  for (auto& c : out.subject)
    if (c == '\r' || c == '\n') c = ' ';
  out.text = text_->render(d, longest);
  std::size_t extraBytes = 0;
  for (const auto& [key, value] : htmlValues) {
    d.set(key, value);
    extraBytes += value.size();
  }
  out.html = html_->render(d, longest, extraBytes);
  return out;
}

Rendered render(const std::string& subject, const std::string& text, const std::string& html,
                const Recipient& r) {
  return Templates(subject, text, html).render(r);
}

}  // namespace mw::messages
