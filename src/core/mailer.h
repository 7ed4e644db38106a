#pragma once
#include <string>

#include "core/config.h"

namespace mw {

struct MailResult {
  bool ok = false;
  std::string error;  // the server's reply or the network error when !ok
};

// One-off transactional mail (verification, password reset, contact form) over the configured SMTP.
class Mailer {
 public:
  explicit Mailer(const Config& cfg) : cfg_(cfg) {}
  MailResult send(const std::string& toEmail, const std::string& toName, const std::string& subject,
                  const std::string& text, const std::string& html = "") const;

 private:
  const Config& cfg_;
};

}  // namespace mw
