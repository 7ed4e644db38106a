#pragma once
#include <string>
#include <utility>

#include "core/config.h"
#include "core/mail/mime.h"
#include "core/mail/smtp.h"

namespace mw {

struct MailResult {
  bool ok = false;
  std::string error;  // the server's reply or the network error when !ok
};

// The SMTP settings of the configuration (EMAIL_*; EMAIL_TLS_INSECURE=1 skips certificate checks).
mail::SmtpSettings smtpSettings(const Config& cfg);

// One-off transactional mail (verification, password reset, contact form) over the configured SMTP.
// finish is the last step before SMTP, as for mailings (DKIM signing: web::Platform::signMail,
// app::Services::signMail); empty, the message goes as composed.
class Mailer {
 public:
  Mailer(const Config& cfg, mail::Finish finish) : cfg_(cfg), finish_(std::move(finish)) {}
  MailResult send(const std::string& toEmail, const std::string& toName, const std::string& subject,
                  const std::string& text, const std::string& html = "",
                  const mail::Address& replyTo = {}) const;

 private:
  const Config& cfg_;
  mail::Finish finish_;
};

}  // namespace mw
