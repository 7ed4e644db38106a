#include "core/config.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/resources.h"

namespace mw {
namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

class Source {
 public:
  explicit Source(std::map<std::string, std::string> dotenv) : dotenv_(std::move(dotenv)) {}
  std::string get(const std::string& key, const std::string& def = "") const {
    if (const char* v = std::getenv(key.c_str())) return v;
    auto it = dotenv_.find(key);
    return it == dotenv_.end() ? def : it->second;
  }
  bool has(const std::string& key) const {
    return std::getenv(key.c_str()) != nullptr || dotenv_.count(key) > 0;
  }
  int getInt(const std::string& key, int def, int min, int max) const {
    std::string v = get(key);
    if (v.empty()) return def;
    try {
      size_t used = 0;
      int n = std::stoi(v, &used);
      if (used != v.size() || n < min || n > max) throw std::invalid_argument(v);
      return n;
    } catch (const std::exception&) {
      throw std::runtime_error(key + " must be an integer between " + std::to_string(min) +
                               " and " + std::to_string(max) + ", got '" + v + "'");
    }
  }
  double getDouble(const std::string& key, double def, double min, double max) const {
    std::string v = get(key);
    if (v.empty()) return def;
    try {
      size_t used = 0;
      double n = std::stod(v, &used);
      if (used != v.size() || !(n >= min && n <= max)) throw std::invalid_argument(v);
      return n;
    } catch (const std::exception&) {
      throw std::runtime_error(key + " must be a number between " + std::to_string(min) + " and " +
                               std::to_string(max) + ", got '" + v + "'");
    }
  }
  bool getBool(const std::string& key) const {
    std::string v = get(key);
    for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (v.empty() || v == "0" || v == "false" || v == "off" || v == "no") return false;
    if (v == "1" || v == "true" || v == "on" || v == "yes") return true;
    throw std::runtime_error(key + " must be true or false, got '" + v + "'");
  }

 private:
  std::map<std::string, std::string> dotenv_;
};

std::string findResourceDir(const Source& src) {
  std::string configured = src.get("MW_RESOURCE_DIR");
  // Unset: the copy embedded at build time, so the binary runs from any directory.
  return configured.empty() ? std::string(resources::kEmbeddedRoot) : configured;
}

// Development convenience: a random key kept in DATA_DIR so sessions survive restarts.
std::string loadOrCreateSecret(const std::string& dataDir) {
  std::filesystem::create_directories(dataDir);
  std::string path = dataDir + "/secret_key";
  {
    std::ifstream in(path);
    std::string key;
    if (in && std::getline(in, key) && key.size() >= 32) return key;
  }
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << hex << "\n";
  }
  ::chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, path);
  return hex;
}

BounceConfig loadBounces(const Source& src) {
  BounceConfig b;
  b.address = src.get("BOUNCE_ADDRESS");
  if (!b.address.empty() && b.address.find('@') == std::string::npos)
    throw std::runtime_error("BOUNCE_ADDRESS must be an email address, got '" + b.address + "'");
  b.mailbox = src.get("BOUNCE_MAILBOX");
  if (!b.mailbox.empty() && b.mailbox.rfind("pop3://", 0) != 0 &&
      b.mailbox.rfind("pop3s://", 0) != 0)
    throw std::runtime_error("BOUNCE_MAILBOX must be a pop3:// or pop3s:// URL");
  b.pollSeconds = src.getInt("BOUNCE_POLL_SECONDS", 60, 1, 86400);
  b.hardLimit = src.getInt("BOUNCE_HARD_LIMIT", 1, 1, 1000);
  b.complaintLimit = src.getInt("COMPLAINT_LIMIT", 1, 1, 1000);
  b.softLimit = src.getInt("BOUNCE_SOFT_LIMIT", 3, 1, 1000);
  b.softDays = src.getInt("BOUNCE_SOFT_DAYS", 30, 1, 3650);
  b.pauseWindow = src.getInt("AUTOPAUSE_WINDOW", 500, 1, 1000000);
  b.pauseMinDeliveries = src.getInt("AUTOPAUSE_MIN_DELIVERIES", 20, 1, 1000000);
  b.pauseHardPercent = src.getDouble("AUTOPAUSE_HARD_PERCENT", 10, 0, 100);
  b.pauseComplaintPercent = src.getDouble("AUTOPAUSE_COMPLAINT_PERCENT", 0.3, 0, 100);
  b.sesCertFile = src.get("SES_SNS_CERT_FILE");
  b.sesTopicArn = src.get("SES_TOPIC_ARN");
  b.mailgunSigningKey = src.get("MAILGUN_WEBHOOK_SIGNING_KEY");
  b.postmarkUser = src.get("POSTMARK_WEBHOOK_USER");
  b.postmarkPassword = src.get("POSTMARK_WEBHOOK_PASSWORD");
  b.sendgridPublicKey = src.get("SENDGRID_WEBHOOK_PUBLIC_KEY");
  b.webhookMaxAge = src.getInt("WEBHOOK_MAX_AGE_SECONDS", 3600, 1, 30 * 86400);
  return b;
}

}  // namespace

std::map<std::string, std::string> Config::readDotEnv(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("export ", 0) == 0) line = trim(line.substr(7));
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (auto hash = value.find(" #"); hash != std::string::npos) {
      value = trim(value.substr(0, hash));
    }
    out[key] = value;
  }
  return out;
}

Config Config::load() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  Source src(readDotEnv(".env"));
  Config c;
  c.env = src.get("ENV", "development");
  if (c.env != "development" && c.env != "production")
    throw std::runtime_error("ENV must be development or production, got '" + c.env + "'");
  c.dataDir = src.get("DATA_DIR", "./data");
  c.databaseUrl = src.get("DATABASE_URL", "sqlite://" + c.dataDir + "/mailwright.db");
  c.redisUrl = src.get("REDIS_URL", src.get("CACHE_LOCATION"));
  c.bind = src.get("BIND", "127.0.0.1:8000");
  c.baseUrl = src.get("BASE_URL", "http://" + c.bind);
  while (!c.baseUrl.empty() && c.baseUrl.back() == '/') c.baseUrl.pop_back();
  c.emailHost = src.get("EMAIL_HOST", "127.0.0.1");
  c.emailPort = src.getInt("EMAIL_PORT", 25, 1, 65535);
  c.emailUser = src.get("EMAIL_HOST_USER");
  c.emailPassword = src.get("EMAIL_HOST_PASSWORD");
  c.emailUseTls = src.getBool("EMAIL_USE_TLS");
  c.emailUseSsl = src.getBool("EMAIL_USE_SSL");
  if (c.emailUseTls && c.emailUseSsl)
    throw std::runtime_error("EMAIL_USE_TLS and EMAIL_USE_SSL are mutually exclusive");
  c.defaultFromEmail = src.get("DEFAULT_FROM_EMAIL", "mailwright@localhost");
  c.emailTimeout = src.getInt("EMAIL_TIMEOUT", 30, 1, 3600);
  c.sendConcurrency = src.getInt("SEND_CONCURRENCY", 4, 1, 256);
  std::string rate = src.get("SEND_RATE", "0");
  try {
    size_t used = 0;
    c.sendRate = std::stod(rate, &used);
    if (used != rate.size() || c.sendRate < 0) throw std::invalid_argument(rate);
  } catch (const std::exception&) {
    throw std::runtime_error("SEND_RATE must be a number >= 0, got '" + rate + "'");
  }
  c.retryMax = src.getInt("RETRY_MAX", 5, 0, 100);
  c.passwordMinScore = src.getInt("PASSWORD_MIN_SCORE", 3, 0, 4);
  c.retryBaseSeconds = src.getInt("RETRY_BASE_SECONDS", 60, 0, 86400);
  c.workerLeaseSeconds = src.getInt("WORKER_LEASE_SECONDS", 30, 2, 3600);
  c.maxInterruptions = src.getInt("MAX_INTERRUPTIONS", 3, 1, 100);
  c.destinationLimits = src.get("DESTINATION_LIMITS");
  c.emailTlsInsecure = src.getBool("EMAIL_TLS_INSECURE");
  c.trackingMachineSeconds = src.getInt("TRACKING_MACHINE_SECONDS", 10, 0, 86400);
  c.trustedProxies = parseCidrList(src.get("TRUSTED_PROXIES"), "TRUSTED_PROXIES");
  c.purgeIntervalSeconds = src.getInt("PURGE_INTERVAL_SECONDS", 3600, 1, 86400);
  c.logLevel = src.get("LOG_LEVEL", "info");
  if (c.logLevel != "debug" && c.logLevel != "info" && c.logLevel != "warn" &&
      c.logLevel != "error")
    throw std::runtime_error("LOG_LEVEL must be debug, info, warn or error, got '" + c.logLevel +
                             "'");
  std::string format = src.get("LOG_FORMAT", "text");
  if (format != "text" && format != "json")
    throw std::runtime_error("LOG_FORMAT must be text or json, got '" + format + "'");
  c.logJson = format == "json";
  c.shutdownTimeout = src.getInt("SHUTDOWN_TIMEOUT", 20, 1, 3600);
  c.metricsToken = src.get("METRICS_TOKEN");
  c.metricsBind = src.get("METRICS_BIND");
  c.bounces = loadBounces(src);
  c.resourceDir = findResourceDir(src);
  if (src.has("SECRET_KEY")) {
    c.secretKey = src.get("SECRET_KEY");
    if (c.secretKey.size() < 16)
      throw std::runtime_error("SECRET_KEY must be at least 16 characters");
  } else if (c.env == "production") {
    throw std::runtime_error("SECRET_KEY is required when ENV=production");
  } else {
    c.secretKey = loadOrCreateSecret(c.dataDir);
  }
  return c;
}

}  // namespace mw
