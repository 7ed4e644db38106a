// The clients CSV importer: any bytes give rows, rejections or one file-level error.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "clients/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = mw::clients::parseClientsCsv(text);
  if (!parsed.error.empty() && !parsed.rows.empty()) std::abort();
  for (const auto& row : parsed.rows)
    if (row.email.empty()) std::abort();
  mw::clients::parseCsvRecords(text, ';');
  return 0;
}
