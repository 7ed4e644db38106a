#include "web/connection.h"

#include <strings.h>

#include <ctime>
#include <iostream>

#include "web/metrics_endpoint.h"

namespace mw::web {
namespace {

bool isParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

bool safeField(const std::string& name, const std::string& value) {
  for (char c : name)
    if (c <= ' ' || c == ':' || c == 0x7f) return false;
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return !name.empty();
}

bool transportField(const std::string& name) {
  for (const char* n : {"Content-Length", "Connection", "Date", "Transfer-Encoding"})
    if (strcasecmp(name.c_str(), n) == 0) return true;
  return false;
}

const std::string& httpDate() {
  thread_local std::time_t last = 0;
  thread_local std::string text;
  std::time_t now = std::time(nullptr);
  if (now != last) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    text = buf;
    last = now;
  }
  return text;
}

const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

std::string serialize(const Response& res, bool keepAlive, bool head) {
  int status = res.getStatus();
  bool bodyless = status < 200 || status == 204 || status == 304;
  std::string out;
  out.reserve(512 + (head || bodyless ? 0 : res.body().size()));
  auto reason = http::obsolete_reason(static_cast<http::status>(status));
  out += "HTTP/1.1 " + std::to_string(status) + " ";
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const auto& [k, v] : res.fields()) {
    if (transportField(k)) continue;
    if (!safeField(k, v)) {
      std::cerr << "error: dropped a response header with control characters: " << k << "\n";
      continue;
    }
    out += k + ": " + v + "\r\n";
  }
  out += "Date: " + httpDate() + "\r\n";
  if (!bodyless) out += "Content-Length: " + std::to_string(res.contentLength()) + "\r\n";
  if (!keepAlive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head && !bodyless) out += res.body();
  return out;
}

Connection::Connection(Server::Impl& server, tcp::socket socket, std::string host,
                       unsigned short port, bool admitted)
    : server_(server),
      stream_(std::move(socket)),
      host_(std::move(host)),
      port_(port),
      admitted_(admitted) {}

Connection::~Connection() {
  server_.release(host_);
}

void Connection::start() {
  if (!admitted_) {
    reject(503, "Too many connections from your address");
    return;
  }
  readHeader();  // the header deadline runs from the accept
}

void Connection::awaitNext() {
  if (buffer_.size() > 0) {
    readHeader();  // pipelined: the next request is already here
    return;
  }
  buffer_.shrink_to_fit();
  stream_.expires_after(server_.limits.idleTimeout);
  stream_.async_read_some(buffer_.prepare(1024),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            if (ec) return self->stream_.close();
                            self->buffer_.commit(n);
                            self->readHeader();
                          });
}

void Connection::readHeader() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_.limits.maxHeaderBytes));
  parser_->body_limit(server_.limits.maxBodyBytes);
  stream_.expires_after(server_.limits.headerTimeout);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onHeader(ec); });
}

void Connection::onHeader(beast::error_code ec) {
  if (ec == http::error::header_limit) {
    // Still in the request line: the URI is what is too long.
    auto data = buffer_.cdata();
    std::string_view seen(static_cast<const char*>(data.data()), data.size());
    if (seen.find('\n') == std::string_view::npos) return reject(414, "URI Too Long");
    return reject(431, "Request Header Fields Too Large");
  }
  if (ec == http::error::body_limit) return reject(413, "Request body too large");
  if (ec && isParseError(ec)) return reject(400, "Bad Request");
  if (ec) return stream_.close();  // closed, timed out or reset
  auto& msg = parser_->get();
  if (msg.target().size() > server_.limits.maxUriBytes) return reject(414, "URI Too Long");
  auto length = parser_->content_length();
  if (length && *length > server_.limits.maxBodyBytes) return reject(413, "Request body too large");
  if (parser_->is_done()) return dispatch();
  if (strcasecmp(std::string(msg[http::field::expect]).c_str(), "100-continue") == 0) {
    stream_.expires_after(server_.limits.bodyTimeout);
    net::async_write(stream_, net::buffer(kContinue),
                     [self = shared_from_this()](beast::error_code e, std::size_t) {
                       if (e) return self->stream_.close();
                       self->readBody();
                     });
    return;
  }
  readBody();
}

void Connection::readBody() {
  stream_.expires_after(server_.limits.bodyTimeout);
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onBody(ec); });
}

void Connection::onBody(beast::error_code ec) {
  if (ec == http::error::body_limit) return reject(413, "Request body too large");
  if (ec && isParseError(ec)) return reject(400, "Bad Request");
  if (ec) return stream_.close();
  dispatch();
}

void Connection::dispatch() {
  auto& msg = parser_->get();
  bool keepAlive = msg.keep_alive();
  bool head = msg.method() == http::verb::head;
  auto req = std::make_shared<Request>(std::string(msg.method_string()), std::string(msg.target()),
                                       beast::buffers_to_string(msg.body().data()), host_, port_);
  for (const auto& f : msg) req->add(std::string(f.name_string()), std::string(f.value()));
  parser_.reset();
  stream_.expires_never();  // the handler's time is not the client's
  auto self = shared_from_this();
  bool queued = server_.workers.tryPost([self, req, keepAlive, head] {
    Response res;
    try {
      self->server_.platform.dispatch(*req, res);
    } catch (const std::exception& e) {
      std::cerr << "error: " << req->getMethod() << " " << req->getURI() << ": " << e.what()
                << "\n";
      res = Response();
      res.setStatus(500);
      res.setContentType("text/plain; charset=utf-8");
      res.body() = "500 Internal Server Error";
    }
    bool keep = keepAlive && !res.closeAfter();
    self->answerFromWorker(serialize(res, keep, head), keep);
  });
  if (!queued) reject(503, "Server busy");
}

void Connection::reject(int status, const std::string& message) {
  // Refused before any route was known (busy, too large, malformed): counted apart.
  static auto& refused = httpRequests("other", "transport");
  refused.inc(status);
  parser_.reset();
  Response res;
  res.setStatus(status);
  res.setContentType("text/plain; charset=utf-8");
  res.body() = std::to_string(status) + " " + message + "\n";
  write(serialize(res, false, false), false);
}

void Connection::write(std::string bytes, bool keepAlive) {
  out_ = std::move(bytes);
  stream_.expires_after(server_.limits.bodyTimeout);
  net::async_write(stream_, net::buffer(out_),
                   [self = shared_from_this(), keepAlive](beast::error_code ec, std::size_t) {
                     self->out_ = std::string();
                     if (ec) return self->stream_.close();
                     if (keepAlive) return self->awaitNext();
                     self->lingeringClose();
                   });
}

// While its handler runs a connection has no operation pending (the request is read, its timer
// is off), so the worker may use it: the answer goes out from here, and the next read starts from
// here, without waking an I/O thread to do either. Posting both back to an I/O thread cost two
// thread switches per request: 27% of the home page's samples were the scheduler's (perf, wrk
// -c64).
void Connection::answerFromWorker(std::string bytes, bool keepAlive) {
  out_ = std::move(bytes);
  auto& socket = stream_.socket();
  beast::error_code ec;
  socket.non_blocking(true, ec);  // a full send buffer must not hold the worker
  std::size_t sent = 0;
  while (!ec && sent < out_.size())
    sent += socket.write_some(net::buffer(out_.data() + sent, out_.size() - sent), ec);
  if (ec == net::error::would_block || ec == net::error::try_again) {
    out_.erase(0, sent);  // the rest waits for the client on an I/O thread, under the deadline
    return net::post(stream_.get_executor(), [self = shared_from_this(), keepAlive]() mutable {
      self->write(std::move(self->out_), keepAlive);
    });
  }
  out_ = std::string();
  if (ec) return stream_.close();
  if (keepAlive) return awaitNext();
  lingeringClose();
}

void Connection::lingeringClose() {
  // Closing with unread input would reset the connection and could destroy the answer before
  // the client reads it: stop sending, discard what still arrives for a moment, then close.
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return stream_.close();
  buffer_.clear();
  lingerUntil_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  drain();
}

void Connection::drain() {
  stream_.expires_at(lingerUntil_);
  stream_.async_read_some(buffer_.prepare(16 * 1024),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (ec) return self->stream_.close();
                            self->drain();  // nothing committed: the buffer never grows
                          });
}

}  // namespace mw::web
