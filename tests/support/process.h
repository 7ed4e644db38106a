// Temporary directories, free ports and child processes for tests.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace mw::test {

// A fresh directory under /tmp, removed with everything in it at scope exit
// (kept when MW_KEEP_TMP=1, for debugging).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string file(const std::string& name) const;

 private:
  std::string path_;
};

// A loopback TCP port that was free a moment ago.
int freePort();
// Returns once something accepts connections on the loopback port; throws after 10 s.
void waitForPort(int port, const std::string& what);

// The p-quantile (0..1) of the samples, by rank; 0 for none.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// The most events (times in seconds) within any `seconds`-long stretch.
inline int busiest(std::vector<double> times, double seconds) {
  std::sort(times.begin(), times.end());
  int most = 0;
  for (std::size_t i = 0, j = 0; j < times.size(); ++j) {
    while (times[j] - times[i] >= seconds) ++i;
    most = std::max(most, static_cast<int>(j - i + 1));
  }
  return most;
}

using Env = std::map<std::string, std::string>;

struct ProcessResult {
  int exitCode = -1;  // exit status; 128+N when killed by signal N; -1 on timeout
  std::string out;
  std::string err;
  bool timedOut = false;
};

// Runs argv[0] (searched in PATH) with the current environment plus `env`, feeding stdinData,
// and collects its output. Killed (with its process group) after timeoutSeconds.
ProcessResult runProcess(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
                         std::string stdinData = "", int timeoutSeconds = 60);

// A long-running child in its own process group; stdout and stderr go to logPath.
// Killed with SIGKILL when destroyed while still running.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const Env& env, const std::string& logPath);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Exit code as in ProcessResult, once it has exited.
  int exitCode() const { return exitCode_; }
  // SIGTERM, wait up to graceSeconds, then SIGKILL. Returns the exit code.
  int terminate(int graceSeconds = 10);
  int kill9();
  // Waits up to timeoutSeconds for it to exit by itself; true if it did.
  bool waitExit(int timeoutSeconds);
  std::string log() const;

 private:
  pid_t pid_ = -1;
  int exitCode_ = -1;
  std::string logPath_;
};

// Environment variable (if set and non-empty) or fallback.
std::string envOr(const std::string& name, const std::string& fallback = "");
// The Debian python3 (which has python3-aiosmtpd), not whatever python3 is first on PATH:
// $MW_PYTHON, else /usr/bin/python3 if present, else "python3".
std::string python();
// Repository root: $MW_SOURCE_DIR, else the compile-time MW_SOURCE_DIR.
std::string sourceDir();
std::string readFile(const std::string& path);
// Last maxLines lines of text.
std::string tail(const std::string& text, int maxLines = 40);

}  // namespace mw::test
