#include "delivery/test_send.h"

#include <Poco/JSON/Array.h>

#include <sstream>

#include "clients/repo.h"
#include "core/mail/mime.h"
#include "delivery/queue.h"
#include "mailings/repo.h"
#include "messages/render.h"
#include "messages/repo.h"
#include "messages/template_text.h"
#include "users/repo.h"
#include "web/form.h"
#include "web/guards.h"

namespace mw::delivery {
namespace {

using web::Ctx;
using web::HttpError;

constexpr std::size_t kMaxTestAddresses = 5;

struct TestRequest {
  std::vector<std::string> emails;
  std::int64_t clientId = 0;
};

struct Target {
  std::int64_t ownerId = 0;
  std::int64_t mailingId = 0;           // 0 for a message
  std::optional<std::int64_t> relayId;  // the relay the mailing names
  messages::Message message;
};

// The message (or the mailing's message) of the signed-in user; 404 otherwise.
Target target(Ctx& ctx, db::Conn& c, bool mailing) {
  Target t;
  t.ownerId = ctx.user->id;
  std::int64_t messageId = ctx.idParam();
  if (mailing) {
    auto m = mailings::Repo(c).get(ctx.user->id, ctx.idParam());
    if (!m) throw HttpError(404, ctx.t("error_not_found"));
    t.mailingId = m->id;
    t.relayId = m->relayId;
    messageId = m->messageId;
  }
  auto msg = messages::Repo(c).get(ctx.user->id, messageId);
  if (!msg) throw HttpError(404, ctx.t("error_not_found"));
  t.message = *msg;
  return t;
}

// Checks the addresses and the client; fills the defaults. Throws 422 with the reason.
messages::Recipient resolve(Ctx& ctx, db::Conn& c, TestRequest& req) {
  if (req.emails.empty()) req.emails.push_back(ctx.user->email);
  if (req.emails.size() > kMaxTestAddresses) throw HttpError(422, ctx.t("error_test_too_many"));
  for (const auto& e : req.emails)
    if (!mail::isValidEmail(e)) throw HttpError(422, ctx.t("error_test_address") + " " + e);
  std::string base = ctx.platform.cfg.baseUrl + "/unsubscribe/test-send";
  if (req.clientId == 0) return {"Иван Петров", "ivan.petrov@example.com", base};
  auto found = clients::Repo(c).byIds(ctx.user->id, {req.clientId});
  if (found.empty()) throw HttpError(422, ctx.t("error_test_client"));
  return {found[0].fullName, found[0].email, base};
}

// Sends one rendered copy per address; returns per-address replies. Logged as tests (never
// counted in statistics) when it is a mailing's.
Poco::JSON::Array::Ptr sendAll(Ctx& ctx, db::Conn& c, const Target& t, const TestRequest& req,
                               const messages::Recipient& data, Engine& engine) {
  messages::Rendered r;
  try {
    r = messages::render(t.message.subject, t.message.bodyText, t.message.bodyHtml, data);
  } catch (const messages::TemplateError& e) {
    throw HttpError(422, messages::explain(ctx, e.issue()));
  }
  // Through the relay the mailing's messages would take: a test that passes proves that road.
  auto settings = engine.testRoute(t.relayId);
  Poco::JSON::Array::Ptr results = new Poco::JSON::Array;
  for (const auto& email : req.emails) {
    mail::OutgoingMessage m;
    m.from = {ctx.user->displayName.empty() ? "Mailwright" : ctx.user->displayName,
              ctx.platform.cfg.defaultFromEmail};
    m.to = {"", email};
    m.subject = ctx.t("test_send_prefix") + " " + r.subject;
    m.text = r.text;
    m.html = r.html;
    if (m.text.empty() && m.html.empty()) m.text = " ";
    m.headers.push_back({"X-Mailwright-Test", "1"});
    auto reply = mail::sendMail(settings, m, engine.finisher());
    bool ok = reply.code >= 200 && reply.code < 300;
    if (t.mailingId)
      Queue(c).recordTest(t.mailingId, t.ownerId, req.clientId, email, ok, reply.code, reply.text);
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("email", email);
    o->set("ok", ok);
    o->set("reply", (reply.code ? std::to_string(reply.code) + " " : "") + reply.text);
    results->add(o);
  }
  return results;
}

void apiTest(Ctx& ctx, bool mailing, Engine& engine) {
  auto c = ctx.platform.db.conn();
  Target t = target(ctx, c, mailing);
  auto body = ctx.jsonBody();
  TestRequest req;
  if (body->has("emails")) {
    auto list = body->getArray("emails");
    if (!list) throw HttpError(422, ctx.t("error_test_emails"));
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto v = list->get(static_cast<unsigned>(i));
      if (!v.isString()) throw HttpError(422, ctx.t("error_test_emails"));
      req.emails.push_back(web::clean(v.extract<std::string>()));
    }
  }
  if (body->has("client_id") && !body->get("client_id").isEmpty()) {
    auto v = body->get("client_id");
    if (!v.isInteger()) throw HttpError(422, ctx.t("error_test_client"));
    req.clientId = v.convert<std::int64_t>();
  }
  auto data = resolve(ctx, c, req);
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("results", sendAll(ctx, c, t, req, data, engine));
  ctx.json(o);
}

void pageTest(Ctx& ctx, bool mailing, Engine& engine) {
  auto c = ctx.platform.db.conn();
  Target t = target(ctx, c, mailing);
  std::string back = (mailing ? "/mailings/" + std::to_string(t.mailingId)
                              : "/messages/" + std::to_string(t.message.id));
  TestRequest req;
  std::string typed = web::clean(ctx.form("emails"));
  for (auto& ch : typed)
    if (ch == ';' || ch == ' ' || ch == '\n' || ch == '\r') ch = ',';
  std::stringstream in(typed);
  for (std::string e; std::getline(in, e, ',');)
    if (!e.empty()) req.emails.push_back(e);
  std::string client = web::clean(ctx.form("client_id"));
  if (!client.empty() && client.find_first_not_of("0123456789") == std::string::npos &&
      client.size() < 18)
    req.clientId = std::stoll(client);
  try {
    auto data = resolve(ctx, c, req);
    auto results = sendAll(ctx, c, t, req, data, engine);
    bool allOk = true;
    for (std::size_t i = 0; i < results->size(); ++i)
      allOk = allOk && results->getObject(static_cast<unsigned>(i))->getValue<bool>("ok");
    ctx.flash(allOk ? "success" : "danger", ctx.t(allOk ? "flash_test_sent" : "flash_test_failed"));
  } catch (const HttpError& e) {
    ctx.flash("danger", e.what());
  }
  ctx.redirect(back);
}

}  // namespace

void installTestSend(web::Platform& p, Engine& engine) {
  p.post(
      "/messages/{id}/test", [&engine](Ctx& ctx) { pageTest(ctx, false, engine); },
      web::signedIn());
  p.post(
      "/mailings/{id}/test", [&engine](Ctx& ctx) { pageTest(ctx, true, engine); }, web::signedIn());
  p.post(
      "/api/v1/messages/{id}/test", [&engine](Ctx& ctx) { apiTest(ctx, false, engine); },
      web::signedIn());
  p.post(
      "/api/v1/mailings/{id}/test", [&engine](Ctx& ctx) { apiTest(ctx, true, engine); },
      web::signedIn());
}

}  // namespace mw::delivery
