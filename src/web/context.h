#pragma once
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPCookie.h>
#include <kainjow/mustache.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/time.h"
#include "web/http.h"
#include "web/proxies.h"
#include "web/session_store.h"

namespace mw::web {

class Platform;
using Data = kainjow::mustache::data;

// Thrown by handlers; rendered as a page or as {"error": ...} for the API.
// `message` is a text already in the reader's language, or a translation key ("error_...") for
// the places that throw before they know the reader (parsing the request): the answer is written
// in the reader's language either way.
struct HttpError : std::runtime_error {
  HttpError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
  int status;
};

// The signed-in user as the platform sees it; domains fill it through Platform::loadIdentity.
struct Identity {
  std::int64_t id = 0;
  std::string email;
  std::string displayName;
  std::string language;   // "" when not chosen
  std::string timeZone;   // IANA name
  std::string avatarUrl;  // "" when none
  std::set<std::string> roles;
  bool has(const std::string& role) const { return roles.count(role) > 0 || roles.count("admin"); }
};

struct UploadedFile {
  std::string field;
  std::string filename;
  std::string contentType;
  std::string bytes;
  bool truncated = false;  // larger than the upload limit
};

class Ctx {
 public:
  Ctx(Platform& platform, Request& req, Response& res);

  Platform& platform;
  Request& req;
  Response& res;
  std::map<std::string, std::string> params;  // from the route pattern
  std::optional<Identity> user;
  bool viaToken = false;  // authenticated by API token, not by the session cookie
  std::string lang = "en";

  const std::string& method() const { return req.getMethod(); }
  const std::string& path() const { return path_; }
  bool isApi() const { return path_.rfind("/api/", 0) == 0; }
  std::int64_t idParam(const std::string& name = "id") const;  // 404 unless a positive integer

  // Query string and body fields (urlencoded or multipart), parsed once.
  std::string query(const std::string& name, const std::string& def = "") const;
  int queryInt(const std::string& name, int def, int min, int max) const;
  std::string form(const std::string& name, const std::string& def = "");
  std::vector<std::string> formAll(const std::string& name);
  bool hasForm(const std::string& name);
  const UploadedFile* file(const std::string& field);
  Poco::JSON::Object::Ptr jsonBody();  // 400 on malformed JSON or a non-object

  // Session helpers.
  const std::string& csrfToken() const { return csrf_; }
  void flash(const std::string& level, const std::string& text);
  std::vector<Flash> takeFlashes();
  void login(std::int64_t userId, bool remember);
  void logout();
  std::int64_t sessionUserId() const { return sessionUserId_; }
  // The client's address: the peer's, or what a trusted proxy says (TRUSTED_PROXIES).
  const std::string& clientIp() const { return origin_.address; }
  bool https() const { return origin_.https; }
  // Sent with the response; a later cookie of the same name replaces an earlier one.
  void setCookie(const Poco::Net::HTTPCookie& cookie);
  std::string t(const std::string& key) const;
  std::string tn(const std::string& key, long long n) const;  // plural-aware, see I18n::plural

  // Responses.
  void html(const std::string& templateName, const Data& data, int status = 200);
  void json(const Poco::Dynamic::Var& body, int status = 200);
  void jsonError(int status, const std::string& message);
  void redirect(const std::string& location);
  void text(const std::string& body, const std::string& contentType, int status = 200);
  void noContent();
  bool sent() const { return sent_; }
  std::size_t bytesSent() const { return bytesSent_; }

  // Internal, used by the platform.
  void setPath(std::string p) { path_ = std::move(p); }
  void setSession(std::string sid, std::string csrf, std::int64_t userId,
                  std::vector<Flash> flashes) {
    sid_ = std::move(sid);
    csrf_ = std::move(csrf);
    sessionUserId_ = userId;
    flashes_ = std::move(flashes);
  }
  const std::string& sid() const { return sid_; }
  void setOrigin(ClientOrigin origin) { origin_ = std::move(origin); }
  void startSession(bool remember);  // a new random id in the cookie (no row)
  void send(std::string body, const std::string& contentType, int status);
  // The reader's time zone, found once per request (web/format.cpp's zoneOf).
  std::shared_ptr<const TimeZone>& zoneCache() const { return zone_; }

 private:
  void parseBody();
  std::string path_;
  std::string sid_;
  std::string csrf_;
  std::int64_t sessionUserId_ = 0;
  bool sent_ = false;
  std::size_t bytesSent_ = 0;
  bool bodyParsed_ = false;
  std::multimap<std::string, std::string> fields_;
  std::vector<UploadedFile> files_;
  std::vector<Flash> flashes_;
  bool flashesChanged_ = false;
  ClientOrigin origin_;
  std::map<std::string, Poco::Net::HTTPCookie> cookies_;
  void writeCookies();
  mutable std::optional<std::multimap<std::string, std::string>> queryCache_;
  mutable std::shared_ptr<const TimeZone> zone_;
};

// Escape-free helpers to build mustache data.
Data list(const std::vector<Data>& items);
// kainjow's set and push_back copy their argument, a whole table for a list page (its copies
// were a third of /mailings): these move it in.
void put(Data& object, const std::string& key, Data&& value);
void append(Data& list, Data&& item);
void reserve(Data& list, std::size_t n);

}  // namespace mw::web
