#include "core/mailer.h"

#include <cstdlib>

#include "core/mail/mime.h"
#include "core/mail/smtp.h"

namespace mw {

mail::SmtpSettings smtpSettings(const Config& cfg) {
  mail::SmtpSettings s;
  s.host = cfg.emailHost;
  s.port = cfg.emailPort;
  s.user = cfg.emailUser;
  s.password = cfg.emailPassword;
  s.startTls = cfg.emailUseTls;
  s.ssl = cfg.emailUseSsl;
  s.timeoutSeconds = cfg.emailTimeout;
  s.verifyTls = !cfg.emailTlsInsecure;
  auto at = cfg.defaultFromEmail.find('@');
  s.heloName = at == std::string::npos ? "localhost" : cfg.defaultFromEmail.substr(at + 1);
  return s;
}

MailResult Mailer::send(const std::string& toEmail, const std::string& toName,
                        const std::string& subject, const std::string& text,
                        const std::string& html, const mail::Address& replyTo) const {
  auto s = road_.settings ? road_.settings() : smtpSettings(cfg_);
  mail::OutgoingMessage m;
  m.from = {"Mailwright", cfg_.defaultFromEmail};
  m.to = {toName, toEmail};
  m.subject = subject;
  m.text = text;
  m.html = html;
  m.replyTo = replyTo;
  auto r = mail::sendMail(s, m, road_.finish);
  return {r.code >= 200 && r.code < 300, r.code ? std::to_string(r.code) + " " + r.text : r.text};
}

}  // namespace mw
