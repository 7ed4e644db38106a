#include "users/admin.h"

#include "core/time.h"
#include "users/accounts.h"
#include "users/repo.h"
#include "web/form.h"
#include "web/platform.h"

namespace mw::users {
namespace {

using admin::Column;
using admin::Type;

std::string phoneProblem(const std::string& phone) {
  int digits = 0;
  for (char ch : phone) {
    if (std::isdigit(static_cast<unsigned char>(ch)))
      ++digits;
    else if (std::string(" +-()").find(ch) == std::string::npos)
      return "error_phone_invalid";
  }
  return digits < 5 || digits > 15 ? "error_phone_invalid" : "";
}

// The account rules of the profile and registration forms, applied to an admin edit.
std::map<std::string, std::string> checkUser(db::Conn& c, const web::Identity& actor,
                                             std::int64_t id, const admin::Values& v) {
  std::map<std::string, std::string> errors;
  auto get = [&](const std::string& k) { return v.count(k) && v.at(k) ? *v.at(k) : ""; };
  if (auto e = checkEmail(get("email")); !e.empty()) errors["email"] = e;
  std::string username = get("username");
  if (auto e = checkUsername(username); !e.empty())
    errors["username"] = e;
  else if (!username.empty() && Repo(c).usernameTaken(username, id))
    errors["username"] = "error_username_taken";
  if (!get("phone").empty())
    if (auto e = phoneProblem(get("phone")); !e.empty()) errors["phone"] = e;
  if (!TimeZone::get(get("timezone"))) errors["timezone"] = "error_timezone_invalid";
  if (actor.id == id && get("is_blocked") == "1") errors["is_blocked"] = "error_block_self";
  return errors;
}

admin::FlagSet roleFlags() {
  admin::FlagSet f;
  f.name = "roles";
  f.labelKey = "roles";
  f.optionKey = "role_";
  f.implied = {"user"};
  f.options = assignableRoles();
  f.get = [](db::Conn& c, std::int64_t id) { return Repo(c).roles(id); };
  f.set = [](db::Conn& c, std::int64_t id, const std::set<std::string>& on) {
    Repo repo(c);
    for (const auto& role : assignableRoles()) {
      if (on.count(role))
        repo.grant(id, role);
      else
        repo.revoke(id, role);
    }
  };
  // An admin cannot lock itself out of this section by unticking a box.
  f.check = [](const web::Identity& actor, std::int64_t id, const std::set<std::string>& on) {
    return actor.id == id && !on.count("admin") ? std::string("error_admin_self_demote")
                                                : std::string();
  };
  return f;
}

admin::Table usersTable() {
  admin::Table t;
  t.name = "users";
  t.labelKey = "admin_table_users";
  t.deletable = true;
  t.touch = "updated_at";
  t.columns = {
      {.name = "id", .type = Type::Int},
      {.name = "email",
       .type = Type::Email,
       .editable = true,
       .searchable = true,
       .required = true,
       .maxLength = 254,
       .unique = true},
      {.name = "username",
       .editable = true,
       .searchable = true,
       .nullable = true,
       .maxLength = 32,
       .unique = true},
      {.name = "name", .editable = true, .searchable = true, .maxLength = 150},
      {.name = "phone", .editable = true, .listed = false, .maxLength = 32},
      {.name = "country", .editable = true, .listed = false, .maxLength = 64},
      {.name = "language",
       .type = Type::Choice,
       .editable = true,
       .listed = false,
       .choices = {"", "ru", "en"},
       .valueKey = "language_name_"},
      {.name = "timezone", .editable = true, .listed = false, .required = true, .maxLength = 64},
      {.name = "is_verified", .type = Type::Bool, .editable = true},
      {.name = "is_blocked", .type = Type::Bool, .editable = true},
      {.name = "avatar", .listed = false},
      {.name = "created_at", .type = Type::Time},
      {.name = "updated_at", .type = Type::Time, .listed = false},
      {.name = "last_login_at", .type = Type::Time},
  };
  t.flags = {roleFlags()};
  t.check = checkUser;
  t.checkDelete = [](const web::Identity& actor, std::int64_t id) {
    return actor.id == id ? std::string("error_admin_delete_self") : std::string();
  };
  // A blocked account's sessions end at once (as when a manager blocks it).
  t.changed = [](web::Platform&, db::Conn& c, std::int64_t id) {
    if (auto u = Repo(c).byId(id); u && u->blocked) web::SessionStore::destroyAllOf(c, id);
  };
  return t;
}

}  // namespace

std::vector<admin::Table> adminTables() {
  admin::Table roles;
  roles.name = "user_roles";
  roles.labelKey = "admin_table_user_roles";
  roles.keyed = false;
  roles.orderBy = "user_id DESC, role ASC";
  roles.columns = {{.name = "user_id", .type = Type::Int, .ref = "users"},
                   {.name = "role", .searchable = true, .valueKey = "role_"}};

  admin::Table sessions;
  sessions.name = "sessions";
  sessions.labelKey = "admin_table_sessions";
  sessions.keyed = false;
  sessions.orderBy = "created_at DESC";
  sessions.columns = {{.name = "user_id", .type = Type::Int, .ref = "users"},
                      {.name = "remember", .type = Type::Bool},
                      {.name = "created_at", .type = Type::Time},
                      {.name = "expires_at", .type = Type::Time}};

  admin::Table tokens;
  tokens.name = "api_tokens";
  tokens.labelKey = "admin_table_api_tokens";
  tokens.deletable = true;  // revokes the token
  tokens.columns = {{.name = "id", .type = Type::Int},
                    {.name = "user_id", .type = Type::Int, .ref = "users"},
                    {.name = "name", .searchable = true},
                    {.name = "prefix", .searchable = true},
                    {.name = "created_at", .type = Type::Time},
                    {.name = "last_used_at", .type = Type::Time}};

  return {usersTable(), roles, sessions, tokens};
}

}  // namespace mw::users
