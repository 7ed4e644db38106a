#include "web/context.h"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/PartHandler.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <sstream>

#include "web/platform.h"
#include "web/redirect.h"
#include "web/urlencoded.h"

namespace mw::web {
namespace {

constexpr std::size_t kMaxBody = 12 * 1024 * 1024;
constexpr std::size_t kMaxFile = 8 * 1024 * 1024;

class FileCollector : public Poco::Net::PartHandler {
 public:
  explicit FileCollector(std::vector<UploadedFile>& files) : files_(files) {}
  void handlePart(const Poco::Net::MessageHeader& header, std::istream& stream) override {
    UploadedFile f;
    std::string disposition;
    Poco::Net::NameValueCollection params;
    Poco::Net::MessageHeader::splitParameters(header.get("Content-Disposition", ""), disposition,
                                              params);
    f.field = params.get("name", "");
    f.filename = params.get("filename", "");
    f.contentType = header.get("Content-Type", "application/octet-stream");
    char buf[8192];
    while (stream.read(buf, sizeof buf) || stream.gcount() > 0) {
      if (f.bytes.size() + static_cast<std::size_t>(stream.gcount()) > kMaxFile) {
        f.truncated = true;
      } else {
        f.bytes.append(buf, static_cast<std::size_t>(stream.gcount()));
      }
    }
    if (!f.filename.empty() || !f.bytes.empty()) files_.push_back(std::move(f));
  }

 private:
  std::vector<UploadedFile>& files_;
};

std::multimap<std::string, std::string> parseQuery(std::string_view q) {
  auto fields = parseUrlEncoded(q);
  if (!fields) throw HttpError(400, "error_bad_request");
  return std::move(*fields);
}

// The query part of a request target, without any fragment.
std::string_view rawQuery(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  target = target.substr(q + 1);
  return target.substr(0, target.find('#'));
}

// The last line of defence against header injection: a value with a control character in it
// never leaves (handlers and the platform check what they build; this catches what they missed).
void dropUnsafeHeaders(Response& res) {
  std::vector<std::string> bad;
  for (const auto& [name, value] : res.fields())
    if (!safeHeaderValue(value) || !safeHeaderValue(name)) bad.push_back(name);
  for (const auto& name : bad) res.erase(name);
}

}  // namespace

Ctx::Ctx(Platform& p, Request& rq, Response& rs) : platform(p), req(rq), res(rs) {}

std::int64_t Ctx::idParam(const std::string& name) const {
  auto it = params.find(name);
  if (it == params.end() || it->second.empty() || it->second.size() > 18)
    throw HttpError(404, "error_not_found");
  for (char c : it->second)
    if (c < '0' || c > '9') throw HttpError(404, "error_not_found");
  std::int64_t v = std::stoll(it->second);
  if (v <= 0) throw HttpError(404, "error_not_found");
  return v;
}

std::string Ctx::query(const std::string& name, const std::string& def) const {
  if (!queryCache_) queryCache_ = parseQuery(rawQuery(req.getURI()));
  auto it = queryCache_->find(name);
  return it == queryCache_->end() ? def : it->second;
}

int Ctx::queryInt(const std::string& name, int def, int min, int max) const {
  std::string v = query(name);
  if (v.empty()) return def;
  try {
    size_t used = 0;
    long n = std::stol(v, &used);
    if (used != v.size()) return def;
    return static_cast<int>(std::clamp<long>(n, min, max));
  } catch (...) {
    return def;
  }
}

void Ctx::parseBody() {
  if (bodyParsed_) return;
  bodyParsed_ = true;
  // The transport has read the whole body and held it to its limit (chunked or not).
  if (req.body().size() > kMaxBody) throw HttpError(413, "error_body_too_large");
  std::string type = req.getContentType();
  if (type.rfind("multipart/form-data", 0) == 0) {
    FileCollector collector(files_);
    Poco::Net::HTMLForm form;
    form.setFieldLimit(1000);
    // Poco reads a multipart body for POST and PUT only; PATCH carries files too (the API).
    Poco::Net::HTTPRequest asPost(Poco::Net::HTTPRequest::HTTP_POST, req.getURI());
    asPost.setContentType(type);
    try {
      form.load(asPost, req.stream(), collector);
    } catch (const Poco::Exception& e) {
      throw HttpError(400, "error_bad_request");
    }
    for (const auto& [k, v] : form) fields_.emplace(k, v);
    return;
  }
  if (type.rfind("application/x-www-form-urlencoded", 0) == 0) fields_ = parseQuery(req.body());
}

std::string Ctx::form(const std::string& name, const std::string& def) {
  parseBody();
  auto it = fields_.find(name);
  return it == fields_.end() ? def : it->second;
}

std::vector<std::string> Ctx::formAll(const std::string& name) {
  parseBody();
  std::vector<std::string> out;
  auto [b, e] = fields_.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

bool Ctx::hasForm(const std::string& name) {
  parseBody();
  return fields_.count(name) > 0;
}

const UploadedFile* Ctx::file(const std::string& field) {
  parseBody();
  for (const auto& f : files_)
    if (f.field == field) return &f;
  return nullptr;
}

Poco::JSON::Object::Ptr Ctx::jsonBody() {
  parseBody();
  try {
    auto v = Poco::JSON::Parser().parse(req.body().empty() ? "{}" : req.body());
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) return v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
  } catch (const std::exception&) {
  }
  throw HttpError(400, "error_json_object");
}

void Ctx::flash(const std::string& level, const std::string& text) {
  flashes_.push_back({level, text});
  flashesChanged_ = true;
}

std::vector<Flash> Ctx::takeFlashes() {
  auto out = std::move(flashes_);
  flashes_.clear();
  if (!out.empty()) flashesChanged_ = true;
  return out;
}

void Ctx::setCookie(const Poco::Net::HTTPCookie& cookie) {
  cookies_.insert_or_assign(cookie.getName(), cookie);
}

void Ctx::startSession(bool remember) {
  std::string sid = SessionStore::newId();
  Poco::Net::HTTPCookie cookie(Platform::kSessionCookie, sid);
  cookie.setPath("/");
  cookie.setHttpOnly(true);
  cookie.setSameSite(Poco::Net::HTTPCookie::SAME_SITE_LAX);
  cookie.setSecure(platform.cfg.secureCookies() || https());
  if (remember) cookie.setMaxAge(static_cast<int>(SessionStore::kRememberSeconds));
  setCookie(cookie);
  sid_ = sid;
  csrf_ = platform.sessions.csrfFor(sid);
  sessionUserId_ = 0;
}

void Ctx::login(std::int64_t userId, bool remember) {
  // A new session id on login defeats session fixation.
  platform.sessions.destroy(sid_);
  startSession(remember);
  platform.sessions.create(sid_, userId, remember);
  sessionUserId_ = userId;
}

void Ctx::logout() {
  platform.sessions.destroy(sid_);
  startSession(false);
  user.reset();
}

void Ctx::writeCookies() {
  if (flashesChanged_) {
    std::string value = platform.sessions.encodeFlashes(flashes_);
    Poco::Net::HTTPCookie cookie(Platform::kFlashCookie, value);
    cookie.setPath("/");
    cookie.setHttpOnly(true);
    cookie.setSameSite(Poco::Net::HTTPCookie::SAME_SITE_LAX);
    cookie.setSecure(platform.cfg.secureCookies() || https());
    if (value.empty()) cookie.setMaxAge(0);
    setCookie(cookie);
  }
  for (const auto& [name, cookie] : cookies_) res.addCookie(cookie);
}

std::string Ctx::t(const std::string& key) const {
  return platform.i18n.t(lang, key);
}

std::string Ctx::tn(const std::string& key, long long n) const {
  return platform.i18n.plural(lang, key, n);
}

void Ctx::send(std::string body, const std::string& contentType, int status) {
  if (sent_) return;
  const auto& m = req.getMethod();
  if (m != "GET" && m != "HEAD" && m != "OPTIONS") platform.wrote();
  writeCookies();
  dropUnsafeHeaders(res);
  res.setStatus(status);
  if (!contentType.empty()) res.setContentType(contentType);
  res.setContentLength(static_cast<long long>(body.size()));
  sent_ = true;
  bytesSent_ = body.size();
  if (req.getMethod() == "HEAD") return;
  res.body() = std::move(body);
}

void Ctx::html(const std::string& templateName, const Data& data, int status) {
  Data common;
  platform.addPageData(*this, common);
  send(platform.templates.renderPage(templateName, data, common), "text/html; charset=utf-8",
       status);
}

void Ctx::json(const Poco::Dynamic::Var& body, int status) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(body, out);
  send(out.str(), "application/json", status);
}

void Ctx::jsonError(int status, const std::string& message) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("error", message);
  json(o, status);
}

void Ctx::redirect(const std::string& location) {
  if (sent_) return;
  res.set("Location", localPath(location));
  send("", "", 303);
}

void Ctx::text(const std::string& body, const std::string& contentType, int status) {
  send(body, contentType, status);
}

void Ctx::noContent() {
  send("", "", 204);
}

Data list(const std::vector<Data>& items) {
  Data l(Data::type::list);
  for (const auto& i : items) l.push_back(i);
  return l;
}

// The element was just inserted into an object that is not const: writing through it is safe.
void put(Data& object, const std::string& key, Data&& value) {
  object.set(key, Data(false));
  if (const Data* slot = object.get(key)) *const_cast<Data*>(slot) = std::move(value);
}

// kainjow's data has no noexcept move, so a growing vector copies every row it holds: reserve.
void reserve(Data& list, std::size_t n) {
  if (list.is_list()) const_cast<kainjow::mustache::list&>(list.list_value()).reserve(n);
}

void append(Data& list, Data&& item) {
  if (list.is_list())
    const_cast<kainjow::mustache::list&>(list.list_value()).push_back(std::move(item));
}

}  // namespace mw::web
