#pragma once
#include <string>
#include <vector>

namespace mw::users {

// zxcvbn's score (0 too guessable … 4 very unguessable) from the C library's entropy in bits,
// with the thresholds of the reference implementation (10^3, 10^6, 10^8, 10^10 guesses).
// `related` (the email, its local part, the username, the name) count as known words.
int passwordScore(const std::string& password, const std::vector<std::string>& related = {});

// The translation key of what is wrong with a new password, "" when it is acceptable:
// required, too short/long, similar to the email or username, a common word, or weak.
std::string checkPassword(const std::string& password, int minScore,
                          const std::vector<std::string>& related = {});

// The user's identifiers a password must not resemble: email, its local part, username, name.
std::vector<std::string> relatedWords(const std::string& email, const std::string& username,
                                      const std::string& name = "");

}  // namespace mw::users
