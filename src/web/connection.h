// Internal to the transport (server.cpp, connection.cpp).
#pragma once
// Boost 1.74's Asio uses std::exchange without including <utility> (g++ 12, C++20).
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "web/server.h"
#include "web/workers.h"

namespace mw::web {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct Server::Impl {
  Impl(Platform& p, const ServerLimits& l);
  Platform& platform;
  ServerLimits limits;
  // Declared before the io_context: connections it still owns release their count on its
  // destruction.
  std::mutex countsMutex;
  std::map<std::string, int> perAddress;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::steady_timer acceptRetry;
  WorkerPool workers;
  std::vector<std::thread> ioThreads;

  void accept();
  bool admit(const std::string& host);  // counts the connection; false above the cap
  void release(const std::string& host);
};

// One client connection: read a request completely, run it on a worker, write the answer,
// then wait for the next one (keep-alive) or close.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server::Impl& server, tcp::socket socket, std::string host, unsigned short port,
             bool admitted);
  ~Connection();
  void start();

 private:
  void awaitNext();
  void readHeader();
  void onHeader(beast::error_code ec);
  void readBody();
  void onBody(beast::error_code ec);
  void dispatch();
  void reject(int status, const std::string& message);  // answers, then closes
  void write(std::string bytes, bool keepAlive);
  void answerFromWorker(std::string bytes, bool keepAlive);
  void lingeringClose();
  void drain();

  Server::Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  // dynamic_body keeps a chunked body in blocks: no reallocation doubling it while it grows.
  std::optional<http::request_parser<http::dynamic_body>> parser_;
  std::string out_;
  std::string host_;
  unsigned short port_;
  bool admitted_;
  std::chrono::steady_clock::time_point lingerUntil_;
};

// The bytes of an answer: status line, fields, Date, Content-Length, Connection, body.
std::string serialize(const Response& res, bool keepAlive, bool head);

}  // namespace mw::web
