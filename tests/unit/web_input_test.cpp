// The input checks of the web platform: redirect targets, header values, percent-decoding,
// CIDR lists and the client address behind trusted proxies.
#include <gtest/gtest.h>

#include "core/cidr.h"
#include "web/proxies.h"
#include "web/redirect.h"
#include "web/urlencoded.h"

using namespace mw;

TEST(LocalPath, KeepsLocalPathsAndRefusesTheRest) {
  EXPECT_EQ(web::localPath("/"), "/");
  EXPECT_EQ(web::localPath("/clients?page=2#x"), "/clients?page=2#x");
  EXPECT_EQ(web::localPath("/a//b"), "/a//b");
  for (std::string bad :
       std::vector<std::string>{"", "clients", "//evil.example", "/\\evil.example",
                                "http://evil.example", "/\t/evil.example", "/a\r\nSet-Cookie: x=y",
                                "/a\n", " /a", std::string("/a\0b", 4), "/a\x7f"})
    EXPECT_EQ(web::localPath(bad), "/") << bad;
  EXPECT_TRUE(web::safeHeaderValue("attachment; filename=\"a b.csv\""));
  EXPECT_FALSE(web::safeHeaderValue("a\r\nb"));
  EXPECT_FALSE(web::safeHeaderValue("a\tb"));
}

TEST(UrlEncoded, DecodesStrictly) {
  auto f = web::parseUrlEncoded("a=1&b=x+y%21&c&&d=%E2%9C%93&a=2");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->count("a"), 2u);
  EXPECT_EQ(f->find("b")->second, "x y!");
  EXPECT_EQ(f->find("c")->second, "");
  EXPECT_EQ(f->find("d")->second, "\xE2\x9C\x93");
  for (std::string bad : {"%%%", "a=%zz", "a=%", "a=%4", "%G1=2", "a=1&b=%0"})
    EXPECT_FALSE(web::parseUrlEncoded(bad)) << bad;
  EXPECT_EQ(*web::percentDecode("/a+b%20c", false), "/a+b c");
}

TEST(Cidr, ParsesAndMatches) {
  auto list = parseCidrList("10.0.0.0/8, 192.168.1.7 fd00::/8", "TRUSTED_PROXIES");
  ASSERT_EQ(list.size(), 3u);
  auto in = [&](const std::string& a) {
    auto ip = IpAddress::parse(a);
    for (const auto& c : list)
      if (ip && c.contains(*ip)) return true;
    return false;
  };
  EXPECT_TRUE(in("10.255.0.1"));
  EXPECT_TRUE(in("::ffff:10.1.2.3"));
  EXPECT_TRUE(in("192.168.1.7"));
  EXPECT_FALSE(in("192.168.1.8"));
  EXPECT_TRUE(in("fd12::1"));
  EXPECT_FALSE(in("fe80::1"));
  EXPECT_FALSE(in("11.0.0.1"));
  EXPECT_TRUE(parseCidrList("", "X").empty());
  auto odd = Cidr::parse("10.1.2.3/12");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->contains(*IpAddress::parse("10.15.255.255")));
  EXPECT_FALSE(odd->contains(*IpAddress::parse("10.16.0.0")));
  for (std::string bad :
       {"10.0.0.0/33", "10.0.0/8", "fd00::/129", "example.com", "10.0.0.0/", "10.0.0.0/x"})
    EXPECT_THROW(parseCidrList(bad, "TRUSTED_PROXIES"), std::runtime_error) << bad;
}

TEST(Proxies, ForwardedHeadersAreBelievedOnlyFromTrustedPeers) {
  auto trusted = parseCidrList("10.0.0.0/8", "T");
  auto o = web::resolveClient(trusted, "10.0.0.5", {"1.1.1.1, 2.2.2.2, 10.9.9.9"}, "https");
  EXPECT_EQ(o.address, "2.2.2.2");
  EXPECT_TRUE(o.https);
  o = web::resolveClient(trusted, "8.8.8.8", {"2.2.2.2"}, "https");
  EXPECT_EQ(o.address, "8.8.8.8");
  EXPECT_FALSE(o.https);
  o = web::resolveClient(trusted, "10.0.0.5", {"junk, 10.1.1.1"}, "");
  EXPECT_EQ(o.address, "10.1.1.1");
  o = web::resolveClient(trusted, "10.0.0.5", {}, "");
  EXPECT_EQ(o.address, "10.0.0.5");
  o = web::resolveClient({}, "::ffff:127.0.0.1", {"2.2.2.2"}, "https");
  EXPECT_EQ(o.address, "127.0.0.1");
  EXPECT_FALSE(o.https);
}
