// A plain TCP client for what HttpClient cannot send: pipelined, malformed, slow or huge requests.
#pragma once

#include <optional>
#include <string>

namespace mw::test {

struct RawResponse {
  int status = 0;
  std::string head;  // status line and header fields
  std::string body;
  std::string header(const std::string& name) const;  // "" if absent
};

class RawConnection {
 public:
  // Connects to 127.0.0.1:port from sourceAddress (any 127.x.y.z: the loopback is a /8, which
  // lets a test be many clients). Throws when the connection fails.
  explicit RawConnection(int port, const std::string& sourceAddress = "");
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Sends everything; false once the peer has closed or reset the connection.
  bool send(const std::string& bytes);
  // One response (Content-Length framing); nullopt when the connection ends first or on timeout.
  std::optional<RawResponse> read(int timeoutMs = 10000);
  // True when the peer closes (EOF or reset) within the time; discards what arrives.
  bool closedWithin(int timeoutMs);
  int fd() const { return fd_; }

 private:
  bool fill(int timeoutMs);  // reads more into buf_; false on EOF, error or timeout
  int fd_ = -1;
  std::string buf_;
};

// Raises this process's open-files soft limit to the hard limit; returns the new soft limit.
long raiseOpenFilesLimit();
// Resident set size of a process in kB (VmRSS), 0 when it is gone.
long rssKb(int pid);

}  // namespace mw::test
