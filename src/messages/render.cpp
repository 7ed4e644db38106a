#include "messages/render.h"

#include <kainjow/mustache.hpp>

namespace mw::messages {
namespace {

std::string renderOne(const std::string& tmpl, const kainjow::mustache::data& data, bool escape) {
  if (tmpl.empty()) return "";
  kainjow::mustache::mustache m(tmpl);
  if (!escape) m.set_custom_escape([](const std::string& s) { return s; });
  std::string out = m.render(data);
  return m.is_valid() ? out : tmpl;
}

}  // namespace

std::string checkTemplate(const std::string& tmpl) {
  kainjow::mustache::mustache m(tmpl);
  return m.is_valid() ? "" : m.error_message();
}

Rendered render(const std::string& subject, const std::string& text, const std::string& html,
                const Recipient& r) {
  kainjow::mustache::data d;
  std::string name = r.name.empty() ? r.email.substr(0, r.email.find('@')) : r.name;
  d.set("name", name);
  d.set("email", r.email);
  d.set("unsubscribe_url", r.unsubscribeUrl);
  Rendered out;
  out.subject = renderOne(subject, d, false);
  // Subjects are one line.
  for (auto& c : out.subject)
    if (c == '\r' || c == '\n') c = ' ';
  out.text = renderOne(text, d, false);
  out.html = renderOne(html, d, true);
  return out;
}

}  // namespace mw::messages
