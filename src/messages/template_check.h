#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace mw::messages {

// Limits of a message template part (subject, text or HTML body).
constexpr std::size_t kMaxTemplateBytes = 256 * 1024;
constexpr int kMaxNesting = 8;
// Cap on one rendered part; a template that could render past it is refused before rendering.
constexpr std::size_t kMaxRenderedBytes = 4 * 1024 * 1024;

// The outcome of a bounded, linear scan of a mustache template. `code` is empty when the template
// is acceptable; otherwise one of: too_big, unclosed_tag, empty_tag, unsupported, unknown,
// unexpected_close, mismatched_close, unclosed_section, too_deep. `line`/`column` are 1-based
// (column in characters) and point at the offending tag.
struct TemplateIssue {
  std::string code;
  std::string name;        // the placeholder involved, when there is one
  std::string expected;    // for mismatched_close: the section that was open
  std::string suggestion;  // for unknown: the nearest allowed name, or ""
  std::size_t line = 0;
  std::size_t column = 0;
  std::size_t placeholders = 0;  // variable tags seen (bounds the rendered size)
  bool ok() const { return code.empty(); }
};

const std::vector<std::string>& placeholderNames();
TemplateIssue scanTemplate(const std::string& tmpl);
// A one-line English description, for logs and delivery failure reasons.
std::string describe(const TemplateIssue& issue);
// The allowed name closest to `name` (case-insensitive edit distance <= 2), or "".
std::string nearestPlaceholder(const std::string& name);

}  // namespace mw::messages
