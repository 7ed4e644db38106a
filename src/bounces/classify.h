#pragma once
#include <string>
#include <string_view>

namespace mw::bounces {

enum class Kind { None, Hard, Soft, Complaint };

const char* kindName(Kind k);  // "hard", "soft", "complaint", "" for None

// The enhanced status code (RFC 3463) "class.subject.detail" found at the start of `text`
// (after an optional basic code), or "" when there is none: "550 5.1.1 no such user" -> "5.1.1".
std::string enhancedCode(std::string_view text);

// What an SMTP reply (or a DSN's Status) says about the address. By the enhanced code: 5.1.x
// (bad address) and 5.2.1 (mailbox disabled) are hard; 5.2.2 (mailbox full) and every 4.x.x are
// soft; other 5.x.x (policy, content, relay trouble) are soft, as they say nothing against the
// address. Without an enhanced code, basic 550/551/553 are hard, other 4xx/5xx soft. Success and
// network errors (code 0) are not bounces.
Kind classifySmtp(int code, std::string_view text);
// The same for a DSN status ("5.1.1") alone.
Kind classifyStatus(std::string_view status);

}  // namespace mw::bounces
