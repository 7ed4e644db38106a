// The urlencoded form and query parser, exactly as src/web/context.cpp parses bodies and query
// strings: malformed input must come back as nullopt (answered 400), never crash or hang, and
// what parses must survive a second decoding of its parts.
#include <cstdint>
#include <string>

#include "web/urlencoded.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto fields = mw::web::parseUrlEncoded(in))
    for (const auto& [k, v] : *fields) (void)mw::web::percentDecode(k + v, true);
  (void)mw::web::percentDecode(in, false);
  return 0;
}
