// A TCP proxy that delays every byte by half a round trip each way (bench: a relay 10 ms away).
// One epoll thread; data read from one side is written to the other once it is due. Header-only:
// every bench/*.cpp is its own program.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace mw::bench {

class DelayProxy {
 public:
  DelayProxy(int upstreamPort, double roundTripMs)
      : upstream_(upstreamPort), half_(roundTripMs / 2) {
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = loopback(0);
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_, 512))
      throw std::runtime_error("proxy: cannot listen");
    socklen_t len = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ep_ = ::epoll_create1(0);
    watch(listen_, 0);
    thread_ = std::thread([this] { loop(); });
  }
  ~DelayProxy() {
    stop_ = true;
    thread_.join();
    for (auto& [fd, side] : sides_) ::close(fd);
    ::close(listen_);
    ::close(ep_);
  }
  int port() const { return port_; }

 private:
  struct Chunk {
    double due;
    std::string bytes;
  };
  struct Side {
    int peer = -1;
    std::deque<Chunk> toPeer;  // read here, due to be written to peer
    bool eof = false;          // this side sent FIN: forward it once toPeer is empty
    bool finSent = false;
  };
  int upstream_, port_ = 0, listen_ = -1, ep_ = -1;
  double half_;
  std::atomic<bool> stop_{false};
  std::map<int, Side> sides_;
  std::thread thread_;

  static sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }
  static double nowMs() {
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void watch(int fd, int) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = fd;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &e);
  }
  void accept() {
    while (true) {
      int c = ::accept4(listen_, nullptr, nullptr, 0);
      if (c < 0) return;
      int u = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a = loopback(upstream_);
      if (::connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(u);
        ::close(c);
        continue;
      }
      int one = 1;
      for (int fd : {c, u}) {
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::fcntl(fd, F_SETFL, O_NONBLOCK);
        watch(fd, 0);
      }
      sides_[c].peer = u;
      sides_[u].peer = c;
    }
  }
  void readFrom(int fd) {
    auto it = sides_.find(fd);
    if (it == sides_.end()) return;
    char buf[65536];
    while (true) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        it->second.toPeer.push_back({nowMs() + half_, std::string(buf, static_cast<size_t>(n))});
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        it->second.eof = true;
        ::epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
      }
      return;
    }
  }
  // Writes what is due; returns the time of the next chunk (or +inf).
  double flush() {
    double next = INFINITY, now = nowMs();
    for (auto it = sides_.begin(); it != sides_.end();) {
      Side& s = it->second;
      while (!s.toPeer.empty() && s.toPeer.front().due <= now) {
        auto& ch = s.toPeer.front();
        ssize_t n = ::send(s.peer, ch.bytes.data(), ch.bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0) {
          s.toPeer.clear();
          s.eof = true;
          break;
        }
        ch.bytes.erase(0, static_cast<size_t>(n));
        if (ch.bytes.empty()) s.toPeer.pop_front();
      }
      if (!s.toPeer.empty()) next = std::min(next, std::max(s.toPeer.front().due, now + 0.05));
      if (s.eof && s.toPeer.empty() && !s.finSent) {
        ::shutdown(s.peer, SHUT_WR);
        s.finSent = true;
      }
      auto peer = sides_.find(s.peer);
      if (s.finSent && peer != sides_.end() && peer->second.finSent) {
        ::close(it->first);
        ::close(peer->first);
        sides_.erase(peer);
        it = sides_.erase(sides_.find(it->first));  // iterators other than peer stay valid
        continue;
      }
      ++it;
    }
    return next;
  }
  void loop() {
    epoll_event events[64];
    double next = INFINITY;
    while (!stop_) {
      // Nanosecond timeouts: epoll_wait's milliseconds would add up to 1 ms each way.
      double wait = std::isinf(next) ? 100 : std::max(0.0, next - nowMs());
      timespec ts{static_cast<time_t>(wait / 1000),
                  static_cast<long>(std::fmod(wait, 1000.0) * 1e6)};
      int n = ::epoll_pwait2(ep_, events, 64, &ts, nullptr);
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == listen_)
          accept();
        else
          readFrom(events[i].data.fd);
      }
      next = flush();
    }
  }
};

}  // namespace mw::bench
