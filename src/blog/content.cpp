#include "blog/content.h"

#include <sstream>
#include <vector>

namespace mw::blog {
namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// **bold** and *italic* on already escaped text.
std::string inlineMarks(const std::string& s) {
  std::string out;
  bool bold = false, italic = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 2, "**") == 0) {
      out += bold ? "</strong>" : "<strong>";
      bold = !bold;
      ++i;
    } else if (s[i] == '*') {
      out += italic ? "</em>" : "<em>";
      italic = !italic;
    } else {
      out += s[i];
    }
  }
  if (italic) out += "</em>";
  if (bold) out += "</strong>";
  return out;
}

}  // namespace

std::string renderContent(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  std::vector<std::string> para;
  bool inList = false;
  auto flush = [&] {
    if (para.empty()) return;
    out += "<p>";
    for (size_t i = 0; i < para.size(); ++i)
      out += (i ? "<br>" : "") + inlineMarks(escape(para[i]));
    out += "</p>\n";
    para.clear();
  };
  auto closeList = [&] {
    if (inList) out += "</ul>\n";
    inList = false;
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      flush();
      closeList();
    } else if (line.rfind("## ", 0) == 0) {
      flush();
      closeList();
      out += "<h3>" + inlineMarks(escape(line.substr(3))) + "</h3>\n";
    } else if (line.rfind("# ", 0) == 0) {
      flush();
      closeList();
      out += "<h2>" + inlineMarks(escape(line.substr(2))) + "</h2>\n";
    } else if (line.rfind("- ", 0) == 0) {
      flush();
      if (!inList) out += "<ul>\n";
      inList = true;
      out += "<li>" + inlineMarks(escape(line.substr(2))) + "</li>\n";
    } else {
      closeList();
      para.push_back(line);
    }
  }
  flush();
  closeList();
  return out;
}

std::string excerpt(const std::string& text, std::size_t chars) {
  std::string flat;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == '#' || c == '*') continue;
    if (c == ' ' && !flat.empty() && flat.back() == ' ') continue;
    flat += c;
  }
  std::size_t count = 0, i = 0;
  for (; i < flat.size(); ++i) {
    if ((static_cast<unsigned char>(flat[i]) & 0xC0) != 0x80) {
      if (count == chars) break;
      ++count;
    }
  }
  return i < flat.size() ? flat.substr(0, i) + "…" : flat;
}

}  // namespace mw::blog
