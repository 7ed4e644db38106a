// The tracked-template fast path (tracking::trackTemplate): for any HTML template it accepts,
// rendering the tracked template gives, byte for byte, what rewriting each rendered message
// gives (rewrite()), with the same links asked for in the same order, for recipients whose name
// tries to add markup or to end a tag; and nothing crashes on any input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "messages/render.h"
#include "tracking/rewrite.h"

namespace {

mw::tracking::Plan plan(std::vector<std::string>& asked) {
  mw::tracking::Plan p;
  p.clicks = true;
  p.keepUrl = "https://mw.example/unsubscribe/abc";
  p.pixelUrl = "https://mw.example/t/o/P&Q";
  p.redirectFor = [&asked](const std::string& url) -> std::optional<std::string> {
    asked.push_back(url);
    return "https://mw.example/t/c/" + std::to_string(asked.size());
  };
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string tmpl(reinterpret_cast<const char*>(data), size);
  auto tracked = mw::tracking::trackTemplate(tmpl, true, true);
  if (!tracked.usable || !mw::messages::checkTemplate(tmpl).ok()) return 0;
  mw::messages::Templates compiled("s", "", tmpl, tracked.html);
  // Never only spaces (a client's name is trimmed, and falls back to the address's local part):
  // whitespace-only text is the one text the tree builder treats apart (a <frameset> honoured).
  for (const char* name :
       {"Анна", "\"><a href=\"https://e.example/\">x</a>", "a href=https://e.example/ x",
        "x=y z='w'", "--><a href=http://e.example/>"}) {
    mw::messages::Recipient r{name, "anna@example.ru", "https://mw.example/unsubscribe/abc"};
    std::vector<std::string> askedSlow, askedFast;
    try {
      auto slow =
          mw::tracking::rewrite(mw::messages::render("s", "", tmpl, r).html, "", plan(askedSlow));
      auto fast = compiled.render(r, mw::tracking::templateValues(tracked, plan(askedFast)));
      if (fast.html != slow.html || askedFast != askedSlow) std::abort();
    } catch (const mw::messages::TemplateError&) {
      // Refused by the output bound: the same for both roads.
    }
  }
  return 0;
}
