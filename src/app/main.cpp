#include <Poco/Exception.h>
#include <signal.h>

#include <iostream>
#include <stdexcept>

#include "app/args.h"
#include "app/commands.h"

namespace {

const char* kUsage = R"(mailwright — self-hosted email mailings

usage: mailwright COMMAND [options]

commands:
  serve [--bind HOST:PORT] [--no-scheduler] [--no-delivery]
                                              web server (with the scheduler and sender)
  worker                                      scheduler and sender only
  migrate                                     create or upgrade the database schema
  createsuperuser --email E --password P [--username U]
  user create --email E --password P [--username U] [--role R]
  role grant|revoke --email E --role manager|content_manager|admin
  token create --email E [--name NAME]        prints a new API token
  send MAILING_ID                             send one mailing now and wait
  send-due                                    send everything that is due, once
  dkim generate --domain D --selector S [--algorithm rsa]
                                              new DKIM signing key; prints its DNS record
  dkim list | dkim delete --domain D --selector S
  demo --email E [--clients N]                sample data in an empty account, to try the service
  backup FILE                                 consistent copy of the SQLite database, live
  version                                     print the version
  --help                                      this text

Configuration comes from the environment and a .env file (see README.md).
)";

}  // namespace

int main(int argc, char** argv) {
  // Writes to a closed socket must not kill the process.
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  if (cmd == "version" || cmd == "--version") {
    std::cout << "mailwright " << MW_VERSION << "\n";
    return 0;
  }
  try {
    auto args = mw::app::Args::parse(argc, argv, 2, {"no-scheduler", "no-delivery", "help"});
    if (args.on("help")) {
      std::cout << kUsage;
      return 0;
    }
    return mw::app::runCommand(cmd, args);
  } catch (const Poco::Exception& e) {
    // what() of a POCO exception is its class name only ("Database Exception").
    std::cerr << "error: " << e.displayText() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
