// A small HTTP/1.1 client with a cookie jar, for driving the web server in tests.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <strings.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mw::test {

struct CaseLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return strcasecmp(a.c_str(), b.c_str()) < 0;
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;
using Form = std::vector<std::pair<std::string, std::string>>;

struct Response {
  int status = 0;
  std::string body;
  std::multimap<std::string, std::string, CaseLess> headers;  // every header line, in order
  std::string url;  // the URL that answered (after redirects, when followed)

  // First value of that header, "" if absent.
  std::string header(const std::string& name) const;
  std::vector<std::string> headerValues(const std::string& name) const;
  bool hasHeader(const std::string& name) const { return headers.count(name) > 0; }
  std::string location() const { return header("Location"); }
  // Parses the body; throws with the body in the message when it is not a JSON object.
  Poco::JSON::Object::Ptr json() const;
  Poco::Dynamic::Var jsonValue() const;
};

struct UploadFile {
  std::string name;  // form field name
  std::string filename;
  std::string contentType;
  std::string bytes;
};

class HttpClient {
 public:
  // baseUrl like "http://127.0.0.1:8000"; paths below are appended to it.
  explicit HttpClient(std::string baseUrl);

  Response get(const std::string& path, const Headers& headers = {});
  // application/x-www-form-urlencoded
  Response post(const std::string& path, const Form& form, const Headers& headers = {});
  Response postMultipart(const std::string& path, const Form& fields,
                         const std::vector<UploadFile>& files, const Headers& headers = {});
  Response request(const std::string& method, const std::string& path, const std::string& body = "",
                   const std::string& contentType = "", const Headers& headers = {});

  // JSON API calls; a non-empty token is sent as "Authorization: Bearer TOKEN".
  Response getJson(const std::string& path, const std::string& token = "");
  Response postJson(const std::string& path, const std::string& json,
                    const std::string& token = "");
  Response patchJson(const std::string& path, const std::string& json,
                     const std::string& token = "");
  Response del(const std::string& path, const std::string& token = "");

  // GETs formPage (default: path), takes its csrf_token and posts form + csrf_token to path.
  // Throws if the page has no csrf_token.
  Response postForm(const std::string& path, Form form, const std::string& formPage = "");

  // Off by default: 3xx responses are returned as they are.
  void followRedirects(bool follow) { follow_ = follow; }
  void setTimeoutSeconds(int seconds) { timeoutSeconds_ = seconds; }

  // Cookie jar (name -> value); filled from Set-Cookie, sent with every request.
  const std::map<std::string, std::string>& cookies() const { return cookies_; }
  std::string cookie(const std::string& name) const;
  void setCookie(const std::string& name, const std::string& value) { cookies_[name] = value; }
  void clearCookies() { cookies_.clear(); }
  const std::string& baseUrl() const { return baseUrl_; }

 private:
  Response once(const std::string& method, const std::string& url, const std::string& body,
                const std::string& contentType, const Headers& headers);
  void storeCookies(const Response& r);

  std::string baseUrl_;
  bool follow_ = false;
  int timeoutSeconds_ = 30;
  std::map<std::string, std::string> cookies_;
};

// Value of the hidden input named csrf_token in html ("" if there is none).
std::string csrfFrom(const std::string& html);
std::string urlEncode(const std::string& s);
std::string formEncode(const Form& form);

}  // namespace mw::test
