// The template check and the bounded renderer: any input is either refused by the check or
// renders within the limits; nothing crashes, recurses without bound or grows past the cap.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "messages/render.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string tmpl(reinterpret_cast<const char*>(data), size);
  auto issue = mw::messages::checkTemplate(tmpl);
  mw::messages::Recipient r{"Иван <b>&</b>", "ivan@example.com", "https://example.com/u/x"};
  try {
    auto out = mw::messages::render(tmpl, tmpl, tmpl, r);
    if (!issue.ok()) std::abort();  // rendered what the check refused
    if (out.html.size() > mw::messages::kMaxRenderedBytes) std::abort();
    if (out.subject.find('\n') != std::string::npos) std::abort();
  } catch (const mw::messages::TemplateError&) {
    if (issue.ok() && issue.code != "too_large_output") {
      // Only the output bound may refuse a template the check accepted.
      auto again = mw::messages::scanTemplate(tmpl);
      if (again.ok() && tmpl.size() * 6 * 64 < mw::messages::kMaxRenderedBytes) std::abort();
    }
  }
  return 0;
}
