// The bounce mailbox's parser (issue 13): any message, however malformed, gives a report within
// its bounds (100 recipients, 20 addresses, fields cut at 1,000 bytes) and never crashes; the
// token checks take any text.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "bounces/classify.h"
#include "bounces/parse.h"
#include "bounces/token.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto r = mw::bounces::parseReport(raw);
  if (r.recipients.size() > 100 || r.addresses.size() > 20) std::abort();
  for (const auto& rcpt : r.recipients) {
    if (rcpt.diagnostic.size() > 1000 || rcpt.status.size() > 16) std::abort();
    mw::bounces::classifyStatus(rcpt.status);
    mw::bounces::classifySmtp(550, rcpt.diagnostic);
  }
  for (const auto& a : r.addresses) {
    auto t = mw::bounces::tokenOfVerp("bounces@example.com", a);
    if (mw::bounces::deliveryOfToken("fuzz-secret-0123456789", t)) std::abort();
  }
  mw::bounces::tokenOfMessageId(r.originalMessageId);
  return 0;
}
