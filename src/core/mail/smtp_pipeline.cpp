// SmtpConnection::sendMany: many messages over one connection with as few round trips as the
// server allows (RFC 2920 PIPELINING, RFC 3030 CHUNKING).
#include <deque>

#include "core/mail/smtp.h"

namespace mw::mail {
namespace {

std::string envelopeCommands(const Envelope& e) {
  return "MAIL FROM:<" + envelopeAddress(e.from) + ">\r\nRCPT TO:<" + envelopeAddress(e.to) +
         ">\r\n";
}

bool rcptOk(const SmtpReply& r) {
  return r.code == 250 || r.code == 251;
}

// The first refusal of a transaction: MAIL, else RCPT, else the data reply.
SmtpReply refusal(const SmtpReply& mail, const SmtpReply& rcpt, const SmtpReply& data) {
  if (mail.code != 250) return mail;
  if (!rcptOk(rcpt)) return rcpt;
  return data;
}

// No reply (code 0) or 421: the connection is gone.
bool closed(const SmtpReply& r) {
  return r.code == 0 || r.code == 421;
}

// Every message still without a reply gets `why` (code 0 unless the server said 421).
void failRest(std::vector<SmtpReply>& out, std::size_t n, const SmtpReply& why) {
  SmtpReply r = why.code == 421 ? why : SmtpReply{0, why.text};
  while (out.size() < n) out.push_back(r);
}

}  // namespace

// The next reply, unless the connection is already gone with the previous one.
SmtpReply SmtpConnection::readAfter(const SmtpReply& prev) {
  return closed(prev) ? prev : readReply();
}

void SmtpConnection::answered(std::size_t k, const SmtpReply& r) {
  if (k >= notified_.size() || notified_[k]) return;
  notified_[k] = true;
  if (onReply_) onReply_(k, r);
}

std::vector<SmtpReply> SmtpConnection::sendMany(const std::vector<Envelope>& batch,
                                                const std::function<void()>& beforeEach,
                                                const OnReply& onReply) {
  if (batch.empty()) return {};
  onReply_ = onReply;
  notified_.assign(batch.size(), false);
  std::vector<SmtpReply> out;
  if (!open_) {
    auto r = open();
    if (!open_) out.assign(batch.size(), r);
  }
  if (open_ && pipelining_ && chunking_) {
    out = sendChunks(batch, beforeEach);
  } else if (open_ && pipelining_) {
    out = sendData(batch, beforeEach);
  } else if (open_) {
    for (const auto& e : batch) {
      if (beforeEach) beforeEach();
      out.push_back(send(e.from, e.to, e.bytes));
      answered(out.size() - 1, out.back());
    }
  }
  // The failures of a broken connection are given to every message still unanswered.
  for (std::size_t k = 0; k < out.size(); ++k) answered(k, out[k]);
  onReply_ = {};
  return out;
}

// DATA: the server must answer 354 before the body, so each round trip carries the body and end
// of one message together with the next message's MAIL, RCPT and DATA.
std::vector<SmtpReply> SmtpConnection::sendData(const std::vector<Envelope>& batch,
                                                const std::function<void()>& beforeEach) {
  const std::size_t n = batch.size();
  std::vector<SmtpReply> out;
  out.reserve(n);
  auto group = [&](std::size_t k, bool& rset) {
    if (beforeEach) beforeEach();
    rset = needReset_;
    return (rset ? "RSET\r\n" : "") + envelopeCommands(batch[k]) + "DATA\r\n";
  };
  bool rset = false;
  std::string wire = group(0, rset);
  for (std::size_t i = 0; i < n; ++i) {
    if (!wire.empty() && !write(wire)) {
      failRest(out, n, drop("connection lost while writing"));
      return out;
    }
    if (rset) {
      auto r = readReply();
      if (r.code != 250) {
        failRest(out, n, r.code ? (drop(""), r) : r);
        return out;
      }
      needReset_ = false;
    }
    SmtpReply mr = readReply(), rr = readAfter(mr), dr = readAfter(rr);
    if (closed(dr)) {
      failRest(out, n, dr);
      return out;
    }
    const bool accepted = mr.code == 250 && rcptOk(rr);
    const bool data = dr.code == 354;
    // A refused envelope whose DATA got 354 anyway ends an empty message; one refused before its
    // data may still hold its MAIL FROM, so the next group starts with RSET.
    wire = data ? (accepted ? dataPayload(batch[i].bytes) : std::string(".\r\n")) : "";
    needReset_ = !data;
    rset = false;
    if (i + 1 < n) wire += group(i + 1, rset);
    if (!data) {
      out.push_back(refusal(mr, rr, dr));
      answered(i, out.back());
      continue;
    }
    if (!write(wire)) {
      failRest(out, n, drop("connection lost while sending the message"));
      return out;
    }
    wire.clear();
    auto done = readReply();
    if (closed(done)) {
      failRest(out, n, done);
      return out;
    }
    out.push_back(accepted ? done : refusal(mr, rr, dr));
    answered(i, out.back());
  }
  return out;
}

// BDAT ... LAST needs no 354: up to kChunkWindow whole transactions are written before their
// replies are read. After a refused transaction the next write starts with RSET; messages
// already in flight behind it whose MAIL got 503 (the server still held the refused one's
// MAIL FROM) and were not accepted are sent again after the RSET.
std::vector<SmtpReply> SmtpConnection::sendChunks(const std::vector<Envelope>& batch,
                                                  const std::function<void()>& beforeEach) {
  const std::size_t n = batch.size();
  struct Expect {
    bool rset = false;
    std::size_t k = 0;
  };
  std::vector<SmtpReply> out(n);
  std::vector<bool> replied(n, false);
  std::deque<std::size_t> todo;
  for (std::size_t k = 0; k < n; ++k) todo.push_back(k);
  std::deque<std::size_t> redo;  // sent behind a refused transaction: again, in order
  std::deque<Expect> inflight;
  std::size_t finished = 0;
  bool stale = false;  // a refused transaction ahead, no RSET read since
  auto failUnanswered = [&](const SmtpReply& why) {
    SmtpReply r = why.code == 421 ? why : SmtpReply{0, why.text};
    for (std::size_t k = 0; k < n; ++k)
      if (!replied[k]) out[k] = r;
    return out;
  };
  while (finished < n) {
    std::string wire;
    while ((!redo.empty() || !todo.empty()) && inflight.size() < kChunkWindow) {
      auto& from = redo.empty() ? todo : redo;
      std::size_t k = from.front();
      from.pop_front();
      if (beforeEach) beforeEach();
      if (needReset_) {
        wire += "RSET\r\n";
        inflight.push_back({true, 0});
        needReset_ = false;
      }
      std::string body = crlfPayload(batch[k].bytes);
      wire += envelopeCommands(batch[k]) + "BDAT " + std::to_string(body.size()) + " LAST\r\n";
      wire += body;
      inflight.push_back({false, k});
    }
    if (!wire.empty() && !write(wire)) return failUnanswered(drop("connection lost while writing"));
    Expect e = inflight.front();
    inflight.pop_front();
    if (e.rset) {
      auto r = readReply();
      if (r.code != 250) return failUnanswered(r.code ? (drop(""), r) : r);
      stale = false;
      continue;
    }
    SmtpReply mr = readReply(), rr = readAfter(mr), br = readAfter(rr);
    if (closed(br)) return failUnanswered(br);
    const bool nested = stale && mr.code == 503;
    if ((mr.code == 250 || nested) && rcptOk(rr) && br.code == 250) {
      out[e.k] = br;
    } else if (nested) {
      redo.push_back(e.k);  // never started: send again after the RSET
      continue;
    } else {
      out[e.k] = refusal(mr, rr, br);
      needReset_ = stale = true;
    }
    replied[e.k] = true;
    answered(e.k, out[e.k]);
    ++finished;
  }
  return out;
}

}  // namespace mw::mail
