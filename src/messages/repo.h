#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/db.h"

namespace mw::messages {

struct Message {
  std::int64_t id = 0;
  std::int64_t ownerId = 0;
  std::string ownerName;  // filled for the shared library
  std::string subject;
  std::string bodyText;
  std::string bodyHtml;
  bool shared = false;
  std::int64_t createdAt = 0;
  std::int64_t updatedAt = 0;
};

// All SQL of the messages domain.
class Repo {
 public:
  explicit Repo(db::Conn& c) : c_(c) {}
  std::optional<Message> get(std::int64_t owner, std::int64_t id);
  // The owner's message, or any shared one (read-only use).
  std::optional<Message> readable(std::int64_t user, std::int64_t id);
  std::vector<Message> list(std::int64_t owner, const std::string& search, int offset, int limit);
  std::int64_t count(std::int64_t owner, const std::string& search);
  std::vector<Message> shared(std::int64_t exceptOwner, const std::string& search, int offset,
                              int limit);
  std::int64_t countShared(std::int64_t exceptOwner, const std::string& search);
  std::vector<Message> all(std::int64_t owner);
  std::int64_t create(const Message& m);
  bool update(const Message& m);
  bool remove(std::int64_t owner, std::int64_t id);
  // Any message by id, without owner check: for the sender, which acts for the mailing's owner.
  std::optional<Message> byIdForDelivery(std::int64_t id);

 private:
  db::Conn& c_;
};

}  // namespace mw::messages
