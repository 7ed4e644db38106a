#include "delivery/metrics.h"

#include <map>

#include "delivery/engine.h"

namespace mw::delivery {
namespace {

// The environment's relay (EMAIL_HOST), and the label of failures that never reached a relay.
const std::string kRelay = "default";

struct Families {
  metrics::Family<metrics::Counter>& sent;
  metrics::Family<metrics::Counter>& failed;
  metrics::Family<metrics::Counter>& retried;
  metrics::Family<metrics::Histogram>& latency;
  metrics::Family<metrics::Counter>& deferred;
};

Families& families() {
  auto& r = metrics::registry();
  static Families f{
      r.counter("mailwright_messages_sent_total", "Messages the relay accepted.", {"relay"}),
      r.counter("mailwright_messages_failed_total",
                "Messages failed for good (permanent error, or retries exhausted).",
                {"relay", "reason"}),
      r.counter("mailwright_messages_retried_total",
                "Attempts failed temporarily and queued for another try.", {"relay", "reason"}),
      // 1 ms (loopback relay, pipelined) to 30 s (EMAIL_TIMEOUT's default).
      r.histogram("mailwright_smtp_transaction_seconds",
                  "SMTP time per message: a pipelined batch's time over its messages.", {"relay"},
                  {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
      r.counter("mailwright_messages_deferred_total",
                "Messages put off because their destination was at its limit (not attempts).", {})};
  // The environment's relay's series exist (at 0) from the first scrape, as before relays.
  static const bool seeded =
      (f.sent.with({kRelay}), f.latency.with({kRelay}), f.deferred.with({}), true);
  (void)seeded;
  return f;
}

bool has(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

std::string reasonClass(int code, const std::string& reply) {
  if (code >= 400 && code < 500) return "4xx";
  if (code >= 500 && code < 600) return "5xx";
  if (code != 0) return "other";
  if (reply.rfind("timeout", 0) == 0) return "timeout";
  if (has(reply, "TLS")) return "tls";
  if (reply.rfind("cannot connect", 0) == 0 || reply.rfind("connection", 0) == 0) return "connect";
  if (reply.rfind("mailing or message", 0) == 0 || reply.rfind("message template", 0) == 0)
    return "local";
  return "other";
}

void observeDeferred(std::size_t n) {
  families().deferred.with({}).inc(n);
}

void observeBatch(const std::vector<Outcome>& outcomes, const RetryPolicy& policy,
                  double smtpSeconds, std::size_t smtpMessages, const std::string& relay) {
  auto& f = families();
  for (const auto& o : outcomes) {
    const std::string& label = o.relay.empty() ? kRelay : o.relay;
    if (o.success) {
      f.sent.with({label}).inc();
      continue;
    }
    // The same rule as Queue::record: a temporary failure with attempts left is retried.
    bool retry = o.temporary && o.job.attempts + 1 < policy.maxAttempts;
    (retry ? f.retried : f.failed).with({label, reasonClass(o.code, o.reply)}).inc();
  }
  if (smtpMessages == 0) return;
  double each = smtpSeconds / static_cast<double>(smtpMessages);
  auto& latency = f.latency.with({relay});
  for (std::size_t i = 0; i < smtpMessages; ++i) latency.observe(each);
}

EngineMetrics::EngineMetrics(db::Database& db, const Engine& engine)
    : collector_([&db, &engine](metrics::Writer& w) {
        w.family("mailwright_attempts_in_flight", "Deliveries claimed and being sent now.",
                 "gauge");
        w.sample("mailwright_attempts_in_flight", "",
                 static_cast<double>(engine.attemptsInFlight()));
        auto c = db.conn();
        // Served by the deliveries_queue index (status first); done rows are never counted.
        auto rows = c.query(
            "SELECT status, COUNT(*) AS n\n"
            "FROM deliveries\n"
            "WHERE status IN ('pending', 'claimed', 'sending')\n"
            "GROUP BY status");
        std::map<std::string, std::int64_t> depth{{"pending", 0}, {"claimed", 0}, {"sending", 0}};
        for (const auto& r : rows) depth[r["status"].s()] = r["n"].i();
        w.family("mailwright_queue_depth",
                 "Deliveries waiting (pending), claimed by a sender, or being sent (sending).",
                 "gauge");
        for (const auto& [status, n] : depth)
          w.sample("mailwright_queue_depth", "status=\"" + status + "\"", static_cast<double>(n));
      }) {
  families();  // the delivery series exist (at 0) from the first scrape; not in the collector,
               // which runs under the registry's lock
}

}  // namespace mw::delivery
