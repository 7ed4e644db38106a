#pragma once
#include <string>
#include <vector>

#include "clients/repo.h"

namespace mw::clients {

struct Rejected {
  int line = 0;
  std::string value;   // the row's email cell as given
  std::string reason;  // translation key
};

struct ParsedCsv {
  std::vector<ImportRow> rows;
  std::vector<Rejected> rejected;
  std::string error;  // translation key when the file as a whole is unusable
};

// RFC 4180 records (quotes, doubled quotes, CRLF/LF, ',' or ';' separator, UTF-8 BOM).
std::vector<std::vector<std::string>> parseCsvRecords(const std::string& text, char sep);
// A header row names the columns: email (required), full_name/name/фио, comment/комментарий.
ParsedCsv parseClientsCsv(const std::string& text);
std::string csvField(const std::string& s);  // quoted when needed; neutralises formula injection
// The export: a UTF-8 BOM and a header line, then one line per client.
std::string csvHeader();
void appendCsvRow(std::string& out, const Client& c);
std::string exportClientsCsv(const std::vector<Client>& clients);

}  // namespace mw::clients
