#pragma once
#include <functional>
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

// How one-off mail leaves (app::Services::mailRoad, web::Platform::mailRoad): the SMTP settings,
// asked for each message (the sender's relays, as a test send; empty: the EMAIL_* ones), and the
// last step before SMTP (DKIM signing; empty: none).
struct MailRoad {
  std::function<mail::SmtpSettings()> settings;
  mail::Finish finish;
};

// One-off transactional mail (verification, password reset, contact form, pause notices).
class Mailer {
 public:
  Mailer(const Config& cfg, MailRoad road) : cfg_(cfg), road_(std::move(road)) {}
  MailResult send(const std::string& toEmail, const std::string& toName, const std::string& subject,
                  const std::string& text, const std::string& html = "",
                  const mail::Address& replyTo = {}) const;

 private:
  const Config& cfg_;
  MailRoad road_;
};

}  // namespace mw
