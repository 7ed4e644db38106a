#pragma once
#include <map>
#include <string>

#include "mailings/repo.h"

namespace mw::mailings {

// field -> translation key; ownership of message and clients is checked by the caller.
std::map<std::string, std::string> validate(const Mailing& m);

}  // namespace mw::mailings
