#pragma once
#include <functional>
#include <string>

namespace mw::web {

class Ctx;
using Guard = std::function<void(Ctx&)>;

// Guards declared with the route: p.get("/manage/users", list, web::role("manager")).
Guard signedIn();                     // 401 (pages: to the login form) for anonymous visitors
Guard role(const std::string& role);  // signed in and holding the role (admins hold every role)

}  // namespace mw::web
