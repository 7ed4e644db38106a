#include "core/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>

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
  // One fwrite per line: lines of concurrent threads never interleave (stderr is unbuffered).
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace mw::log
