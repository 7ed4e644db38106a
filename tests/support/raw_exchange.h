// Bytes to a server and bytes back, for requests no well-behaved client would send.
#pragma once

#include <string>

namespace mw::test {

// Sends the bytes to 127.0.0.1:port, half-closes, and returns everything received until the
// server closes the connection or timeoutSeconds pass. fromAddress, when set, is the loopback
// address to send from (e.g. "127.0.0.2"), so a test can be another client.
std::string rawExchange(int port, const std::string& bytes, int timeoutSeconds = 10,
                        const std::string& fromAddress = "");
// The status code of the first response in raw bytes, 0 when there is none.
int rawStatus(const std::string& response);

}  // namespace mw::test
