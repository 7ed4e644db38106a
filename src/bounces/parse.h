#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace mw::bounces {

// One recipient of a delivery status notification (RFC 3464 per-recipient fields).
struct DsnRecipient {
  std::string email;       // Final-Recipient (else Original-Recipient), lower case
  std::string action;      // failed, delayed, delivered, relayed, expanded (lower case)
  std::string status;      // "5.1.1"
  std::string diagnostic;  // Diagnostic-Code without its type ("550 5.1.1 no such user")
};

// What a message in the bounce mailbox says. Pure and bounded: at most the first 2 MiB of the
// message, 64 MIME parts, 4 levels of nesting and 100 recipients are looked at; any input
// gives a report (type Unknown at worst), never an exception.
struct Report {
  enum class Type { Unknown, Dsn, Arf };
  Type type = Type::Unknown;
  std::vector<DsnRecipient> recipients;  // DSN; an ARF report's Original-Rcpt-To as one
  std::string feedbackType;              // ARF: abuse, fraud, virus, other...
  std::string messageId;                 // the report's own Message-ID
  std::string originalMessageId;         // Message-ID of the message it is about
  // Where a VERP token may be: the report's To, Delivered-To, X-Original-To, Envelope-To, an
  // ARF Original-Mail-From, the returned message's Return-Path. Lower case, without <>.
  std::vector<std::string> addresses;
  std::string text;  // a line of the human-readable part, for the log when there is no diagnostic
};

Report parseReport(std::string_view raw);

}  // namespace mw::bounces
