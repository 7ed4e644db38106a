#pragma once
#include <map>
#include <string>

#include "web/context.h"
#include "web/text.h"

namespace mw::web {

// Values and per-field errors of a submitted form, re-shown beside the fields on error.
class FormState {
 public:
  void set(const std::string& field, const std::string& value) { values_[field] = value; }
  void error(const std::string& field, const std::string& message) {
    errors_.emplace(field, message);  // the first error of a field wins
  }
  bool ok() const { return errors_.empty(); }
  bool hasError(const std::string& field) const { return errors_.count(field) > 0; }
  const std::string& value(const std::string& field) const;
  const std::map<std::string, std::string>& errors() const { return errors_; }
  // {field: {value, error, invalid}} for templates, plus "has_errors".
  Data toData() const;
  // For the API: {"error": first message, "fields": {field: message}}.
  Poco::JSON::Object::Ptr toJson() const;

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> errors_;
};

// Sends anonymous visitors to the login page (pages) or answers 401 (API).
void requireLogin(Ctx& ctx);
// 403 unless the signed-in user has the role (admins have every role).
void requireRole(Ctx& ctx, const std::string& role);

}  // namespace mw::web
