#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/db.h"

namespace mw::clients {

struct Client {
  std::int64_t id = 0;
  std::int64_t ownerId = 0;
  std::string email;
  std::string fullName;
  std::string comment;
  std::optional<std::int64_t> unsubscribedAt;
  std::optional<std::int64_t> resubscribedAt;
  std::optional<std::int64_t> resubscribedBy;
  std::optional<std::int64_t> stoppedAt;  // issue 13: by a hard bounce or a complaint
  std::string stoppedReason;              // "bounced", "complained" or ""
  std::int64_t createdAt = 0;
  // active, unsubscribed, bounced or complained (a stop outranks an unsubscription).
  std::string status() const {
    if (stoppedAt) return stoppedReason;
    return unsubscribedAt ? "unsubscribed" : "active";
  }
  std::int64_t updatedAt = 0;
};

// What the list shows and a bulk action applies to: search text, members of a group (0: any),
// status ("", "active", "unsubscribed", "bounced", "complained").
struct ClientFilter {
  std::string q;
  std::int64_t groupId = 0;
  std::string status;
};

// The owner's clients a filter matches, for statements of this domain that act on them all:
// `from` is "FROM ... WHERE ..." (the client is `clients`) whose placeholders $1..$5 are
// `params`; a statement adds its own from $6. A list orders by `key` (DESC), the order the
// walk follows.
struct FilterSql {
  std::string from;
  db::Params params;
  std::string key;
};
FilterSql filterSql(db::Conn& c, std::int64_t owner, const ClientFilter& f);
// The statuses a filter takes besides "" (every client).
bool knownStatus(const std::string& status);

struct ImportRow {
  int line = 0;
  std::string email;
  std::string fullName;
  std::string comment;
};

// All SQL of the clients domain; every query is scoped to its owner.
class Repo {
 public:
  explicit Repo(db::Conn& c) : c_(c) {}

  std::optional<Client> get(std::int64_t owner, std::int64_t id);
  // group > 0 keeps the members of that group (the caller checks that the owner has it);
  // status "active" or "unsubscribed" keeps those, "" every client.
  std::vector<Client> list(std::int64_t owner, const std::string& search, int offset, int limit,
                           std::int64_t group = 0, const std::string& status = "");
  std::int64_t count(std::int64_t owner, const std::string& search, std::int64_t group = 0,
                     const std::string& status = "");
  // The same filter by keyset: the next `limit` clients below id beforeId (0: from the newest),
  // newest first; a chunk costs the same at the end of a million as at the start.
  std::vector<Client> before(std::int64_t owner, const std::string& search, std::int64_t beforeId,
                             int limit, std::int64_t group = 0, const std::string& status = "");
  // count(), but stops at cap: the page's count of a million clients costs what 10,000 do.
  std::int64_t countUpTo(std::int64_t owner, const std::string& search, std::int64_t group,
                         const std::string& status, std::int64_t cap);
  std::vector<Client> all(std::int64_t owner);
  std::vector<Client> byIds(std::int64_t owner, const std::vector<std::int64_t>& ids);
  bool emailTaken(std::int64_t owner, const std::string& email, std::int64_t exceptId = 0);
  std::int64_t create(const Client& c);
  bool update(const Client& c);  // false when not found for that owner
  // The owner's clients of these ids (others' are left alone); how many went.
  std::size_t removeMany(std::int64_t owner, const std::vector<std::int64_t>& ids);
  // Inserts rows whose email the owner does not have yet; returns how many were inserted.
  std::int64_t insertMany(std::int64_t owner, const std::vector<ImportRow>& rows);
  bool unsubscribe(std::int64_t clientId);
  // Issue 13: no more mail from its owner to this client ("bounced" or "complained"); the first
  // reason stays. False when it was already stopped or is not the owner's.
  bool stop(std::int64_t owner, std::int64_t clientId, const std::string& reason, std::int64_t at);
  bool resubscribe(std::int64_t owner, std::int64_t clientId, std::int64_t by);
  std::int64_t uniqueEmails(std::optional<std::int64_t> owner);

 private:
  db::Conn& c_;
};

}  // namespace mw::clients
