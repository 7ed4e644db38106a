// Erasure of a client's address from the owner's sending history (issue 12: deletion requests
// under 152-ФЗ and the GDPR). By client id and, for rows of clients deleted earlier, by address.
#include "delivery/queue.h"

namespace mw::delivery {

void Queue::eraseAddress(std::int64_t owner, std::int64_t clientId, const std::string& email,
                         const std::string& alias) {
  c_.exec(
      "UPDATE deliveries\n"
      "SET email = $4, name = ''\n"
      "WHERE owner_id = $1\n"
      "  AND (client_id = $2 OR LOWER(email) = LOWER($3))",
      {owner, clientId, email, alias});
  c_.exec(
      "UPDATE attempts\n"
      "SET email = $4, reply = REPLACE(reply, $3, $4)\n"
      "WHERE owner_id = $1\n"
      "  AND (client_id = $2 OR LOWER(email) = LOWER($3))",
      {owner, clientId, email, alias});
}

}  // namespace mw::delivery
