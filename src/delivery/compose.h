#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/mail/mime.h"
#include "delivery/queue.h"
#include "messages/render.h"

namespace mw::delivery {

// What every recipient of one mailing shares: the message templates and the sender.
struct Content {
  bool found = false;
  std::string subject, text, html;
  std::string fromName;
  std::string replyTo;
  bool trackOpens = false;  // issue 13: the mailing's choices (tracking::Tracker)
  bool trackClicks = false;
  std::optional<std::int64_t> relayId = std::nullopt;  // issue 14.1: the relay it names
  // subject, text and html parsed once (compile()); compose() parses them itself without.
  // htmlToRender: html with the tracker's placeholders (tracking::trackTemplate), or "".
  std::shared_ptr<const messages::Templates> templates = nullptr;
  void compile(const std::string& htmlToRender = "") {
    templates = std::make_shared<const messages::Templates>(subject, text, html, htmlToRender);
  }
};

// What one message needs from outside: the sender address, and what the caller chose for this
// message (its signed unsubscribe link and Message-ID), so compose itself is pure.
struct ComposeSettings {
  std::string fromEmail;
  std::string unsubscribeUrl;
  std::string messageId;
  // The values of the placeholders compile() was given (tracking::Tracker::htmlValues).
  messages::Templates::Values htmlValues = {};
};

// The message of one delivery: personalised subject and bodies, List-Unsubscribe (one-click),
// Reply-To the owner, X-Mailwright-Mailing, and Feedback-ID "mailing:owner:sender:mailwright"
// for Gmail's feedback loop. No I/O, no clock, no randomness.
mail::OutgoingMessage compose(const Job& delivery, const Content& content,
                              const ComposeSettings& settings);
// "localhost" when the address has no domain.
std::string domainOf(const std::string& email);

}  // namespace mw::delivery
