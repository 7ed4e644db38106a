#include "core/rate_window.h"

#include <algorithm>
#include <cctype>
#include <thread>

namespace mw {

double RateWindow::now() {
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

double RateWindow::record(double now, double at) {
  if (unlimited()) return 0;
  std::lock_guard lock(mutex_);
  if (static_cast<std::int64_t>(times_.size()) >= count_) {
    // The age, not begin + seconds_ <= now: the same subtraction a check of the log makes.
    double oldest = *times_.begin();
    if (oldest == kPending) return seconds_;
    double age = now - oldest;
    if (age < seconds_) return seconds_ - age;
    times_.erase(times_.begin());
  }
  times_.insert(at);
  return 0;
}

double RateWindow::take() {
  while (true) {
    double at = now();
    double wait = tryTake(at);
    if (wait <= 0) return at;
    std::this_thread::sleep_for(std::chrono::duration<double>(wait));
  }
}

// An event in flight settles within milliseconds: look again soon rather than sleep `seconds`.
void RateWindow::takePending() {
  while (true) {
    double wait = tryTakePending(now());
    if (wait <= 0) return;
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(wait, 0.005)));
  }
}

void RateWindow::settle(double now) {
  if (unlimited()) return;
  std::lock_guard lock(mutex_);
  auto it = times_.find(kPending);
  if (it == times_.end()) return;
  times_.erase(it);
  times_.insert(now);
}

std::int64_t RateWindow::inWindow(double now) {
  std::lock_guard lock(mutex_);
  std::int64_t n = 0;
  for (auto it = times_.rbegin(); it != times_.rend() && *it > now - seconds_; ++it) ++n;
  return n;
}

std::optional<Rate> parseRate(const std::string& text) {
  if (text.empty() || text == "0") return Rate{};
  auto slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash > 9) return std::nullopt;
  std::int64_t n = 0;
  for (std::size_t i = 0; i < slash; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    n = n * 10 + (text[i] - '0');
  }
  std::string unit = text.substr(slash + 1);
  std::int64_t k = 1;
  if (unit.size() > 1 && unit.back() == 's') {
    std::string digits = unit.substr(0, unit.size() - 1);
    if (digits.size() > 7) return std::nullopt;
    k = 0;
    for (char ch : digits) {
      if (!std::isdigit(static_cast<unsigned char>(ch))) return std::nullopt;
      k = k * 10 + (ch - '0');
    }
    if (k == 0) return std::nullopt;
    unit = "s";
  }
  static const std::pair<const char*, std::int64_t> units[] = {
      {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
  for (auto [u, secs] : units)
    if (unit == u) return n == 0 ? Rate{} : Rate{n, secs * k};
  return std::nullopt;
}

std::string rateText(const Rate& r) {
  if (r.count <= 0) return "";
  std::string n = std::to_string(r.count) + "/";
  if (r.seconds == 86400) return n + "d";
  if (r.seconds == 3600) return n + "h";
  if (r.seconds == 60) return n + "m";
  if (r.seconds == 1) return n + "s";
  return n + std::to_string(r.seconds) + "s";
}

}  // namespace mw
