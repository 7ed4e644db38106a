#include "core/mailer.h"

#include <cstdlib>

#include "core/mail/mime.h"
#include "core/mail/smtp.h"

namespace mw {

MailResult Mailer::send(const std::string& toEmail, const std::string& toName,
                        const std::string& subject, const std::string& text,
                        const std::string& html) const {
  mail::SmtpSettings s;
  s.host = cfg_.emailHost;
  s.port = cfg_.emailPort;
  s.user = cfg_.emailUser;
  s.password = cfg_.emailPassword;
  s.startTls = cfg_.emailUseTls;
  s.ssl = cfg_.emailUseSsl;
  s.timeoutSeconds = cfg_.emailTimeout;
  const char* insecure = std::getenv("EMAIL_TLS_INSECURE");
  s.verifyTls = !(insecure && std::string(insecure) == "1");
  auto at = cfg_.defaultFromEmail.find('@');
  s.heloName = at == std::string::npos ? "localhost" : cfg_.defaultFromEmail.substr(at + 1);
  mail::OutgoingMessage m;
  m.from = {"Mailwright", cfg_.defaultFromEmail};
  m.to = {toName, toEmail};
  m.subject = subject;
  m.text = text;
  m.html = html;
  auto r = mail::sendMail(s, m);
  return {r.code >= 200 && r.code < 300, r.code ? std::to_string(r.code) + " " + r.text : r.text};
}

}  // namespace mw
