// zxcvbn scores and the password rules of users/password.
#include "users/password.h"

#include <gtest/gtest.h>

namespace mw::users {
namespace {

TEST(PasswordRules, ScoresFollowZxcvbn) {
  EXPECT_LT(passwordScore("password"), 2);
  EXPECT_LT(passwordScore("password123"), 3);
  EXPECT_LT(passwordScore("qwerty123456"), 3);
  EXPECT_GE(passwordScore("Lodka-Vesna-Kompot-2026"), 4);
}

TEST(PasswordRules, RulesAndReasons) {
  EXPECT_EQ(checkPassword("", 3), "error_required");
  EXPECT_EQ(checkPassword("Ab1!", 3), "error_password_short");
  EXPECT_EQ(checkPassword("password", 3), "error_password_common");
  EXPECT_EQ(checkPassword("qwerty123456", 3), "error_password_weak");
  EXPECT_EQ(checkPassword("12345678", 3), "error_password_common");
  EXPECT_EQ(checkPassword("Lodka-Vesna-Kompot-2026", 3), "");
  auto words = relatedWords("vesna.lodka@example.com", "kompot", "Анна Петрова");
  EXPECT_EQ(checkPassword("vesna.lodka-1984!", 3, words), "error_password_similar");
  EXPECT_EQ(checkPassword("My-Kompot-Is-Cold", 3, words), "error_password_similar");
  EXPECT_EQ(checkPassword("ПЕТРОВА-навсегда-77", 3, words), "error_password_similar");
  EXPECT_EQ(checkPassword("12345678", 0), "");  // PASSWORD_MIN_SCORE=0 takes anything long enough
}

}  // namespace
}  // namespace mw::users
