// The in-process cache: expiry, namespaces, and eviction that never revives stale entries.
#include "core/cache.h"

#include <gtest/gtest.h>

#include <thread>

namespace {

TEST(MemoryCache, BumpMakesEveryKeyOfTheNamespaceUnreachable) {
  mw::MemoryCache c;
  c.set(c.key("blog", "list"), "old", 300);
  c.set(c.key("other", "list"), "kept", 300);
  EXPECT_EQ(c.get(c.key("blog", "list")), "old");
  c.bump("blog");
  EXPECT_FALSE(c.get(c.key("blog", "list")));
  EXPECT_EQ(c.get(c.key("other", "list")), "kept");
}

TEST(MemoryCache, EntriesExpire) {
  mw::MemoryCache c;
  c.set("a", "1", 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_FALSE(c.get("a"));
  c.set("b", "2", 60);
  EXPECT_EQ(c.get("b"), "2");
}

TEST(MemoryCache, EvictionNeverDropsANamespaceVersion) {
  // "mw:v:zoo" sorts before "mw:zoo:...": evicting in key order would take the version first,
  // the namespace would fall back to version 0 and its entry from before the bump come back.
  mw::MemoryCache c(3);
  c.set(c.key("zoo", "x"), "before the edit", 300);
  c.bump("zoo");
  c.set(c.key("zoo", "x"), "after the edit", 300);
  c.set("a", "pushes the cache over its size", 300);
  EXPECT_NE(c.get(c.key("zoo", "x")), "before the edit");
  EXPECT_EQ(c.get("mw:v:zoo"), "1");
  for (int i = 0; i < 20; ++i) c.set("k" + std::to_string(i), "v", 300);
  EXPECT_NE(c.get(c.key("zoo", "x")), "before the edit");
}

TEST(MemoryCache, IncrCountsFromOne) {
  mw::MemoryCache c;
  EXPECT_EQ(c.incr("n"), 1);
  EXPECT_EQ(c.incr("n"), 2);
  c.del("n");
  EXPECT_EQ(c.incr("n"), 1);
}

}  // namespace
