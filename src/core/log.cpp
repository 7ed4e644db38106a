#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace mw::log {
namespace {

// Process-wide by nature (every thread logs); written once at start, read with relaxed loads.
std::atomic<int> gLevel{static_cast<int>(Level::info)};
std::atomic<bool> gJson{false};

const char* levelName(Level l) {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

void jsonString(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char ch : s) {
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (ch < 0x20 || ch == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", ch);
          out += buf;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  out += '"';
}

// Bare when it is one plain word, else a JSON-style quoted string (no raw control characters).
void textValue(std::string& out, std::string_view s) {
  bool plain = !s.empty();
  for (unsigned char ch : s)
    if (ch <= ' ' || ch == '"' || ch == '\\' || ch == '=' || ch == 0x7f) plain = false;
  if (plain)
    out += s;
  else
    jsonString(out, s);
}

std::string timestamp(long long ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int the format could print, so GCC sees no truncation
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

void writeAll(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(STDERR_FILENO, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log: nothing better to do
    done += static_cast<std::size_t>(n);
  }
}

// Lines wait at most 50 ms (or until 64 KB) and leave in one write: a write per line to the
// unbuffered stderr, under its lock, cost ~6% of a cached page's CPU at 30,000 requests/s (perf:
// the write and the lock's futex). A warning or an error leaves at once, with the lines before
// it; what waits is written at exit too (atexit), so only a kill -9 loses up to 50 ms of lines.
class Sink {
 public:
  static Sink& get() {
    static Sink* sink = new Sink;  // never destroyed: threads may log while the process exits
    return *sink;
  }
  void add(const std::string& line, bool now) {
    std::unique_lock lock(mutex_);
    pending_ += line;
    if (now || pending_.size() >= 64 * 1024) return writeOut(lock);
    if (!flusher_.joinable()) flusher_ = std::thread([this] { run(); });
  }
  void flush() {
    std::unique_lock lock(mutex_);
    writeOut(lock);
  }

 private:
  Sink() {
    std::atexit([] { Sink::get().flush(); });
  }
  // Under the lock, so that lines keep their order between threads.
  void writeOut(std::unique_lock<std::mutex>&) {
    if (pending_.empty()) return;
    writeAll(pending_);
    pending_.clear();
  }
  [[noreturn]] void run() {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      flush();
    }
  }
  std::mutex mutex_;
  std::string pending_;
  std::thread flusher_;
};

}  // namespace

void configure(Level level, bool json) {
  gLevel = static_cast<int>(level);
  gJson = json;
}

bool enabled(Level level) {
  return static_cast<int>(level) >= gLevel.load(std::memory_order_relaxed);
}

Level parseLevel(const std::string& name) {
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "warn" || name == "warning") return Level::warn;
  if (name == "error") return Level::error;
  throw std::invalid_argument(name);
}

std::string format(Level level, std::string_view event, std::initializer_list<Field> fields,
                   bool json, long long epochMillis) {
  std::string out;
  if (json) {
    out += "{\"ts\":\"" + timestamp(epochMillis) + "\",\"level\":\"" + levelName(level) +
           "\",\"event\":";
    jsonString(out, event);
    for (const auto& [k, v] : fields) {
      out += ',';
      jsonString(out, k);
      out += ':';
      jsonString(out, v);
    }
    out += "}\n";
    return out;
  }
  out += timestamp(epochMillis);
  out += ' ';
  out += levelName(level);
  out += ' ';
  textValue(out, event);
  for (const auto& [k, v] : fields) {
    out += ' ';
    out += k;
    out += '=';
    textValue(out, v);
  }
  out += '\n';
  return out;
}

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::string line = format(level, event, fields, gJson.load(std::memory_order_relaxed), ms);
  Sink::get().add(line, level >= Level::warn);
}

void flush() {
  Sink::get().flush();
}

}  // namespace mw::log
