#pragma once
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bounces/classify.h"
#include "bounces/inbound.h"

namespace mw::bounces {

// o[key] as text (a number converted), "" when missing or null: webhook bodies vary.
std::string jsonString(const Poco::JSON::Object::Ptr& o, const std::string& key);

// One bounce or complaint a relay reports, before it is matched to a delivery.
struct RelayEvent {
  Kind kind = Kind::None;
  Clues clues;
  std::string status;
  std::string text;
};

// What a provider's webhook body says, once its signature or credentials are checked:
// eventKey (for replays), its time, and its events. ok=false: the body is not of that shape.
struct Webhook {
  bool ok = false;
  std::string eventKey;
  std::int64_t at = 0;
  std::vector<RelayEvent> events;
  std::string note;  // e.g. an SNS subscription's confirmation URL, logged
};

// Amazon SES through SNS: the SNS envelope (its signature checked against certPem, the
// certificate whose URL must be https://sns.<region>.amazonaws.com/...), then the SES
// notification inside (Bounce: Permanent hard, Transient soft; Complaint). topicArn, when not
// empty, is the only topic accepted. Returns ok=false on a bad signature.
Webhook parseSes(const Poco::JSON::Object::Ptr& body, const std::string& certPem,
                 const std::string& topicArn);
// The SNS string to sign of a message (SignatureVersion 1: SHA1, 2: SHA256 with RSA).
std::string snsStringToSign(const Poco::JSON::Object::Ptr& body);

// Mailgun: signature.signature = hex HMAC-SHA256(signing key, timestamp + token); events
// "failed" (permanent: by its SMTP code, hard unless mailbox full; temporary ones are retried by
// Mailgun and ignored) and "complained".
Webhook parseMailgun(const Poco::JSON::Object::Ptr& body, const std::string& signingKey);

// Postmark (credentials checked by the caller): RecordType Bounce (HardBounce, BadEmailAddress
// hard; SoftBounce, DnsError, Transient soft) and SpamComplaint; the delivery's token comes back
// in Metadata "mw-token" (the X-PM-Metadata-mw-token header).
Webhook parsePostmark(const Poco::JSON::Object::Ptr& body);

// SendGrid's Signed Event Webhook (sendgrid.cpp): signature = base64 DER ECDSA (P-256, SHA-256)
// over timestamp + raw body, checked with publicKey (base64 DER or PEM). The body is a JSON array
// of events: bounce (type "bounce" hard, "blocked" soft) and spamreport (complaint); the delivery
// is named by unique_args "mw-token" (the X-SMTPAPI header) or the Message-ID ("smtp-id").
// Deferred, dropped, delivered, open, click... change nothing here. ok=false on a bad signature
// or a body that is not an array.
Webhook parseSendgrid(const std::string& rawBody, const std::string& timestamp,
                      const std::string& signature, const std::string& publicKey);

}  // namespace mw::bounces
