#include "web/form.h"

namespace mw::web {

const std::string& FormState::value(const std::string& field) const {
  static const std::string empty;
  auto it = values_.find(field);
  return it == values_.end() ? empty : it->second;
}

Data FormState::toData() const {
  Data d;
  for (const auto& [k, v] : values_) {
    Data f;
    f.set("value", v);
    d.set(k, f);
  }
  for (const auto& [k, msg] : errors_) {
    Data f;
    f.set("value", value(k));
    f.set("error", msg);
    f.set("invalid", true);
    d.set(k, f);
  }
  d.set("has_errors", !errors_.empty());
  return d;
}

Poco::JSON::Object::Ptr FormState::toJson() const {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  Poco::JSON::Object::Ptr fields = new Poco::JSON::Object;
  for (const auto& [k, msg] : errors_) fields->set(k, msg);
  o->set("error", errors_.empty() ? std::string("invalid input")
                                  : errors_.begin()->first + ": " + errors_.begin()->second);
  o->set("fields", fields);
  return o;
}

void requireLogin(Ctx& ctx) {
  if (!ctx.user) throw HttpError(401, ctx.t("error_login_required"));
}

void requireRole(Ctx& ctx, const std::string& role) {
  requireLogin(ctx);
  if (!ctx.user->has(role)) throw HttpError(403, ctx.t("error_forbidden"));
}

}  // namespace mw::web
