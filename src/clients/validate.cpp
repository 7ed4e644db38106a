#include "clients/validate.h"

#include <algorithm>

#include "core/mail/mime.h"
#include "web/form.h"

namespace mw::clients {

std::string normalizeEmail(const std::string& email) {
  std::string e = web::clean(email);
  std::transform(e.begin(), e.end(), e.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

std::map<std::string, std::string> validate(const Client& c) {
  std::map<std::string, std::string> errors;
  if (c.email.empty())
    errors["email"] = "error_required";
  else if (c.email.size() > 254 || !mail::isValidEmail(c.email))
    errors["email"] = "error_email_invalid";
  if (web::utf8Length(c.fullName) > 200) errors["full_name"] = "error_too_long";
  if (web::utf8Length(c.comment) > 2000) errors["comment"] = "error_too_long";
  return errors;
}

}  // namespace mw::clients
