#include "app.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace mw::test {

void createUser(const MailwrightServer& server, const std::string& email,
                const std::string& password, const std::string& role) {
  auto r = server.cli({"user", "create", "--email", email, "--password", password});
  if (r.exitCode != 0) throw std::runtime_error("user create failed: " + r.err);
  if (!role.empty()) {
    r = server.cli({"role", "grant", "--email", email, "--role", role});
    if (r.exitCode != 0) throw std::runtime_error("role grant failed: " + r.err);
  }
}

Response login(HttpClient& client, const std::string& login, const std::string& password) {
  return client.postForm("/login", {{"login", login}, {"password", password}});
}

std::string tokenFor(const MailwrightServer& server, const std::string& email) {
  auto r = server.cli({"token", "create", "--email", email});
  if (r.exitCode != 0) throw std::runtime_error("token create failed: " + r.err);
  std::string t = r.out;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

std::string findLink(const std::string& text, const std::string& prefix) {
  auto pos = text.find(prefix);
  if (pos == std::string::npos) return "";
  auto end = text.find_first_of(" \r\n\t\"<>", pos);
  return text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
}

std::string pathOf(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  auto slash = url.find('/', scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

}  // namespace mw::test
