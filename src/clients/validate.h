#pragma once
#include <map>
#include <string>

#include "clients/repo.h"

namespace mw::clients {

std::string normalizeEmail(const std::string& email);
// field -> translation key of its problem; empty when valid. Uniqueness is checked apart.
std::map<std::string, std::string> validate(const Client& c);

}  // namespace mw::clients
