#pragma once
#include <map>
#include <string>

#include "mailings/repo.h"

namespace mw::mailings {

// field -> translation key; ownership of message and clients is checked by the caller.
// Dates as a whole: the end after the start and, for a new mailing (id 0), not already past at
// `now` (0: not checked); each date problem is one message on end_at.
std::map<std::string, std::string> validate(const Mailing& m, std::int64_t now = 0);

}  // namespace mw::mailings
