#pragma once
#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

#include <memory>
#include <string>

#include "web/platform.h"

namespace mw::web {

// POCO HTTPServer sized for keep-alive clients: each keep-alive connection holds a thread, so
// maxThreads is generous and the keep-alive timeout short.
class Server {
 public:
  Server(Platform& platform, const std::string& bind);
  void start();
  void stop();  // stops accepting, lets running requests finish
  int port() const;

 private:
  std::unique_ptr<Poco::ThreadPool> threads_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace mw::web
