// Small helpers shared by the benchmarks (header-only: every bench/*.cpp is its own program).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace mw::bench {

inline double seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

inline void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// "VmHWM:   12345 kB" of /proc/PID/status in kB; 0 when the process is gone.
inline long vmHwmKb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

// Repeats of a measurement: MW_BENCH_REPEAT, default def.
inline int repeats(int def) {
  const char* v = std::getenv("MW_BENCH_REPEAT");
  return v && std::atoi(v) > 0 ? std::atoi(v) : def;
}

}  // namespace mw::bench
