#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/mail/smtp.h"

namespace mw::delivery {

// What the queue needs of an SMTP client: open, send one prepared message, close. A faster
// client can replace the default one without touching the queue.
struct SendResult {
  int code = 0;  // 0: network error or timeout (temporary)
  std::string text;
  bool ok() const { return code >= 200 && code < 300; }
  bool temporary() const { return code == 0 || (code >= 400 && code < 500); }
};

// Called as each message of a batch gets its result (its index in the batch).
using OnResult = std::function<void(std::size_t, const SendResult&)>;

class Transport {
 public:
  virtual ~Transport() = default;
  virtual SendResult open() = 0;
  virtual SendResult send(const std::string& envelopeFrom, const std::string& recipient,
                          const std::string& mimeBytes) = 0;
  // The batch over this connection, one result per envelope in order; pace runs before each,
  // onResult as each result is known. The default sends one at a time; the SMTP transport
  // pipelines (SmtpConnection::sendMany).
  virtual std::vector<SendResult> sendMany(const std::vector<mail::Envelope>& batch,
                                           const std::function<void()>& pace,
                                           const OnResult& onResult = {}) {
    std::vector<SendResult> out;
    for (const auto& e : batch) {
      if (pace) pace();
      out.push_back(send(e.from, e.to, e.bytes));
      if (onResult) onResult(out.size() - 1, out.back());
    }
    return out;
  }
  virtual void close() = 0;
  virtual bool isOpen() const = 0;
};

using TransportFactory = std::function<std::unique_ptr<Transport>()>;
// A connection to one relay (issue 14.1).
using RelayTransportFactory =
    std::function<std::unique_ptr<Transport>(const mail::SmtpSettings& relay)>;

}  // namespace mw::delivery
