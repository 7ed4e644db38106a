#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mw::tracking {

// How one composed message is to be tracked. Pure data plus a lookup, so that rewrite() has no
// I/O: the send path fills redirectFor from the mailing's stored links.
struct Plan {
  std::string pixelUrl;  // empty: no open pixel
  bool clicks = false;
  std::string keepUrl;  // the recipient's unsubscribe link: never rewritten
  // The signed redirect replacing a URL; nullopt leaves that URL as it is.
  std::function<std::optional<std::string>(const std::string& url)> redirectFor;
};

struct Bodies {
  std::string html;
  std::string text;
};

// The URLs rewrite() would replace, distinct, in order of first appearance: every http(s)
// href of an <a> or <area> in the HTML part (found by an HTML5 parser, gumbo) and every http(s)
// URL in the text part; mailto:, tel:, anchors (#...), other schemes and keepUrl are left alone.
std::vector<std::string> trackableUrls(std::string_view html, std::string_view text,
                                       std::string_view keepUrl);

// The bodies with each trackable URL replaced by plan.redirectFor's answer (when plan.clicks)
// and a 1x1 image of plan.pixelUrl before </body> (or at the end) of a non-empty HTML part.
// Everything else stays byte for byte as it was: only the href values are replaced in the source.
Bodies rewrite(std::string_view html, std::string_view text, const Plan& plan);

}  // namespace mw::tracking
