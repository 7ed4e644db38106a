#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clients/repo.h"
#include "core/db.h"

namespace mw::clients {

struct Group {
  std::int64_t id = 0;
  std::int64_t ownerId = 0;
  std::string name;
  std::string description;
  std::int64_t clientsCount = 0;
  std::int64_t createdAt = 0;
  std::int64_t updatedAt = 0;
};

// SQL of recipient groups and their members; every query is scoped to the owner.
class GroupRepo {
 public:
  explicit GroupRepo(db::Conn& c) : c_(c) {}

  std::optional<Group> get(std::int64_t owner, std::int64_t id);
  std::vector<Group> list(std::int64_t owner, int offset, int limit);
  std::int64_t count(std::int64_t owner);
  bool nameTaken(std::int64_t owner, const std::string& name, std::int64_t exceptId = 0);
  std::int64_t create(const Group& g);
  bool update(const Group& g);
  bool remove(std::int64_t owner, std::int64_t id);
  // How many of ids (distinct) are the owner's clients.
  std::int64_t ownedClients(std::int64_t owner, const std::vector<std::int64_t>& ids);
  // Adds/removes the owner's clients among ids; returns how many memberships changed.
  std::int64_t addMembers(std::int64_t owner, std::int64_t group,
                          const std::vector<std::int64_t>& ids);
  std::int64_t removeMembers(std::int64_t owner, std::int64_t group,
                             const std::vector<std::int64_t>& ids);
  // Puts the owner's clients with these emails into the group (after an import).
  void addByEmails(std::int64_t owner, std::int64_t group, const std::vector<std::string>& emails);
  // Adds/removes every client of the owner the filter matches, in one statement.
  std::int64_t addMatching(std::int64_t owner, std::int64_t group, const ClientFilter& f);
  std::int64_t removeMatching(std::int64_t owner, std::int64_t group, const ClientFilter& f);

 private:
  db::Conn& c_;
};

}  // namespace mw::clients
