#pragma once
#include <string>

#include "http_client.h"
#include "mailwright_server.h"

namespace mw::test {

// A password the registration rules accept (zxcvbn score 4, unrelated to any test address).
inline const std::string kStrongPassword = "Lodka-Vesna-Kompot-2026";

// Creates a verified user through the CLI (`user create`), optionally with a role.
void createUser(const MailwrightServer& server, const std::string& email,
                const std::string& password = kStrongPassword, const std::string& role = "");
// Logs a client in through the login form; returns the response of the POST.
Response login(HttpClient& client, const std::string& login,
               const std::string& password = kStrongPassword);
// A new API token of that user (`token create`).
std::string tokenFor(const MailwrightServer& server, const std::string& email);
// The first link in a text that starts with the prefix (e.g. BASE_URL + "/verify").
std::string findLink(const std::string& text, const std::string& prefix);
// Path + query of an absolute URL.
std::string pathOf(const std::string& url);

}  // namespace mw::test
