#include "http_client.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <cctype>
#include <random>
#include <regex>
#include <stdexcept>

namespace mw::test {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string htmlUnescape(std::string s) {
  static const std::pair<const char*, const char*> entities[] = {
      {"&quot;", "\""}, {"&#34;", "\""}, {"&#39;", "'"}, {"&#x27;", "'"},
      {"&lt;", "<"},    {"&gt;", ">"},   {"&amp;", "&"}};
  for (const auto& [from, to] : entities) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + 1))
      s.replace(p, std::string(from).size(), to);
  }
  return s;
}

Headers withBearer(const std::string& token) {
  if (token.empty()) return {};
  return {{"Authorization", "Bearer " + token}};
}

}  // namespace

std::string Response::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::vector<std::string> Response::headerValues(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = headers.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

Poco::Dynamic::Var Response::jsonValue() const {
  try {
    return Poco::JSON::Parser().parse(body);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("response (status " + std::to_string(status) +
                             ") is not JSON: " + e.displayText() + "\n" + body.substr(0, 2000));
  }
}

Poco::JSON::Object::Ptr Response::json() const {
  auto v = jsonValue();
  if (v.type() != typeid(Poco::JSON::Object::Ptr))
    throw std::runtime_error("response JSON is not an object: " + body.substr(0, 2000));
  return v.extract<Poco::JSON::Object::Ptr>();
}

HttpClient::HttpClient(std::string baseUrl) : baseUrl_(std::move(baseUrl)) {
  while (!baseUrl_.empty() && baseUrl_.back() == '/') baseUrl_.pop_back();
}

std::string HttpClient::cookie(const std::string& name) const {
  auto it = cookies_.find(name);
  return it == cookies_.end() ? "" : it->second;
}

Response HttpClient::get(const std::string& path, const Headers& headers) {
  return request("GET", path, "", "", headers);
}

Response HttpClient::post(const std::string& path, const Form& form, const Headers& headers) {
  return request("POST", path, formEncode(form), "application/x-www-form-urlencoded", headers);
}

Response HttpClient::postMultipart(const std::string& path, const Form& fields,
                                   const std::vector<UploadFile>& files, const Headers& headers) {
  std::string boundary = "----mwtest" + std::to_string(std::random_device{}());
  std::string body;
  for (const auto& [name, value] : fields) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" +
            value + "\r\n";
  }
  for (const auto& f : files) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.name +
            "\"; filename=\"" + f.filename + "\"\r\nContent-Type: " +
            (f.contentType.empty() ? "application/octet-stream" : f.contentType) + "\r\n\r\n" +
            f.bytes + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return request("POST", path, body, "multipart/form-data; boundary=" + boundary, headers);
}

Response HttpClient::getJson(const std::string& path, const std::string& token) {
  Headers h = withBearer(token);
  h.emplace_back("Accept", "application/json");
  return request("GET", path, "", "", h);
}

Response HttpClient::postJson(const std::string& path, const std::string& json,
                              const std::string& token) {
  return request("POST", path, json, "application/json", withBearer(token));
}

Response HttpClient::patchJson(const std::string& path, const std::string& json,
                               const std::string& token) {
  return request("PATCH", path, json, "application/json", withBearer(token));
}

Response HttpClient::del(const std::string& path, const std::string& token) {
  return request("DELETE", path, "", "", withBearer(token));
}

Response HttpClient::postForm(const std::string& path, Form form, const std::string& formPage) {
  Response page = get(formPage.empty() ? path : formPage);
  std::string token = csrfFrom(page.body);
  if (token.empty()) {
    throw std::runtime_error("no csrf_token on " + (formPage.empty() ? path : formPage) +
                             " (status " + std::to_string(page.status) + ")");
  }
  form.emplace_back("csrf_token", token);
  return post(path, form);
}

Response HttpClient::request(const std::string& method, const std::string& path,
                             const std::string& body, const std::string& contentType,
                             const Headers& headers) {
  std::string url = path.rfind("http://", 0) == 0 ? path : baseUrl_ + path;
  std::string m = method, b = body, ct = contentType;
  for (int hops = 0;; ++hops) {
    Response r = once(m, url, b, ct, headers);
    bool redirect =
        r.status == 301 || r.status == 302 || r.status == 303 || r.status == 307 || r.status == 308;
    if (!follow_ || !redirect || r.location().empty()) return r;
    if (hops >= 10) throw std::runtime_error("more than 10 redirects from " + path);
    url = Poco::URI(Poco::URI(url), r.location()).toString();
    if (r.status == 303 || ((r.status == 301 || r.status == 302) && m == "POST")) {
      m = "GET";
      b.clear();
      ct.clear();
    }
  }
}

Response HttpClient::once(const std::string& method, const std::string& url,
                          const std::string& body, const std::string& contentType,
                          const Headers& headers) {
  Poco::URI uri(url);
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  session.setTimeout(Poco::Timespan(timeoutSeconds_, 0));
  Poco::Net::HTTPRequest req(method, uri.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
  req.setHost(uri.getHost(), uri.getPort());
  if (!cookies_.empty()) {
    std::string c;
    for (const auto& [k, v] : cookies_) c += (c.empty() ? "" : "; ") + k + "=" + v;
    req.set("Cookie", c);
  }
  if (!contentType.empty()) req.setContentType(contentType);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  for (const auto& [k, v] : headers) req.set(k, v);

  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  Response r;
  r.status = resp.getStatus();
  r.url = url;
  for (const auto& [k, v] : resp) r.headers.emplace(k, v);
  if (method != "HEAD") Poco::StreamCopier::copyToString(in, r.body);
  storeCookies(r);
  return r;
}

void HttpClient::storeCookies(const Response& r) {
  for (const auto& line : r.headerValues("Set-Cookie")) {
    size_t semi = line.find(';');
    std::string pair = line.substr(0, semi);
    size_t eq = pair.find('=');
    if (eq == std::string::npos) continue;
    std::string name = trim(pair.substr(0, eq));
    std::string value = trim(pair.substr(eq + 1));
    std::string attrs = lower(semi == std::string::npos ? "" : line.substr(semi));
    bool expired = std::regex_search(attrs, std::regex(R"(max-age\s*=\s*(0|-))")) ||
                   std::regex_search(attrs, std::regex(R"(expires\s*=[^;]*19[0-9][0-9])"));
    if (expired)
      cookies_.erase(name);
    else
      cookies_[name] = value;
  }
}

std::string csrfFrom(const std::string& html) {
  static const std::regex input(R"(<input\b[^>]*>)", std::regex::icase);
  static const std::regex name(R"(\bname\s*=\s*["']csrf_token["'])", std::regex::icase);
  static const std::regex value(R"re(\bvalue\s*=\s*(?:"([^"]*)"|'([^']*)'))re", std::regex::icase);
  for (auto it = std::sregex_iterator(html.begin(), html.end(), input);
       it != std::sregex_iterator(); ++it) {
    std::string tag = it->str();
    std::smatch m;
    if (std::regex_search(tag, name) && std::regex_search(tag, m, value))
      return htmlUnescape(m[1].matched ? m[1].str() : m[2].str());
  }
  return "";
}

std::string urlEncode(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "!#$&'()*+,/:;=?@[]% ", out);
  return out;
}

std::string formEncode(const Form& form) {
  std::string out;
  for (const auto& [k, v] : form)
    out += (out.empty() ? "" : "&") + urlEncode(k) + "=" + urlEncode(v);
  return out;
}

}  // namespace mw::test
