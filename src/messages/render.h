#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "messages/template_check.h"

namespace mw::messages {

struct Recipient {
  std::string name;  // falls back to the email's local part when empty
  std::string email;
  std::string unsubscribeUrl;
};

struct Rendered {
  std::string subject;
  std::string text;
  std::string html;
};

// Thrown by render() for a template that fails the checks (whatever road it took into the
// database): the caller records the reason instead of rendering.
class TemplateError : public std::runtime_error {
 public:
  TemplateError(std::string part, TemplateIssue issue)
      : std::runtime_error(part + ": " + describe(issue)),
        part_(std::move(part)),
        issue_(std::move(issue)) {}
  const std::string& part() const { return part_; }
  const TemplateIssue& issue() const { return issue_; }

 private:
  std::string part_;
  TemplateIssue issue_;
};

// Placeholders: {{name}}, {{email}}, {{unsubscribe_url}} (mustache; HTML escaped in the HTML part).
// Returns an issue with an empty code when the template is acceptable (see template_check.h).
TemplateIssue checkTemplate(const std::string& tmpl);
// Bounded: a template failing checkTemplate, or one that could render past kMaxRenderedBytes,
// throws TemplateError; nothing recurses deeper than kMaxNesting.
Rendered render(const std::string& subject, const std::string& text, const std::string& html,
                const Recipient& r);

// A message's subject, text and HTML templates, checked and parsed once and rendered for each
// recipient as render() would (the send path: parsing per message was a tenth of its CPU).
// Not for concurrent use: one per thread.
class Templates {
 public:
  // Values are extra variables of the HTML part, for the sender's own placeholders: with
  // htmlToRender set (html with such placeholders added), that is what is rendered, after html
  // passed the checks.
  using Values = std::vector<std::pair<std::string, std::string>>;
  Templates(const std::string& subject, const std::string& text, const std::string& html,
            const std::string& htmlToRender = "");
  ~Templates();
  Templates(const Templates&) = delete;
  Templates& operator=(const Templates&) = delete;
  // Throws TemplateError as render() does.
  Rendered render(const Recipient& r, const Values& htmlValues = {}) const;

 private:
  struct Part;
  std::unique_ptr<Part> subject_, text_, html_;
};

}  // namespace mw::messages
