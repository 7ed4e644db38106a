#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "core/db.h"
#include "core/metrics.h"
#include "delivery/queue.h"

namespace mw::delivery {

class Engine;

// The class of a failed attempt, a bounded label: "4xx", "5xx" (the relay's reply), "timeout",
// "tls", "connect" (code 0 from core/mail/smtp.cpp), "local" (never reached the relay: mailing
// gone, template rejected), "other".
std::string reasonClass(int code, const std::string& reply);

// Counts a recorded batch: sent, failed (final) and retried by relay and reason class, and the
// SMTP time of the `smtpMessages` messages sent in `smtpSeconds`. Pipelining answers a batch as a
// whole, so each message is observed at the batch's mean (its share of the connection's time).
// Issue 14.1: labelled by each outcome's relay (Outcome::relay), the latency by `relay`.
void observeBatch(const std::vector<Outcome>& outcomes, const RetryPolicy& policy,
                  double smtpSeconds, std::size_t smtpMessages,
                  const std::string& relay = "default");

// Messages put off by their destination's limit (issue 14.2).
void observeDeferred(std::size_t n);

// Scrape-time values while it lives: the queue depth (one indexed COUNT on deliveries) and this
// engine's attempts in flight.
class EngineMetrics {
 public:
  EngineMetrics(db::Database& db, const Engine& engine);

 private:
  metrics::Collector collector_;
};

}  // namespace mw::delivery
