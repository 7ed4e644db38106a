#include "web/server.h"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <stdexcept>

namespace mw::web {

Server::Server(Platform& platform, const std::string& bind) {
  Poco::Net::SocketAddress addr;
  try {
    addr = Poco::Net::SocketAddress(bind);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("invalid bind address '" + bind + "': " + e.displayText());
  }
  Poco::Net::ServerSocket socket;
  try {
    socket.bind(addr, true);
    socket.listen(256);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("cannot listen on " + bind + ": " + e.displayText());
  }
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(128);
  params->setMaxQueued(512);
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(3, 0));
  params->setMaxKeepAliveRequests(1000);
  params->setTimeout(Poco::Timespan(30, 0));
  threads_ = std::make_unique<Poco::ThreadPool>(4, 128, 60);
  server_ =
      std::make_unique<Poco::Net::HTTPServer>(platform.newFactory(), *threads_, socket, params);
}

void Server::start() {
  server_->start();
}

void Server::stop() {
  server_->stopAll(false);
  threads_->joinAll();
}

int Server::port() const {
  return server_->port();
}

}  // namespace mw::web
