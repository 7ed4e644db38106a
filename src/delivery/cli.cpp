#include "delivery/cli.h"

#include <ctime>
#include <iostream>

namespace mw::delivery {

int sendCommand(Engine& engine, const app::Args& args) {
  if (args.positional.size() != 1) {
    std::cerr << "error: usage: mailwright send MAILING_ID\n";
    return 2;
  }
  std::int64_t id = 0;
  try {
    size_t used = 0;
    id = std::stoll(args.positional[0], &used);
    if (used != args.positional[0].size() || id <= 0) throw std::invalid_argument("id");
  } catch (const std::exception&) {
    std::cerr << "error: MAILING_ID must be a positive integer, got '" << args.positional[0]
              << "'\n";
    return 2;
  }
  std::int64_t run = engine.sendNow(id);
  engine.drain(run, true);
  auto s = engine.summary(run);
  std::cout << "mailing " << id << ": run " << s.runId << ", " << s.total << " recipients, "
            << s.sent << " sent, " << s.failed << " failed\n";
  return s.failed > 0 ? 1 : 0;
}

int sendDueCommand(Engine& engine) {
  int started = engine.scheduleDue(static_cast<std::int64_t>(std::time(nullptr)));
  engine.drain(std::nullopt, false);
  std::cout << "mailings started: " << started << "\n";
  return 0;
}

}  // namespace mw::delivery
