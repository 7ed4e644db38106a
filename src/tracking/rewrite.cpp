#include "tracking/rewrite.h"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <set>
#include <span>

namespace mw::tracking {
namespace {

// Longest URL rewritten: beyond it (data stuffed into a link) the URL is left as it is.
constexpr std::size_t kMaxUrl = 8192;

struct Edit {
  std::size_t at = 0;
  std::size_t length = 0;  // replaced bytes (0: an insertion)
  std::string text;
};

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

// As browsers read an href (URL standard): no surrounding spaces, no tab or newline inside.
std::string trimmed(std::string_view s) {
  auto isSpace = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  std::string out;
  for (char c : s)
    if (c != '\t' && c != '\r' && c != '\n') out.push_back(c);
  return out;
}

// http(s) only: mailto:, tel:, #anchors, javascript: and relative links are not ours to count.
bool trackable(const std::string& url, std::string_view keepUrl) {
  if (url.empty() || url.size() > kMaxUrl || url == keepUrl) return false;
  // A control character could not go out in the redirect's Location header.
  for (unsigned char c : url)
    if (c < 0x20 || c == 0x7f) return false;
  return startsWithNoCase(url, "http://") || startsWithNoCase(url, "https://");
}

std::string escapeAttr(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else if (c == '<')
      out += "&lt;";
    else
      out.push_back(c);
  }
  return out;
}

using Output = std::unique_ptr<GumboOutput, std::function<void(GumboOutput*)>>;

Output parse(std::string_view html) {
  return Output(gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()),
                [](GumboOutput* o) { gumbo_destroy_output(&kGumboDefaultOptions, o); });
}

// Calls visit(element) for each element, in document order (an explicit stack: deep nesting
// must not overflow ours).
template <typename Visit>
void eachElement(const GumboOutput& out, Visit visit) {
  std::vector<const GumboNode*> stack{out.root};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE) continue;
    visit(node->v.element);
    const GumboElement& el = node->v.element;
    for (unsigned i = el.children.length; i > 0; --i)
      stack.push_back(static_cast<const GumboNode*>(el.children.data[i - 1]));
  }
}

// Calls visit(href) for the href of each <a> and <area>, in document order, once per href
// written: the parser clones an <a> left open across a block ("<a href=x><p>t</a>"), and the
// clone's href points at the same source bytes.
template <typename Visit>
void eachHref(const GumboOutput& out, Visit visit) {
  std::set<const char*> seen;
  eachElement(out, [&](const GumboElement& el) {
    if (el.tag != GUMBO_TAG_A && el.tag != GUMBO_TAG_AREA) return;
    const GumboAttribute* href = gumbo_get_attribute(&el.attributes, "href");
    if (!href) return;
    if (href->original_value.data && !seen.insert(href->original_value.data).second) return;
    visit(*href);
  });
}

// Calls visit(attribute, url) for each trackable href, in document order.
template <typename Visit>
void eachLink(const GumboOutput& out, std::string_view keepUrl, Visit visit) {
  eachHref(out, [&](const GumboAttribute& href) {
    std::string url = trimmed(href.value);
    if (trackable(url, keepUrl)) visit(href, url);
  });
}

const GumboNode* findTag(const GumboNode* root, GumboTag tag) {
  std::vector<const GumboNode*> stack{root};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type != GUMBO_NODE_ELEMENT) continue;
    if (node->v.element.tag == tag) return node;
    for (unsigned i = node->v.element.children.length; i > 0; --i)
      stack.push_back(static_cast<const GumboNode*>(node->v.element.children.data[i - 1]));
  }
  return nullptr;
}

// Where the pixel goes: before </body>, else before </html>, else at the end.
std::size_t pixelOffset(const GumboOutput& out, std::string_view html) {
  for (auto tag : {GUMBO_TAG_BODY, GUMBO_TAG_HTML}) {
    const GumboNode* n = tag == GUMBO_TAG_HTML ? out.root : findTag(out.root, tag);
    if (!n || n->type != GUMBO_NODE_ELEMENT) continue;
    const GumboStringPiece& end = n->v.element.original_end_tag;
    if (end.data && end.length) return static_cast<std::size_t>(end.data - html.data());
  }
  return html.size();
}

// A URL in plain text: from http(s):// to the first space or <>", less trailing punctuation
// (and a closing bracket that opens nowhere in the URL).
std::size_t urlEnd(std::string_view text, std::size_t start) {
  std::size_t end = start;
  while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) &&
         text[end] != '<' && text[end] != '>' && text[end] != '"')
    ++end;
  while (end > start) {
    char c = text[end - 1];
    std::string_view url = text.substr(start, end - start);
    bool unbalanced = (c == ')' && std::count(url.begin(), url.end(), '(') <
                                       std::count(url.begin(), url.end(), ')')) ||
                      (c == ']' && std::count(url.begin(), url.end(), '[') <
                                       std::count(url.begin(), url.end(), ']'));
    if (std::string_view(".,;:!?'*").find(c) == std::string_view::npos && !unbalanced) break;
    --end;
  }
  return end;
}

template <typename Visit>
void eachTextUrl(std::string_view text, std::string_view keepUrl, Visit visit) {
  std::size_t i = 0;
  while (i < text.size()) {
    bool http = startsWithNoCase(text.substr(i), "http://");
    bool https = startsWithNoCase(text.substr(i), "https://");
    bool boundary = i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1]));
    if (!(http || https) || !boundary) {
      ++i;
      continue;
    }
    std::size_t end = urlEnd(text, i);
    std::string url(text.substr(i, end - i));
    if (trackable(url, keepUrl) && url.size() > (https ? 8u : 7u)) visit(i, url);
    i = std::max(end, i + 1);
  }
}

std::string pixelTag(const std::string& url) {
  return "<img src=\"" + escapeAttr(url) +
         "\" width=\"1\" height=\"1\" alt=\"\" "
         "style=\"display:block;width:1px;height:1px;border:0\">";
}

// A mustache tag of a template: [at, end) and its name.
struct Tag {
  std::size_t at = 0, end = 0;
  std::string_view name;
};

// The template's tags, or nullopt unless each is a plain, HTML-escaped {{name}}, {{email}} or
// {{unsubscribe_url}} (no section, comment, {{{unescaped}}} or {{&unescaped}}) that cannot open
// a tag.
std::optional<std::vector<Tag>> plainTags(std::string_view html) {
  std::vector<Tag> tags;
  for (std::size_t at = html.find("{{"); at != std::string_view::npos; at = html.find("{{", at)) {
    std::size_t close = html.find("}}", at + 2);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view name = html.substr(at + 2, close - at - 2);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name != "name" && name != "email" && name != "unsubscribe_url") return std::nullopt;
    // Right after "<", "</", "<!" or "<!-" (and a tag name begun), a value would open or
    // close a tag, or open a comment.
    std::size_t k = at;
    while (k > 0 && std::isalnum(static_cast<unsigned char>(html[k - 1]))) --k;
    std::string_view before = html.substr(k >= 3 ? k - 3 : 0, k >= 3 ? 3 : k);
    if (before.ends_with("<") || before.ends_with("</") || before.ends_with("<!") ||
        before.ends_with("<!-"))
      return std::nullopt;
    tags.push_back({at, close + 2, name});
    at = close + 2;
  }
  return tags;
}

struct Span {
  std::size_t at = 0, end = 0;
  bool holds(const Tag& t) const { return t.at >= at && t.end <= end; }
};

// The tags that meet span (tags are in order and do not overlap: a binary search, so that a
// 256 KB template of tags and elements stays linear).
std::span<const Tag> tagsMeeting(const std::vector<Tag>& tags, const Span& span) {
  auto first = std::partition_point(tags.begin(), tags.end(),
                                    [&](const Tag& t) { return t.end <= span.at; });
  auto last =
      std::partition_point(first, tags.end(), [&](const Tag& t) { return t.at < span.end; });
  return {first, last};
}

Span spanOf(const GumboStringPiece& piece, std::string_view html) {
  if (!piece.data || piece.data < html.data()) return {};
  std::size_t at = static_cast<std::size_t>(piece.data - html.data());
  return {at, at + piece.length};
}

// Whether rendering leaves the tokenizer's state alone: each tag is in text, a comment or raw
// text, or in a quoted attribute value, where a value (no < > & " ' once escaped) cannot end
// anything. Elsewhere in a tag, its '=' and spaces could end a name or an unquoted value and
// shift where the tag ends (an href among what follows). Known in text when the last '<' or '>'
// before it is a '>' with no quote since (a '>' ends any tag, or sits in the quoted value the
// tag is still in); in a quoted value when the parser put it in one of an element's. By
// induction from the first tag, every tag sees the state the template had.
bool tagsLeaveTheStateAlone(const GumboOutput& out, std::string_view html,
                            const std::vector<Tag>& tags) {
  std::vector<Span> quoted;
  eachElement(out, [&](const GumboElement& el) {
    for (unsigned i = 0; i < el.attributes.length; ++i) {
      const auto* a = static_cast<const GumboAttribute*>(el.attributes.data[i]);
      Span v = spanOf(a->original_value, html);
      if (v.end > v.at + 1 && (html[v.at] == '"' || html[v.at] == '\'')) quoted.push_back(v);
    }
  });
  std::sort(quoted.begin(), quoted.end(), [](const Span& a, const Span& b) { return a.at < b.at; });
  for (const Tag& t : tags) {
    std::size_t mark = html.find_last_of("<>", t.at == 0 ? 0 : t.at - 1);
    if (t.at == 0 || mark == std::string_view::npos) continue;  // text from the start
    if (html[mark] == '>' &&
        html.substr(mark, t.at - mark).find_first_of("\"'") == std::string_view::npos)
      continue;
    auto q = std::partition_point(quoted.begin(), quoted.end(),
                                  [&](const Span& s) { return s.end <= t.at; });
    if (q == quoted.end() || !q->holds(t)) return false;
  }
  return true;
}

// An href built from tags that rendering could turn into a trackable URL: only the unsubscribe
// link alone (never tracked) and mailto:/tel: ones are not.
bool hrefMayVary(std::string_view html, const Span& value, const std::vector<Tag>& tags) {
  auto inside = tagsMeeting(tags, value);
  if (value.end == value.at || inside.empty()) return false;
  std::string_view v = html.substr(value.at, value.end - value.at);
  if (!v.empty() && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, v.size() - 2);
  std::string literal = trimmed(v);
  if (inside.size() == 1 && inside[0].name == "unsubscribe_url" &&
      literal == html.substr(inside[0].at, inside[0].end - inside[0].at))
    return false;
  return !startsWithNoCase(literal, "mailto:") && !startsWithNoCase(literal, "tel:");
}

std::string applyEdits(std::string_view source, std::vector<Edit> edits) {
  std::stable_sort(edits.begin(), edits.end(),
                   [](const Edit& a, const Edit& b) { return a.at < b.at; });
  std::string out;
  out.reserve(source.size() + edits.size() * 80);
  std::size_t pos = 0;
  for (const auto& e : edits) {
    out.append(source.substr(pos, e.at - pos));
    out += e.text;
    pos = e.at + e.length;
  }
  out.append(source.substr(pos));
  return out;
}

}  // namespace

std::vector<std::string> trackableUrls(std::string_view html, std::string_view text,
                                       std::string_view keepUrl) {
  std::vector<std::string> urls;
  std::set<std::string> seen;
  auto add = [&](const std::string& url) {
    if (seen.insert(url).second) urls.push_back(url);
  };
  if (!html.empty()) {
    auto out = parse(html);
    eachLink(*out, keepUrl, [&](const GumboAttribute&, const std::string& url) { add(url); });
  }
  eachTextUrl(text, keepUrl, [&](std::size_t, const std::string& url) { add(url); });
  return urls;
}

Bodies rewrite(std::string_view html, std::string_view text, const Plan& plan) {
  Bodies b{std::string(html), std::string(text)};
  bool clicks = plan.clicks && plan.redirectFor;
  if (!html.empty() && (clicks || !plan.pixelUrl.empty())) {
    auto out = parse(html);
    std::vector<Edit> edits;
    if (clicks)
      eachLink(*out, plan.keepUrl, [&](const GumboAttribute& href, const std::string& url) {
        auto to = plan.redirectFor(url);
        const GumboStringPiece& v = href.original_value;
        if (!to || !v.data || v.data < html.data()) return;
        edits.push_back({static_cast<std::size_t>(v.data - html.data()), v.length,
                         "\"" + escapeAttr(*to) + "\""});
      });
    if (!plan.pixelUrl.empty())
      edits.push_back({pixelOffset(*out, html), 0, pixelTag(plan.pixelUrl)});
    b.html = applyEdits(html, std::move(edits));
  }
  if (clicks) {
    std::vector<Edit> edits;
    eachTextUrl(text, plan.keepUrl, [&](std::size_t at, const std::string& url) {
      if (auto to = plan.redirectFor(url)) edits.push_back({at, url.size(), *to});
    });
    b.text = applyEdits(text, std::move(edits));
  }
  return b;
}

TrackedTemplate trackTemplate(std::string_view html, bool opens, bool clicks) {
  TrackedTemplate t;
  auto tags = plainTags(html);
  if (html.empty() || !tags || (!opens && !clicks)) return t;
  auto out = parse(html);
  if (!tagsLeaveTheStateAlone(*out, html, *tags)) return t;
  std::vector<Edit> edits;
  bool varies = false;
  eachHref(*out, [&](const GumboAttribute& href) {
    Span value = spanOf(href.original_value, html);
    if (clicks && hrefMayVary(html, value, *tags)) varies = true;
    std::string url = trimmed(href.value);
    if (!clicks || !trackable(url, "") || value.end == value.at) return;
    edits.push_back(
        {value.at, value.end - value.at, "{{{mw_link_" + std::to_string(t.links.size()) + "}}}"});
    t.links.push_back({url, std::string(html.substr(value.at, value.end - value.at))});
  });
  if (varies) return TrackedTemplate{};
  if (opens) {
    edits.push_back({pixelOffset(*out, html), 0, "{{{mw_pixel}}}"});
    t.pixel = true;
  }
  // A brace next to a placeholder would make another tag of it ("{" + "{{{mw_pixel}}}").
  for (const Edit& e : edits)
    if ((e.at > 0 && html[e.at - 1] == '{') ||
        (e.at + e.length < html.size() && html[e.at + e.length] == '}'))
      return TrackedTemplate{};
  t.html = applyEdits(html, std::move(edits));
  t.usable = true;
  return t;
}

std::vector<std::pair<std::string, std::string>> templateValues(const TrackedTemplate& t,
                                                                const Plan& plan) {
  std::vector<std::pair<std::string, std::string>> values;
  bool clicks = plan.clicks && plan.redirectFor;
  for (std::size_t i = 0; i < t.links.size(); ++i) {
    auto to = clicks ? plan.redirectFor(t.links[i].url) : std::nullopt;
    values.emplace_back("mw_link_" + std::to_string(i),
                        to ? "\"" + escapeAttr(*to) + "\"" : t.links[i].original);
  }
  if (t.pixel)
    values.emplace_back("mw_pixel", plan.pixelUrl.empty() ? "" : pixelTag(plan.pixelUrl));
  return values;
}

}  // namespace mw::tracking
