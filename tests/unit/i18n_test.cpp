// Plural forms from the real locale files: Russian one/few/many, English one/other.
#include "core/i18n.h"

#include <gtest/gtest.h>

#include "process.h"

namespace mw {
namespace {

TEST(I18n, RussianPluralCategories) {
  const std::pair<long long, const char*> cases[] = {
      {0, "many"},   {1, "one"},    {2, "few"},   {4, "few"},   {5, "many"},  {11, "many"},
      {12, "many"},  {14, "many"},  {21, "one"},  {22, "few"},  {25, "many"}, {101, "one"},
      {111, "many"}, {112, "many"}, {122, "few"}, {1001, "one"}};
  for (auto [n, cat] : cases) EXPECT_EQ(I18n::pluralCategory("ru", n), cat) << n;
  EXPECT_EQ(I18n::pluralCategory("en", 1), "one");
  EXPECT_EQ(I18n::pluralCategory("en", 0), "other");
  EXPECT_EQ(I18n::pluralCategory("en", 21), "other");
}

TEST(I18n, PluralTextsFromTheLocaleFiles) {
  I18n i18n(test::sourceDir() + "/locales");
  EXPECT_EQ(i18n.plural("ru", "article_views", 1), "просмотр");
  EXPECT_EQ(i18n.plural("ru", "article_views", 3), "просмотра");
  EXPECT_EQ(i18n.plural("ru", "article_views", 5), "просмотров");
  EXPECT_EQ(i18n.plural("ru", "article_views", 21), "просмотр");
  EXPECT_EQ(i18n.plural("ru", "recipients", 3), "3 получателя");
  EXPECT_EQ(i18n.plural("ru", "recipients", 11), "11 получателей");
  EXPECT_EQ(i18n.plural("en", "article_views", 1), "view");
  EXPECT_EQ(i18n.plural("en", "recipients", 2), "2 recipients");
}

TEST(I18n, EveryRussianPluralHasAllForms) {
  I18n i18n(test::sourceDir() + "/locales");
  for (const auto& [key, text] : i18n.table("ru")) {
    auto us = key.rfind("_one");
    if (us == std::string::npos || us + 4 != key.size()) continue;
    std::string base = key.substr(0, us);
    for (const char* form : {"_few", "_many", "_other"})
      EXPECT_TRUE(i18n.table("ru").count(base + form)) << base + form;
  }
}

}  // namespace
}  // namespace mw
