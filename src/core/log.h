#pragma once
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace mw::log {

// One line per event on stderr: `2026-12-02T06:45:31.123Z info access ip=... status=200`, or with
// LOG_FORMAT=json one JSON object a line. Below LOG_LEVEL nothing is written. Values are quoted
// and escaped, so no input can start a line of its own.
enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

// Set once by main from the configuration, before any thread starts.
void configure(Level level, bool json);
bool enabled(Level level);
// "debug" | "info" | "warn" | "error"; throws std::invalid_argument otherwise.
Level parseLevel(const std::string& name);

using Field = std::pair<std::string_view, std::string_view>;
void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

inline void info(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::info, event, fields);
}
inline void warn(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::warn, event, fields);
}
inline void error(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::error, event, fields);
}

// Writes out the lines still waiting (they leave within 50 ms anyway, and at exit).
void flush();

// The formatting, apart for tests.
std::string format(Level level, std::string_view event, std::initializer_list<Field> fields,
                   bool json, long long epochMillis);

}  // namespace mw::log
