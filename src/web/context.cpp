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

std::multimap<std::string, std::string> parseQuery(const std::string& q) {
  std::multimap<std::string, std::string> out;
  for (const auto& [k, v] : Poco::URI("?" + q).getQueryParameters()) out.emplace(k, v);
  return out;
}

}  // namespace

Ctx::Ctx(Platform& p, Poco::Net::HTTPServerRequest& rq, Poco::Net::HTTPServerResponse& rs)
    : platform(p), req(rq), res(rs) {}

std::int64_t Ctx::idParam(const std::string& name) const {
  auto it = params.find(name);
  if (it == params.end() || it->second.empty() || it->second.size() > 18)
    throw HttpError(404, "Not found");
  for (char c : it->second)
    if (c < '0' || c > '9') throw HttpError(404, "Not found");
  std::int64_t v = std::stoll(it->second);
  if (v <= 0) throw HttpError(404, "Not found");
  return v;
}

std::string Ctx::query(const std::string& name, const std::string& def) const {
  if (!queryCache_) {
    Poco::URI uri(req.getURI());
    queryCache_ = parseQuery(uri.getRawQuery());
  }
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
  if (req.hasContentLength() && static_cast<std::size_t>(req.getContentLength64()) > kMaxBody)
    throw HttpError(413, "Request body too large");
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
      throw HttpError(400, "Malformed form data");
    }
    for (const auto& [k, v] : form) fields_.emplace(k, v);
    return;
  }
  std::string body;
  char buf[8192];
  auto& in = req.stream();
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    body.append(buf, static_cast<std::size_t>(in.gcount()));
    if (body.size() > kMaxBody) throw HttpError(413, "Request body too large");
  }
  if (type.rfind("application/x-www-form-urlencoded", 0) == 0) fields_ = parseQuery(body);
  rawBody_ = std::move(body);
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
    auto v = Poco::JSON::Parser().parse(rawBody_.empty() ? "{}" : rawBody_);
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) return v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
  } catch (const std::exception&) {
  }
  throw HttpError(400, "Request body must be a JSON object");
}

void Ctx::flash(const std::string& level, const std::string& text) {
  flashes_.push_back({level, text});
  platform.saveFlashes(*this, flashes_);
}

std::vector<Flash> Ctx::takeFlashes() {
  auto out = std::move(flashes_);
  flashes_.clear();
  if (!out.empty()) platform.saveFlashes(*this, {});
  return out;
}

void Ctx::login(std::int64_t userId, bool remember) {
  // A new session id on login defeats session fixation.
  auto c = platform.db.conn();
  if (!sid_.empty()) c.exec("DELETE FROM sessions WHERE id = $1", {platform.sessionKey(sid_)});
  platform.writeSessionCookie(*this, remember);
  std::int64_t now = std::time(nullptr);
  c.exec(
      "INSERT INTO sessions(id, user_id, flashes, remember, created_at, expires_at) VALUES ($1, "
      "$2, '', $3, $4, $5)",
      {platform.sessionKey(sid_), userId, remember, now, now + (remember ? 30 * 86400 : 86400)});
  sessionUserId_ = userId;
  flashes_.clear();
}

void Ctx::logout() {
  if (!sid_.empty()) {
    auto c = platform.db.conn();
    c.exec("DELETE FROM sessions WHERE id = $1", {platform.sessionKey(sid_)});
  }
  platform.writeSessionCookie(*this, false);
  sessionUserId_ = 0;
  user.reset();
}

std::string Ctx::clientIp() const {
  return req.clientAddress().host().toString();
}

std::string Ctx::t(const std::string& key) const {
  return platform.i18n.t(lang, key);
}

void Ctx::send(const std::string& body, const std::string& contentType, int status) {
  if (sent_) return;
  const auto& m = req.getMethod();
  if (m != "GET" && m != "HEAD" && m != "OPTIONS") platform.wrote();
  res.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  if (!contentType.empty()) res.setContentType(contentType);
  res.setContentLength64(static_cast<Poco::Int64>(body.size()));
  sent_ = true;
  bytesSent_ = body.size();
  if (req.getMethod() == "HEAD") {
    res.send();
    return;
  }
  res.send() << body;
}

void Ctx::html(const std::string& templateName, Data data, int status) {
  platform.addPageData(*this, data);
  send(platform.templates.renderPage(templateName, data), "text/html; charset=utf-8", status);
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
  res.set("Location", location);
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

}  // namespace mw::web
