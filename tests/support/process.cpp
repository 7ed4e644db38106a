#include "process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace mw::test {
namespace {

using Clock = std::chrono::steady_clock;

std::runtime_error sysError(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

// Owns the "K=V" strings and the null-terminated pointer arrays that exec needs.
struct ExecArgs {
  std::vector<std::string> argv, envp;
  std::vector<char*> argvPtrs, envpPtrs;

  ExecArgs(const std::vector<std::string>& args, const Env& overrides) : argv(args) {
    if (argv.empty()) throw std::invalid_argument("empty argv");
    Env merged;
    for (char** e = environ; *e; ++e) {
      std::string kv = *e;
      auto eq = kv.find('=');
      if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& [k, v] : overrides) merged[k] = v;
    for (const auto& [k, v] : merged) envp.push_back(k + "=" + v);
    for (auto& s : argv) argvPtrs.push_back(s.data());
    argvPtrs.push_back(nullptr);
    for (auto& s : envp) envpPtrs.push_back(s.data());
    envpPtrs.push_back(nullptr);
  }
};

// A child closing its stdin early must not kill the test process.
void ignoreSigpipe() {
  static const bool done = [] {
    signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

int decodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void execChild(ExecArgs& args) {
  setpgid(0, 0);
  signal(SIGPIPE, SIG_DFL);
  execvpe(args.argvPtrs[0], args.argvPtrs.data(), args.envpPtrs.data());
  const char msg[] = "exec failed\n";
  ssize_t ignored = write(2, msg, sizeof msg - 1);
  (void)ignored;
  _exit(127);
}

void reap(pid_t pid, int& status) {
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

TempDir::TempDir() {
  char tmpl[] = "/tmp/mwtest-XXXXXX";
  if (!mkdtemp(tmpl)) throw sysError("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (envOr("MW_KEEP_TMP") == "1") return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::file(const std::string& name) const {
  return path_ + "/" + name;
}

int freePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw sysError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw sysError("freePort");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

void waitForPort(int port, const std::string& what) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  for (int i = 0; i < 200; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw sysError("socket");
    bool up = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (up) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error(what + " did not listen on port " + std::to_string(port));
}

ProcessResult runProcess(std::vector<std::string> argv, std::map<std::string, std::string> env,
                         std::string stdinData, int timeoutSeconds) {
  ignoreSigpipe();
  ExecArgs args(argv, env);
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    throw sysError("pipe");
  pid_t pid = fork();
  if (pid < 0) throw sysError("fork");
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execChild(args);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  int inFd = in[1], outFd = out[0], errFd = err[0];
  fcntl(inFd, F_SETFL, O_NONBLOCK);
  if (stdinData.empty()) {
    close(inFd);
    inFd = -1;
  }

  ProcessResult result;
  size_t written = 0;
  auto deadline = Clock::now() + std::chrono::seconds(timeoutSeconds);
  while (outFd >= 0 || errFd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      result.timedOut = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
    pollfd fds[3];
    int n = 0;
    if (outFd >= 0) fds[n++] = {outFd, POLLIN, 0};
    if (errFd >= 0) fds[n++] = {errFd, POLLIN, 0};
    if (inFd >= 0) fds[n++] = {inFd, POLLOUT, 0};
    int r = poll(fds, n, static_cast<int>(std::min<long>(left.count(), 1000)));
    if (r < 0 && errno != EINTR) throw sysError("poll");
    for (int i = 0; i < n && r > 0; ++i) {
      if (!fds[i].revents) continue;
      int fd = fds[i].fd;
      if (fd == inFd) {
        ssize_t w = write(fd, stdinData.data() + written, stdinData.size() - written);
        if (w > 0) written += w;
        if (w < 0 && errno != EAGAIN) written = stdinData.size();  // child closed its stdin
        if (written == stdinData.size()) {
          close(inFd);
          inFd = -1;
        }
        continue;
      }
      char buf[65536];
      ssize_t got = read(fd, buf, sizeof buf);
      if (got > 0) {
        (fd == outFd ? result.out : result.err).append(buf, got);
      } else if (got == 0 || errno != EINTR) {
        close(fd);
        (fd == outFd ? outFd : errFd) = -1;
      }
    }
  }
  for (int fd : {inFd, outFd, errFd})
    if (fd >= 0) close(fd);
  int status = 0;
  reap(pid, status);
  result.exitCode = result.timedOut ? -1 : decodeStatus(status);
  return result;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const Env& env,
                           const std::string& logPath)
    : logPath_(logPath) {
  ignoreSigpipe();
  ExecArgs args(argv, env);
  int logFd = open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (logFd < 0) throw sysError("open " + logPath);
  int nullFd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_ = fork();
  if (pid_ < 0) throw sysError("fork");
  if (pid_ == 0) {
    dup2(nullFd, 0);
    dup2(logFd, 1);
    dup2(logFd, 2);
    execChild(args);
  }
  close(logFd);
  close(nullFd);
}

ChildProcess::~ChildProcess() {
  kill9();
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
  exitCode_ = decodeStatus(status);
  kill(-pid_, SIGKILL);  // leftovers of its process group
  pid_ = -1;
  return false;
}

bool ChildProcess::waitExit(int timeoutSeconds) {
  auto deadline = Clock::now() + std::chrono::seconds(timeoutSeconds);
  while (running()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

int ChildProcess::terminate(int graceSeconds) {
  if (!running()) return exitCode_;
  kill(pid_, SIGTERM);
  if (!waitExit(graceSeconds)) kill9();
  return exitCode_;
}

int ChildProcess::kill9() {
  if (!running()) return exitCode_;
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  int status = 0;
  reap(pid_, status);
  exitCode_ = decodeStatus(status);
  pid_ = -1;
  return exitCode_;
}

std::string ChildProcess::log() const {
  return readFile(logPath_);
}

std::string envOr(const std::string& name, const std::string& fallback) {
  const char* v = std::getenv(name.c_str());
  return v && *v ? v : fallback;
}

std::string python() {
  std::string configured = envOr("MW_PYTHON");
  if (!configured.empty()) return configured;
  return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

std::string sourceDir() {
  return envOr("MW_SOURCE_DIR", MW_SOURCE_DIR);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tail(const std::string& text, int maxLines) {
  size_t end = text.size();
  if (end && text[end - 1] == '\n') --end;
  size_t pos = end;
  for (int i = 0; i < maxLines; ++i) {
    if (pos == 0) return text;
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

}  // namespace mw::test
