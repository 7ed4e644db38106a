#include "users/cli.h"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "core/security.h"
#include "users/accounts.h"
#include "users/repo.h"

namespace mw::users {
namespace {

std::string ask(const std::string& prompt, bool secret) {
  std::cerr << prompt << std::flush;
  termios old{};
  bool tty = secret && tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  return line;
}

int fail(const std::string& reason) {
  std::cerr << "error: " << reason << "\n";
  return 1;
}

// Creates a verified account, asking for what is missing when stdin is a terminal.
std::string passwordReason(const std::string& key) {
  if (key == "error_password_short") return "shorter than 8 characters";
  if (key == "error_password_long") return "longer than 256 bytes";
  if (key == "error_password_similar") return "too similar to the email or username";
  if (key == "error_password_common") return "a common word or password";
  return "too easy to guess (raise it above PASSWORD_MIN_SCORE with more unrelated words)";
}

int createVerified(const Config& cfg, db::Database& db, const app::Args& args, bool admin) {
  std::string role = args.get("role");
  if (!role.empty()) {
    const auto& roles = assignableRoles();
    if (std::find(roles.begin(), roles.end(), role) == roles.end())
      return fail("--role must be manager, content_manager or admin");
  }
  bool interactive = isatty(STDIN_FILENO);
  std::string email = args.get("email");
  std::string password = args.get("password");
  std::string username = args.get("username");
  if (email.empty() && interactive) email = ask("Email: ", false);
  if (password.empty() && interactive) {
    password = ask("Password: ", true);
    if (ask("Password (again): ", true) != password) return fail("passwords do not match");
  }
  email = normalizeEmail(email);
  if (email.empty()) return fail("--email is required");
  if (password.empty()) return fail("--password is required");
  if (auto e = checkEmail(email); !e.empty()) return fail("invalid email address: " + email);
  if (auto e = checkPassword(password, cfg.passwordMinScore, relatedWords(email, username));
      !e.empty())
    return fail("password rejected: " + passwordReason(e));
  if (auto e = checkUsername(username); !e.empty())
    return fail("username must be 3-32 letters, digits, '.', '_' or '-'");
  auto c = db.conn();
  Repo repo(c);
  if (repo.emailTaken(email)) return fail("a user with email " + email + " already exists");
  if (!username.empty() && repo.usernameTaken(username))
    return fail("username " + username + " is taken");
  std::int64_t id = repo.create(email, username, "", security::hashPassword(password), true);
  if (admin) repo.grant(id, "admin");
  if (!role.empty()) repo.grant(id, role);
  std::cout << (admin ? "superuser " : "user ") << email << " created (id " << id << ")\n";
  return 0;
}

}  // namespace

int createSuperuser(const Config& cfg, db::Database& db, const app::Args& args) {
  return createVerified(cfg, db, args, true);
}

int userCommand(const Config& cfg, db::Database& db, const app::Args& args) {
  if (args.positional.empty() || args.positional[0] != "create")
    return fail("usage: mailwright user create --email E --password P [--username U] [--role R]");
  return createVerified(cfg, db, args, false);
}

int roleCommand(const Config&, db::Database& db, const app::Args& args) {
  const auto& roles = assignableRoles();
  if (args.positional.empty() || (args.positional[0] != "grant" && args.positional[0] != "revoke"))
    return fail(
        "usage: mailwright role grant|revoke --email E --role manager|content_manager|admin");
  std::string role = args.get("role");
  if (std::find(roles.begin(), roles.end(), role) == roles.end())
    return fail("--role must be manager, content_manager or admin");
  auto c = db.conn();
  Repo repo(c);
  auto u = repo.byEmail(normalizeEmail(args.get("email")));
  if (!u) return fail("no user with email '" + args.get("email") + "'");
  if (args.positional[0] == "grant")
    repo.grant(u->id, role);
  else
    repo.revoke(u->id, role);
  std::cout << "role " << role
            << (args.positional[0] == "grant" ? " granted to " : " revoked from ") << u->email
            << "\n";
  return 0;
}

int tokenCommand(const Config&, db::Database& db, const app::Args& args) {
  if (args.positional.empty() || args.positional[0] != "create")
    return fail("usage: mailwright token create --email E [--name NAME]");
  auto c = db.conn();
  Repo repo(c);
  auto u = repo.byEmail(normalizeEmail(args.get("email")));
  if (!u) return fail("no user with email '" + args.get("email") + "'");
  std::cout << repo.createToken(u->id, args.get("name", "cli")) << "\n";
  return 0;
}

}  // namespace mw::users
