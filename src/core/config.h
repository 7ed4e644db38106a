#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/cidr.h"

namespace mw {

// Issue 13: bounces, complaints and the rules they drive (README, "Bounces and complaints").
struct BounceConfig {
  std::string address;     // BOUNCE_ADDRESS: VERP base of envelope senders ("" keeps the sender)
  std::string mailbox;     // BOUNCE_MAILBOX: pop3s://user:pass@host:995 or pop3://
  int pollSeconds = 60;    // BOUNCE_POLL_SECONDS
  int hardLimit = 1;       // BOUNCE_HARD_LIMIT: hard bounces that stop a client
  int complaintLimit = 1;  // COMPLAINT_LIMIT: complaints that stop a client
  int softLimit = 3;       // BOUNCE_SOFT_LIMIT: soft bounces within softDays that stop it
  int softDays = 30;       // BOUNCE_SOFT_DAYS
  int pauseWindow = 500;   // AUTOPAUSE_WINDOW: a running mailing's last deliveries looked at
  int pauseMinDeliveries = 20;         // AUTOPAUSE_MIN_DELIVERIES: fewer decide nothing
  double pauseHardPercent = 10;        // AUTOPAUSE_HARD_PERCENT
  double pauseComplaintPercent = 0.3;  // AUTOPAUSE_COMPLAINT_PERCENT
  std::string sesCertFile;             // SES_SNS_CERT_FILE: the trusted SNS signing certificate
  std::string sesTopicArn;             // SES_TOPIC_ARN: when set, only this topic is accepted
  std::string mailgunSigningKey;       // MAILGUN_WEBHOOK_SIGNING_KEY
  std::string postmarkUser;            // POSTMARK_WEBHOOK_USER (basic auth)
  std::string postmarkPassword;        // POSTMARK_WEBHOOK_PASSWORD
  std::string sendgridPublicKey;  // SENDGRID_WEBHOOK_PUBLIC_KEY: ECDSA P-256, base64 DER or PEM
  int webhookMaxAge = 3600;       // WEBHOOK_MAX_AGE_SECONDS: older events are refused
};

// Settings from the environment, then a `.env` file in the working directory, then defaults (SPEC
// §11).
struct Config {
  std::string env;  // "development" or "production"
  std::string databaseUrl;
  std::string redisUrl;
  std::string secretKey;
  std::string dataDir;
  std::string bind;
  std::string baseUrl;
  std::string emailHost;
  int emailPort = 25;
  std::string emailUser;
  std::string emailPassword;
  bool emailUseTls = false;
  bool emailUseSsl = false;
  std::string defaultFromEmail;
  int emailTimeout = 30;
  int sendConcurrency = 4;
  double sendRate = 0;
  int retryMax = 5;
  int retryBaseSeconds = 60;
  // WORKER_LEASE_SECONDS: a sender silent this long is taken for dead and its messages in
  // flight are queued again (heartbeats are every second).
  int workerLeaseSeconds = 30;
  // MAX_INTERRUPTIONS: a message whose sender died this many times while sending it is failed
  // ("interrupted repeatedly"), so that one that kills its sender cannot stop the run.
  int maxInterruptions = 3;
  // DESTINATION_LIMITS (issue 14.2): connections and messages per period per recipient domain,
  // read by the sender (src/delivery/destinations.h), added to its defaults.
  std::string destinationLimits;
  bool emailTlsInsecure = false;  // EMAIL_TLS_INSECURE=1: no certificate checks (test servers)
  // Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (TRUSTED_PROXIES).
  std::vector<Cidr> trustedProxies;
  int purgeIntervalSeconds = 3600;  // expired sessions, login failures, used links
  std::string logLevel = "info";    // LOG_LEVEL: debug, info, warn, error
  bool logJson = false;             // LOG_FORMAT=json: one JSON object a line
  int shutdownTimeout = 20;         // SHUTDOWN_TIMEOUT: seconds SIGTERM waits for work in flight
  // TRACKING_MACHINE_SECONDS (issue 13): an open this soon after the send is a mail proxy's
  // prefetch (Apple Mail Privacy Protection fetches images as the message arrives).
  int trackingMachineSeconds = 10;
  int passwordMinScore = 3;  // PASSWORD_MIN_SCORE: least zxcvbn score (0-4) of a new password
  // METRICS_TOKEN: the bearer token GET /metrics asks for; empty: loopback clients only.
  std::string metricsToken;
  // METRICS_BIND: HOST:PORT where `worker` serves /metrics (`--metrics-bind`); empty: none.
  std::string metricsBind;
  BounceConfig bounces;
  std::string resourceDir;  // holds templates/, static/, locales/, migrations/, node_modules/
  bool secureCookies() const { return baseUrl.rfind("https://", 0) == 0; }

  // Throws std::runtime_error with a one-line reason on invalid values.
  static Config load();
  // Values of a .env file (KEY=VALUE, # comments, optional quotes); missing file gives an empty
  // map.
  static std::map<std::string, std::string> readDotEnv(const std::string& path);
};

}  // namespace mw
