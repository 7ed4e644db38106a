#pragma once
#include <string>

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
class Mailer {
 public:
  explicit Mailer(const Config& cfg) : cfg_(cfg) {}
  MailResult send(const std::string& toEmail, const std::string& toName, const std::string& subject,
                  const std::string& text, const std::string& html = "",
                  const mail::Address& replyTo = {}) const;

 private:
  const Config& cfg_;
};

}  // namespace mw
