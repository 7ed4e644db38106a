#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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

// A tracked mailing's HTML template with each trackable link and the open pixel made a
// placeholder ({{{mw_link_N}}}, {{{mw_pixel}}}) by one parse of the template, so that messages
// need no parse of their own (gumbo takes ~40 us for a 500-byte message here: a fifth of the
// sender's CPU). Rendering it with templateValues() gives what rewrite() gives for the rendered
// template, byte for byte. Only for templates whose rendering cannot add or change a link:
// plain {{name}}, {{email}} and {{unsubscribe_url}} tags (HTML-escaped, so no markup) in text or
// in quoted attribute values, no sections, unescaped tags or comments, and no href built from a
// tag unless it is the unsubscribe link alone (left as it is) or a mailto:/tel: one. For any
// other, usable is false and each message goes through rewrite().
struct TrackedTemplate {
  struct Link {
    std::string url;       // as trackableUrls() reads it
    std::string original;  // the attribute value as written, quotes included
  };
  bool usable = false;
  std::string html;
  std::vector<Link> links;  // mw_link_N is links[N]
  bool pixel = false;
};
TrackedTemplate trackTemplate(std::string_view html, bool opens, bool clicks);

// The placeholders' values for one message, by plan (as rewrite() uses it).
std::vector<std::pair<std::string, std::string>> templateValues(const TrackedTemplate& t,
                                                                const Plan& plan);

}  // namespace mw::tracking
