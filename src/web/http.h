#pragma once
#include <Poco/MemoryStream.h>
#include <Poco/Net/HTTPCookie.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/SocketAddress.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mw::web {

// Header fields in arrival order; names compare case-insensitively.
class HeaderList {
 public:
  const std::string& get(const std::string& name, const std::string& def) const;
  std::string get(const std::string& name) const { return get(name, std::string()); }
  bool has(const std::string& name) const;
  void set(const std::string& name, const std::string& value);  // replaces every earlier one
  void add(const std::string& name, const std::string& value);
  void erase(const std::string& name);
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// A request as the transport read it: complete, body included. The names follow POCO's
// HTTPServerRequest so that handlers read as before.
class Request : public HeaderList {
 public:
  Request(std::string method, std::string uri, std::string body, std::string clientHost,
          unsigned short clientPort)
      : method_(std::move(method)),
        uri_(std::move(uri)),
        body_(std::move(body)),
        clientHost_(std::move(clientHost)),
        clientPort_(clientPort) {}

  const std::string& getMethod() const { return method_; }
  const std::string& getURI() const { return uri_; }
  const std::string& body() const { return body_; }
  std::string getContentType() const { return get("Content-Type"); }
  void getCookies(Poco::Net::NameValueCollection& cookies) const;
  // The socket peer (not X-Forwarded-For).
  const std::string& clientHost() const { return clientHost_; }
  Poco::Net::SocketAddress clientAddress() const { return {clientHost_, clientPort_}; }
  std::istream& stream();  // the body as a stream, without a copy

 private:
  std::string method_;
  std::string uri_;
  std::string body_;
  std::string clientHost_;
  unsigned short clientPort_;
  std::unique_ptr<Poco::MemoryInputStream> stream_;
};

// A response a handler builds; the transport writes it after the handler returns.
class Response : public HeaderList {
 public:
  void setStatus(int status) { status_ = status; }
  int getStatus() const { return status_; }
  void setContentType(const std::string& type) { set("Content-Type", type); }
  void addCookie(const Poco::Net::HTTPCookie& cookie) { add("Set-Cookie", cookie.toString()); }
  // The Content-Length a HEAD answer announces; -1: the body's size.
  void setContentLength(long long n) { contentLength_ = n; }
  long long contentLength() const {
    return contentLength_ < 0 ? static_cast<long long>(body_.size()) : contentLength_;
  }
  std::string& body() { return body_; }
  const std::string& body() const { return body_; }
  bool closeAfter() const { return closeAfter_; }
  void closeAfter(bool close) { closeAfter_ = close; }

 private:
  int status_ = 200;
  long long contentLength_ = -1;
  bool closeAfter_ = false;
  std::string body_;
};

}  // namespace mw::web
