#include "bounces/parse.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace mw::bounces {
namespace {

constexpr std::size_t kMaxBytes = 2 * 1024 * 1024;
constexpr int kMaxParts = 64;
constexpr int kMaxDepth = 4;
constexpr std::size_t kMaxRecipients = 100;
constexpr std::size_t kMaxField = 1000;

using Headers = std::vector<std::pair<std::string, std::string>>;  // lower-case name, value

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// Splits at the first empty line: header block, body.
std::pair<std::string_view, std::string_view> splitHead(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\n') continue;
    std::size_t j = i + 1;
    if (j < s.size() && s[j] == '\r') ++j;
    if (j < s.size() && s[j] == '\n') return {s.substr(0, i), s.substr(j + 1)};
    if (j >= s.size()) return {s.substr(0, i), {}};
  }
  return {s, {}};
}

// "Name: value" lines, folded lines joined; at most 500 fields.
Headers parseFields(std::string_view block) {
  Headers out;
  std::size_t pos = 0;
  while (pos < block.size() && out.size() < 500) {
    auto end = block.find('\n', pos);
    if (end == std::string_view::npos) end = block.size();
    std::string_view line = block.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if ((line[0] == ' ' || line[0] == '\t') && !out.empty()) {
      if (out.back().second.size() < kMaxField) out.back().second += " " + trim(line);
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    out.emplace_back(lower(trim(line.substr(0, colon))), trim(line.substr(colon + 1)));
  }
  return out;
}

std::string field(const Headers& h, const std::string& name) {
  for (const auto& [k, v] : h)
    if (k == name) return v.substr(0, kMaxField);
  return "";
}

// A Content-Type parameter (boundary, report-type), quoted or not.
std::string param(const std::string& value, const std::string& name) {
  std::string l = lower(value);
  std::size_t p = 0;
  while ((p = l.find(name, p)) != std::string::npos) {
    bool start = p == 0 || l[p - 1] == ';' || l[p - 1] == ' ' || l[p - 1] == '\t';
    std::size_t q = p + name.size();
    while (q < l.size() && l[q] == ' ') ++q;
    if (!start || q >= l.size() || l[q] != '=') {
      p = q;
      continue;
    }
    ++q;
    while (q < l.size() && l[q] == ' ') ++q;
    if (q < value.size() && value[q] == '"') {
      auto close = value.find('"', q + 1);
      return value.substr(q + 1, close == std::string::npos ? std::string::npos : close - q - 1);
    }
    auto end = value.find_first_of("; \t", q);
    return value.substr(q, end == std::string::npos ? std::string::npos : end - q);
  }
  return "";
}

std::string decodeBase64(std::string_view in) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    auto p = chars.find(c);
    if (p == std::string::npos) continue;
    buf = (buf << 6) | static_cast<unsigned>(p);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xFF);
    }
  }
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

std::string decodeQuotedPrintable(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '=') {
      out += in[i];
      continue;
    }
    if (i + 1 < in.size() && (in[i + 1] == '\n' || in[i + 1] == '\r')) {
      i += (in[i + 1] == '\r' && i + 2 < in.size() && in[i + 2] == '\n') ? 2 : 1;
      continue;
    }
    int hi = i + 2 < in.size() ? hexValue(in[i + 1]) : -1;
    int lo = i + 2 < in.size() ? hexValue(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      out += '=';
      continue;
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string decodeBody(const Headers& h, std::string_view body) {
  std::string enc = lower(field(h, "content-transfer-encoding"));
  if (enc == "base64") return decodeBase64(body);
  if (enc == "quoted-printable") return decodeQuotedPrintable(body);
  return std::string(body);
}

// "rfc822; User@X" or "<User@X>" -> "user@x".
std::string address(std::string_view value) {
  std::string v = trim(value);
  if (auto semi = v.find(';'); semi != std::string::npos) v = trim(v.substr(semi + 1));
  if (auto open = v.find('<'); open != std::string::npos) {
    auto close = v.find('>', open);
    v = v.substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1);
  }
  v = trim(v);
  return v.find('@') == std::string::npos || v.size() > 320 ? "" : lower(v);
}

// "smtp; 550 5.1.1 ..." -> "550 5.1.1 ...".
std::string withoutType(const std::string& v) {
  auto semi = v.find(';');
  return semi == std::string::npos ? v : trim(v.substr(semi + 1));
}

void addAddress(Report& r, const std::string& value) {
  auto a = address(value);
  if (!a.empty() && r.addresses.size() < 20) r.addresses.push_back(a);
}

void readDeliveryStatus(Report& r, std::string_view body) {
  r.type = Report::Type::Dsn;
  // Blocks separated by empty lines: the per-message one, then one per recipient.
  std::string text(body.substr(0, 256 * 1024));
  std::size_t pos = 0;
  while (pos < text.size() && r.recipients.size() < kMaxRecipients) {
    auto [head, rest] = splitHead(std::string_view(text).substr(pos));
    auto f = parseFields(head);
    pos = text.size() - rest.size();
    if (head.empty() && rest.empty()) break;
    std::string rcpt = address(field(f, "final-recipient"));
    if (rcpt.empty()) rcpt = address(field(f, "original-recipient"));
    std::string action = lower(field(f, "action"));
    if (rcpt.empty() && action.empty()) continue;
    r.recipients.push_back({rcpt, action, lower(field(f, "status")).substr(0, 16),
                            withoutType(field(f, "diagnostic-code"))});
    if (rest.empty()) break;
  }
}

void readFeedback(Report& r, std::string_view body) {
  r.type = Report::Type::Arf;
  auto f = parseFields(splitHead(body.substr(0, 64 * 1024)).first);
  r.feedbackType = lower(field(f, "feedback-type"));
  addAddress(r, field(f, "original-mail-from"));
  std::string rcpt = address(field(f, "original-rcpt-to"));
  if (rcpt.empty()) rcpt = address(field(f, "removal-recipient"));
  r.recipients.push_back({rcpt, "complaint", "", ""});
  if (r.originalMessageId.empty()) r.originalMessageId = field(f, "original-message-id");
}

// The returned message (message/rfc822 or text/rfc822-headers): its Message-ID and Return-Path.
void readOriginal(Report& r, std::string_view part) {
  auto h = parseFields(splitHead(part.substr(0, 256 * 1024)).first);
  if (auto id = field(h, "message-id"); !id.empty()) r.originalMessageId = id;
  addAddress(r, field(h, "return-path"));
}

// The first line of plain text that says something (skipping greetings is not attempted).
void readText(Report& r, std::string_view body) {
  if (!r.text.empty()) return;
  std::size_t pos = 0;
  while (pos < body.size() && pos < 16 * 1024) {
    auto end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string line = trim(body.substr(pos, end - pos));
    pos = end + 1;
    if (line.size() >= 10) {
      r.text = line.substr(0, 300);
      return;
    }
  }
}

struct Walker {
  Report& r;
  int parts = 0;

  void walk(std::string_view entity, int depth) {
    if (++parts > kMaxParts || depth > kMaxDepth) return;
    auto [head, body] = splitHead(entity);
    auto h = parseFields(head);
    std::string type = field(h, "content-type");
    std::string mime = lower(trim(type.substr(0, type.find(';'))));
    if (mime.rfind("multipart/", 0) == 0) {
      std::string boundary = param(type, "boundary");
      if (!boundary.empty() && boundary.size() <= 200) return multipart(body, boundary, depth);
    }
    if (mime == "message/delivery-status" || mime == "message/global-delivery-status")
      return readDeliveryStatus(r, decodeBody(h, body));
    if (mime == "message/feedback-report") return readFeedback(r, decodeBody(h, body));
    if (mime == "message/rfc822" || mime == "text/rfc822-headers" || mime == "message/global" ||
        mime == "message/global-headers")
      return readOriginal(r, decodeBody(h, body));
    if (mime.empty() || mime == "text/plain") readText(r, decodeBody(h, body));
  }

  void multipart(std::string_view body, const std::string& boundary, int depth) {
    const std::string delim = "--" + boundary;
    std::size_t pos = body.find(delim);
    while (pos != std::string_view::npos && parts <= kMaxParts) {
      std::size_t start = body.find('\n', pos);
      if (start == std::string_view::npos) return;
      if (body.substr(pos + delim.size(), 2) == "--") return;  // closing delimiter
      std::size_t next = body.find("\n" + delim, start);
      std::string_view part = body.substr(
          start + 1, next == std::string_view::npos ? std::string_view::npos : next - start - 1);
      walk(part, depth + 1);
      pos = next == std::string_view::npos ? next : next + 1;
    }
  }
};

// A bounce that is not RFC 3464 (old Exim, some hosted mail): the first enhanced status code in
// its text and the line around it.
void readPlainBounce(Report& r, std::string_view raw) {
  auto body = splitHead(raw).second.substr(0, 64 * 1024);
  for (std::size_t i = 0; i + 5 <= body.size(); ++i) {
    char c = body[i];
    if ((c != '4' && c != '5') || body[i + 1] != '.' ||
        (i > 0 && (std::isalnum(static_cast<unsigned char>(body[i - 1])) || body[i - 1] == '.')))
      continue;
    std::size_t j = i + 2, digits = 0;
    while (j < body.size() && std::isdigit(static_cast<unsigned char>(body[j])) && digits < 3)
      ++j, ++digits;
    if (!digits || j >= body.size() || body[j] != '.') continue;
    std::size_t k = j + 1, more = 0;
    while (k < body.size() && std::isdigit(static_cast<unsigned char>(body[k])) && more < 3)
      ++k, ++more;
    if (!more || (k < body.size() && (std::isdigit(static_cast<unsigned char>(body[k]))))) continue;
    auto lineStart = body.rfind('\n', i);
    lineStart = lineStart == std::string_view::npos ? 0 : lineStart + 1;
    auto lineEnd = body.find('\n', i);
    r.type = Report::Type::Dsn;
    r.recipients.push_back(
        {"", "failed", std::string(body.substr(i, k - i)),
         trim(body.substr(lineStart, lineEnd == std::string_view::npos ? std::string_view::npos
                                                                       : lineEnd - lineStart))
             .substr(0, 300)});
    break;
  }
  // The returned message's headers, when quoted in the text.
  auto idAt = lower(std::string(body)).find("\nmessage-id:");
  if (idAt != std::string::npos && r.originalMessageId.empty()) {
    auto end = body.find('\n', idAt + 1);
    r.originalMessageId =
        trim(body.substr(idAt + 12,
                         end == std::string_view::npos ? std::string_view::npos : end - idAt - 12))
            .substr(0, 300);
  }
}

}  // namespace

Report parseReport(std::string_view raw) {
  Report r;
  raw = raw.substr(0, kMaxBytes);
  auto h = parseFields(splitHead(raw).first);
  r.messageId = field(h, "message-id").substr(0, 300);
  for (const char* name : {"delivered-to", "x-original-to", "envelope-to", "to"})
    for (const auto& [k, v] : h)
      if (k == name) addAddress(r, v);
  Walker{r}.walk(raw, 0);
  // Only a message that says it is a bounce is read as a plain one (not autoreplies, not spam).
  std::string from = lower(field(h, "from")), subject = lower(field(h, "subject"));
  bool bounceLike = from.find("mailer-daemon") != std::string::npos ||
                    from.find("postmaster") != std::string::npos ||
                    subject.find("undeliver") != std::string::npos ||
                    subject.find("failure") != std::string::npos ||
                    subject.find("returned") != std::string::npos;
  if (r.type == Report::Type::Unknown && bounceLike) readPlainBounce(r, raw);
  return r;
}

}  // namespace mw::bounces
