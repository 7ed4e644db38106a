#include "web/server.h"

#include <future>
#include <stdexcept>

#include "web/connection.h"

namespace mw::web {
namespace {

tcp::endpoint parseBind(const std::string& bind) {
  auto colon = bind.rfind(':');
  if (colon == std::string::npos || colon + 1 == bind.size())
    throw std::runtime_error("invalid bind address '" + bind + "': expected HOST:PORT");
  std::string host = bind.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "*") host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  int port = -1;
  try {
    size_t used = 0;
    port = std::stoi(bind.substr(colon + 1), &used);
    if (used != bind.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
  }
  if (ec || port < 0 || port > 65535)
    throw std::runtime_error("invalid bind address '" + bind + "'");
  return {addr, static_cast<unsigned short>(port)};
}

}  // namespace

Server::Impl::Impl(Platform& p, const ServerLimits& l)
    : platform(p),
      limits(l),
      ioc(l.ioThreads),
      acceptor(ioc),
      acceptRetry(ioc),
      workers(l.workers, l.maxQueued) {}

void Server::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors or similar: try again shortly instead of spinning.
      acceptRetry.expires_after(std::chrono::milliseconds(50));
      acceptRetry.async_wait([this](beast::error_code e) {
        if (!e) accept();
      });
      return;
    }
    beast::error_code peerEc;
    auto peer = socket.remote_endpoint(peerEc);
    if (!peerEc) {
      socket.set_option(tcp::no_delay(true), peerEc);
      std::string host = peer.address().to_string();
      bool admitted = admit(host);
      std::make_shared<Connection>(*this, std::move(socket), host, peer.port(), admitted)->start();
    }
    accept();
  });
}

bool Server::Impl::admit(const std::string& host) {
  std::lock_guard lock(countsMutex);
  int& n = perAddress[host];
  ++n;
  return n <= limits.maxConnectionsPerAddress;
}

void Server::Impl::release(const std::string& host) {
  std::lock_guard lock(countsMutex);
  auto it = perAddress.find(host);
  if (it != perAddress.end() && --it->second <= 0) perAddress.erase(it);
}

Server::Server(Platform& platform, const std::string& bind, ServerLimits limits)
    : impl_(std::make_unique<Impl>(platform, limits)) {
  auto endpoint = parseBind(bind);
  auto& acc = impl_->acceptor;
  beast::error_code ec;
  acc.open(endpoint.protocol(), ec);
  // SO_REUSEADDR only (restarts while old connections linger); never SO_REUSEPORT, so a second
  // server on the same port fails here instead of sharing the traffic.
  if (!ec) acc.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(1024, ec);
  if (ec) throw std::runtime_error("cannot listen on " + bind + ": " + ec.message());
}

Server::~Server() {
  stop();
}

void Server::start() {
  impl_->accept();
  for (int i = 0; i < impl_->limits.ioThreads; ++i)
    impl_->ioThreads.emplace_back([this] { impl_->ioc.run(); });
}

void Server::stop() {
  if (!impl_->ioThreads.empty()) {
    // Stop accepting, finish what the workers hold and let their answers go out.
    auto closed = std::make_shared<std::promise<void>>();
    net::post(impl_->ioc, [this, closed] {
      beast::error_code ec;
      impl_->acceptor.close(ec);
      impl_->acceptRetry.cancel();
      closed->set_value();
    });
    closed->get_future().wait_for(std::chrono::seconds(2));
    impl_->workers.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  impl_->workers.stop();
  impl_->ioc.stop();
  for (auto& t : impl_->ioThreads)
    if (t.joinable()) t.join();
  impl_->ioThreads.clear();
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

int Server::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

}  // namespace mw::web
