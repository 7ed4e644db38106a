#include "dkim/cli.h"

#include <iostream>

#include "core/mail/dkim.h"
#include "core/time.h"
#include "dkim/keys.h"

namespace mw::dkim {

namespace {

constexpr const char* kUsage =
    "usage: mailwright dkim generate --domain D --selector S [--algorithm rsa]\n"
    "       mailwright dkim list\n"
    "       mailwright dkim delete --domain D --selector S\n";

// The --domain and --selector flags, checked; false (with the reason printed) when invalid.
bool readTarget(const app::Args& args, std::string& domain, std::string& selector) {
  auto d = normalDomain(args.get("domain"));
  auto s = normalDomain(args.get("selector"));
  if (!d) std::cerr << "error: --domain must be a domain name such as example.com\n";
  if (!s) std::cerr << "error: --selector must be letters, digits and hyphens, such as mw2026\n";
  if (!d || !s) return false;
  domain = *d;
  selector = *s;
  return true;
}

void printRecord(const StoredKey& k) {
  std::cout << recordName(k) << " TXT " << recordValue(k) << "\n";
}

int generate(const Config& cfg, db::Database& db, const app::Args& args) {
  std::string domain, selector;
  if (!readTarget(args, domain, selector)) return 2;
  std::string algorithm = args.get("algorithm", "rsa");
  if (algorithm == "ed25519") {
    std::cerr << "error: " << mail::dkim::Signer::kEd25519Refusal << "\n";
    return 2;
  }
  if (algorithm != "rsa") {
    std::cerr << "error: --algorithm must be rsa\n";
    return 2;
  }
  auto c = db.conn();
  auto key = createKey(c, cfg.secretKey, domain, selector, algorithm);
  if (!key) {
    std::cerr << "error: " << domain << " already has a key with selector " << selector
              << " (delete it first, or choose another selector)\n";
    return 1;
  }
  std::cout << "DKIM key created for " << domain << " (selector " << selector << ", "
            << key->algorithm << "). Publish this DNS record:\n";
  printRecord(*key);
  return 0;
}

int list(db::Database& db) {
  auto c = db.conn();
  auto keys = Repo(c).list();
  if (keys.empty()) std::cout << "no DKIM keys\n";
  for (const auto& k : keys) {
    std::cout << k.domain << " " << k.selector << " " << k.algorithm << " "
              << formatIso8601(k.createdAt, *TimeZone::get("UTC")) << "\n  ";
    printRecord(k);
  }
  return 0;
}

int remove(db::Database& db, const app::Args& args) {
  std::string domain, selector;
  if (!readTarget(args, domain, selector)) return 2;
  auto c = db.conn();
  if (!Repo(c).remove(domain, selector)) {
    std::cerr << "error: no DKIM key for " << domain << " with selector " << selector << "\n";
    return 1;
  }
  std::cout << "DKIM key " << selector << " of " << domain << " deleted\n";
  return 0;
}

}  // namespace

int command(const Config& cfg, db::Database& db, const app::Args& args) {
  std::string sub = args.positional.empty() ? "" : args.positional[0];
  if (sub == "generate" && args.positional.size() == 1) return generate(cfg, db, args);
  if (sub == "list" && args.positional.size() == 1) return list(db);
  if (sub == "delete" && args.positional.size() == 1) return remove(db, args);
  std::cerr << kUsage;
  return 2;
}

}  // namespace mw::dkim
