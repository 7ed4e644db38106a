#include "bounces/inbound.h"

#include <cctype>

#include "bounces/token.h"

namespace mw::bounces {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::optional<DeliveryRef> matchDelivery(Store& store, const Config& cfg, const Clues& clues) {
  std::vector<std::string> tokens;
  if (!cfg.bounces.address.empty())
    for (const auto& a : clues.addresses)
      if (auto t = tokenOfVerp(cfg.bounces.address, a); !t.empty()) tokens.push_back(t);
  for (const auto& t : clues.tokens) tokens.push_back(t);
  if (auto t = tokenOfMessageId(clues.messageId); !t.empty()) tokens.push_back(t);
  for (const auto& t : tokens) {
    auto id = deliveryOfToken(cfg.secretKey, t);
    if (!id) continue;
    auto d = store.delivery(*id);
    if (!d) continue;
    if (!clues.email.empty() && lower(clues.email) != lower(d->email)) return std::nullopt;
    return d;
  }
  return std::nullopt;
}

InboundResult recordEvent(Store& store, const Event& e) {
  InboundResult r;
  r.matched = true;
  r.recorded = store.record(e);
  if (r.recorded && e.kind != Kind::Soft) r.paused = store.checkPause({e.delivery.mailingId});
  return r;
}

InboundResult handleReport(Store& store, const Config& cfg, const Report& report,
                           std::int64_t now) {
  InboundResult result;
  if (report.type == Report::Type::Unknown) return result;
  for (const auto& rcpt : report.recipients) {
    Kind kind = Kind::Complaint;
    std::string source = "arf";
    if (report.type == Report::Type::Dsn) {
      source = "dsn";
      if (rcpt.action != "failed") continue;
      // A generic status ("5.0.0", Exim) defers to the enhanced code of the diagnostic.
      std::string status = rcpt.status;
      auto diag = enhancedCode(rcpt.diagnostic);
      if ((status.empty() || (status.size() > 2 && status.substr(1) == ".0.0")) && !diag.empty())
        status = diag;
      kind = classifyStatus(status);
      if (kind == Kind::None) continue;
      auto d =
          matchDelivery(store, cfg, {report.addresses, {}, report.originalMessageId, rcpt.email});
      if (!d) continue;
      auto text = rcpt.diagnostic.empty() ? report.text : rcpt.diagnostic;
      // A report read twice (a poll cut before QUIT) is the same delivery and kind: no event key.
      auto r = recordEvent(store, {*d, kind, source, status, text, "", now});
      result.matched = true;
      result.recorded |= r.recorded;
      result.paused.insert(result.paused.end(), r.paused.begin(), r.paused.end());
      continue;
    }
    auto d =
        matchDelivery(store, cfg, {report.addresses, {}, report.originalMessageId, rcpt.email});
    if (!d) continue;
    auto r = recordEvent(
        store, {*d, kind, source, "", "complaint (" + report.feedbackType + ")", "", now});
    result.matched = true;
    result.recorded |= r.recorded;
    result.paused.insert(result.paused.end(), r.paused.begin(), r.paused.end());
  }
  return result;
}

}  // namespace mw::bounces
