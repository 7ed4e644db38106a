#pragma once
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "web/platform.h"

namespace mw::web {

// What a connection may cost. Slow and idle clients hold a timer and a buffer, never a thread.
struct ServerLimits {
  std::chrono::milliseconds headerTimeout{10'000};  // from the first byte to the end of the header
  std::chrono::milliseconds bodyTimeout{60'000};    // the whole body; also each response write
  std::chrono::milliseconds idleTimeout{30'000};    // keep-alive wait for the next request
  std::size_t maxHeaderBytes = 32 * 1024;           // request line and fields: 431 beyond
  std::size_t maxUriBytes = 8 * 1024;               // 414 beyond
  std::size_t maxBodyBytes = 12 * 1024 * 1024;      // 413 beyond, chunked or not
  int maxConnectionsPerAddress = 256;
  int ioThreads = 2;
  int workers = 8;               // handler threads (they block on the database)
  std::size_t maxQueued = 1024;  // requests waiting for a worker: 503 beyond
};

// HTTP/1.1 over Boost.Beast: a few I/O threads read every request completely (or close the
// connection) and hand it to a bounded worker pool that runs Platform::dispatch.
class Server {
 public:
  // Binds at once: throws when the address is invalid or taken (no SO_REUSEPORT).
  Server(Platform& platform, const std::string& bind, ServerLimits limits = {});
  ~Server();
  void start();
  void stop();  // stops accepting, lets queued requests finish
  int port() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mw::web
