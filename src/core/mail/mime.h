#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mw::mail {

struct Address {
  std::string name;
  std::string email;
};

struct OutgoingMessage {
  Address from;
  Address to;
  std::string subject;
  std::string text;
  std::string html;
  std::vector<std::pair<std::string, std::string>> headers;  // extra, e.g. List-Unsubscribe
  std::string messageId;                                     // "<...>"; generated when empty
  Address replyTo;                                           // written when its email is set
};

// The whole message as CRLF bytes: RFC 2047 encoded words for non-ASCII subject and names,
// Date, Message-ID, MIME-Version, text/plain and/or text/html (multipart/alternative) in
// quoted-printable UTF-8. CR and LF in header values are removed (no header injection).
std::string renderMime(const OutgoingMessage& m, std::int64_t date);
std::string generateMessageId(const std::string& domain);
// Pragmatic address check: local@domain.tld, no spaces or control characters, length limits.
bool isValidEmail(std::string_view email);
// "Name <addr>" with the name quoted or encoded as needed.
std::string formatAddress(const Address& a);
std::string encodeHeaderWords(const std::string& value, std::size_t firstLineUsed);
std::string quotedPrintable(const std::string& text);

}  // namespace mw::mail
