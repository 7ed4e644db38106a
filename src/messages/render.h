#pragma once
#include <string>

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

// Placeholders: {{name}}, {{email}}, {{unsubscribe_url}} (mustache; HTML escaped in the HTML part).
// Returns "" when the template is valid, otherwise the parser's message.
std::string checkTemplate(const std::string& tmpl);
Rendered render(const std::string& subject, const std::string& text, const std::string& html,
                const Recipient& r);

}  // namespace mw::messages
