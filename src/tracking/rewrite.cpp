#include "tracking/rewrite.h"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>

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

// Calls visit(attribute, url) for each trackable href, in document order (an explicit stack:
// deep nesting must not overflow ours).
template <typename Visit>
void eachLink(const GumboOutput& out, std::string_view keepUrl, Visit visit) {
  std::vector<const GumboNode*> stack{out.root};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE) continue;
    const GumboElement& el = node->v.element;
    if (el.tag == GUMBO_TAG_A || el.tag == GUMBO_TAG_AREA)
      if (const GumboAttribute* href = gumbo_get_attribute(&el.attributes, "href")) {
        std::string url = trimmed(href->value);
        if (trackable(url, keepUrl)) visit(*href, url);
      }
    for (unsigned i = el.children.length; i > 0; --i)
      stack.push_back(static_cast<const GumboNode*>(el.children.data[i - 1]));
  }
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
      edits.push_back({pixelOffset(*out, html), 0,
                       "<img src=\"" + escapeAttr(plan.pixelUrl) +
                           "\" width=\"1\" height=\"1\" alt=\"\" "
                           "style=\"display:block;width:1px;height:1px;border:0\">"});
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

}  // namespace mw::tracking
