// Issue 13.3: relays' bounce and complaint webhooks at /webhooks/{provider} (ses, mailgun,
// postmark, sendgrid). Each provider is
// off (404) until its secret is configured; a body whose signature or credentials fail is
// refused (401/403); an event older than WEBHOOK_MAX_AGE_SECONDS (or from the future) is
// refused (400), and one seen before (same event id) is answered 200 and changes nothing.
#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Parser.h>

#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bounces/inbound.h"
#include "bounces/module.h"
#include "bounces/providers.h"
#include "bounces/record.h"
#include "core/security.h"

namespace mw::bounces {
namespace {

using web::Ctx;

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Poco::JSON::Object::Ptr body(Ctx& ctx) {
  try {
    auto v = Poco::JSON::Parser().parse(ctx.req.body());
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) return v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
  } catch (const std::exception&) {
  }
  return nullptr;
}

// "Basic base64(user:password)" against POSTMARK_WEBHOOK_USER / _PASSWORD.
bool basicAuth(Ctx& ctx, const BounceConfig& b) {
  auto header = ctx.req.get("Authorization", "");
  if (header.rfind("Basic ", 0) != 0) return false;
  std::istringstream in(header.substr(6));
  Poco::Base64Decoder dec(in);
  std::string pair((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
  return security::constantTimeEquals(pair, b.postmarkUser + ":" + b.postmarkPassword);
}

// The provider's parsed and authenticated body; an empty optional once an answer was sent.
std::optional<Webhook> authenticate(Ctx& ctx, const std::string& provider) {
  const auto& b = ctx.platform.cfg.bounces;
  bool configured = (provider == "ses" && !b.sesCertFile.empty()) ||
                    (provider == "mailgun" && !b.mailgunSigningKey.empty()) ||
                    (provider == "postmark" && !b.postmarkUser.empty()) ||
                    (provider == "sendgrid" && !b.sendgridPublicKey.empty());
  if (!configured) {
    ctx.jsonError(404, "unknown webhook");
    return std::nullopt;
  }
  if (provider == "postmark" && !basicAuth(ctx, b)) {
    ctx.res.set("WWW-Authenticate", "Basic realm=\"webhooks\"");
    ctx.jsonError(401, "credentials required");
    return std::nullopt;
  }
  if (provider == "sendgrid") {
    // The signature covers the raw bytes: they are checked before anything is parsed.
    Webhook w = parseSendgrid(
        ctx.req.body(), ctx.req.get("X-Twilio-Email-Event-Webhook-Timestamp", ""),
        ctx.req.get("X-Twilio-Email-Event-Webhook-Signature", ""), b.sendgridPublicKey);
    if (!w.ok) {
      ctx.jsonError(403, "signature does not verify");
      return std::nullopt;
    }
    return w;
  }
  auto json = body(ctx);
  if (!json) {
    ctx.jsonError(400, "the body must be a JSON object");
    return std::nullopt;
  }
  Webhook w = provider == "ses"       ? parseSes(json, readFile(b.sesCertFile), b.sesTopicArn)
              : provider == "mailgun" ? parseMailgun(json, b.mailgunSigningKey)
                                      : parsePostmark(json);
  if (!w.ok) {
    ctx.jsonError(403, "signature does not verify");
    return std::nullopt;
  }
  return w;
}

void receive(Ctx& ctx) {
  const std::string provider = ctx.params["provider"];
  auto w = authenticate(ctx, provider);
  if (!w) return;
  const auto& cfg = ctx.platform.cfg;
  auto now = static_cast<std::int64_t>(std::time(nullptr));
  // 5 minutes of clock skew forward; WEBHOOK_MAX_AGE_SECONDS (an hour) back.
  if (w->at <= 0 || now - w->at > cfg.bounces.webhookMaxAge || w->at - now > 300)
    return ctx.jsonError(400, "the event is too old or undated");
  if (!w->note.empty()) std::cerr << "bounces: " << provider << " webhook: " << w->note << "\n";
  auto c = ctx.platform.db.conn();
  Store store(c, cfg.bounces);
  Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
  // The event id is remembered with what it changed, or not at all.
  db::Tx tx(c);
  if (store.seen(w->eventKey, now)) {
    out->set("recorded", 0);
    out->set("duplicate", true);
    return ctx.json(out);
  }
  int recorded = 0;
  std::vector<PauseNotice> paused;
  for (const auto& e : w->events) {
    auto d = matchDelivery(store, cfg, e.clues);
    if (!d) continue;
    auto r = recordEvent(store, {*d, e.kind, provider, e.status, e.text, "", now});
    recorded += r.recorded ? 1 : 0;
    paused.insert(paused.end(), r.paused.begin(), r.paused.end());
  }
  tx.commit();
  notifyPaused(cfg, c, paused, ctx.platform.mailRoad);
  out->set("recorded", recorded);
  ctx.json(out);
}

}  // namespace

void install(web::Platform& p) {
  p.post("/webhooks/{provider}", receive);
  p.csrfExempt("/webhooks/");
}

}  // namespace mw::bounces
