// Log lines: one per event whatever the values hold, in text and in JSON.
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "core/log.h"

using mw::log::format;
using mw::log::Level;

TEST(Log, TextLineQuotesValuesThatCouldForgeAnotherLine) {
  auto line = format(Level::info, "access",
                     {{"path", "/x\r\n2026-01-01T00:00:00.000Z error forged"}, {"ip", "1.2.3.4"}},
                     false, 1764657931123);
  EXPECT_EQ(line,
            "2025-12-02T06:45:31.123Z info access "
            "path=\"/x\\r\\n2026-01-01T00:00:00.000Z error forged\" ip=1.2.3.4\n");
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(Log, EmptyAndSpacedValuesAreQuoted) {
  auto line = format(Level::warn, "x", {{"a", ""}, {"b", "two words"}, {"c", "k=v"}}, false, 0);
  EXPECT_EQ(line, "1970-01-01T00:00:00.000Z warn x a=\"\" b=\"two words\" c=\"k=v\"\n");
}

TEST(Log, JsonLineParsesBackToTheSameFields) {
  std::string nasty = "\"quoted\"\\ \x01 \n\tтекст";
  auto line = format(Level::error, "request failed", {{"error", nasty}, {"req", "abc"}}, true, 0);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto o = Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(o->getValue<std::string>("level"), "error");
  EXPECT_EQ(o->getValue<std::string>("event"), "request failed");
  EXPECT_EQ(o->getValue<std::string>("error"), nasty);
  EXPECT_EQ(o->getValue<std::string>("ts"), "1970-01-01T00:00:00.000Z");
}

TEST(Log, LevelsFilterAndParse) {
  EXPECT_EQ(mw::log::parseLevel("warn"), Level::warn);
  EXPECT_THROW(mw::log::parseLevel("loud"), std::invalid_argument);
  mw::log::configure(Level::warn, false);
  EXPECT_FALSE(mw::log::enabled(Level::info));
  EXPECT_TRUE(mw::log::enabled(Level::error));
  mw::log::configure(Level::info, false);
}
