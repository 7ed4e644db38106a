#include "bounces/mailbox.h"

#include <Poco/Exception.h>

#include <ctime>
#include <iostream>

#include "bounces/inbound.h"
#include "bounces/parse.h"
#include "bounces/record.h"
#include "core/mail/pop3.h"

namespace mw::bounces {
namespace {

constexpr int kMaxMessageBytes = 10 * 1024 * 1024;  // a DSN returns at most the message's size
constexpr int kMaxPerPass = 500;

}  // namespace

PollResult pollMailbox(const Config& cfg, db::Database& db, const MailRoad& road) {
  PollResult result;
  auto settings = mail::parsePop3Url(cfg.bounces.mailbox);
  if (!settings) return result;
  mail::Pop3Mailbox box(*settings);
  auto c = db.conn();
  Store store(c, cfg.bounces);
  std::vector<PauseNotice> paused;
  int seen = 0;
  for (const auto& m : box.list()) {
    if (++seen > kMaxPerPass) break;
    if (m.size > kMaxMessageBytes) {
      box.remove(m.id);
      ++result.unmatched;
      continue;
    }
    auto raw = box.retrieve(m.id);
    ++result.read;
    auto report = parseReport(raw);
    try {
      auto r = handleReport(store, cfg, report, static_cast<std::int64_t>(std::time(nullptr)));
      result.recorded += r.recorded ? 1 : 0;
      result.unmatched += r.matched ? 0 : 1;
      paused.insert(paused.end(), r.paused.begin(), r.paused.end());
      box.remove(m.id);
    } catch (const Poco::Exception& e) {
      std::cerr << "bounces: message " << m.id << " kept: " << e.displayText() << "\n";
    }
  }
  box.close();
  notifyPaused(cfg, c, paused, road);
  return result;
}

MailboxPoller::MailboxPoller(const Config& cfg, db::Database& db, MailRoad road)
    : cfg_(cfg), db_(db), road_(std::move(road)) {}

MailboxPoller::~MailboxPoller() {
  stop();
}

void MailboxPoller::start() {
  if (cfg_.bounces.mailbox.empty() || thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    while (true) {
      try {
        auto r = pollMailbox(cfg_, db_, road_);
        if (r.read)
          std::cerr << "bounces: mailbox: " << r.read << " read, " << r.recorded << " recorded, "
                    << r.unmatched << " unmatched\n";
      } catch (const Poco::Exception& e) {
        std::cerr << "bounces: mailbox: " << e.displayText() << "\n";
      } catch (const std::exception& e) {
        std::cerr << "bounces: mailbox: " << e.what() << "\n";
      }
      std::unique_lock lock(mutex_);
      if (cv_.wait_for(lock, std::chrono::seconds(cfg_.bounces.pollSeconds),
                       [this] { return stopping_; }))
        return;
    }
  });
}

void MailboxPoller::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mw::bounces
