#pragma once
#include <string>
#include <vector>

#include "clients/repo.h"
#include "web/csv.h"

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
using web::csvField;
// The export: a UTF-8 BOM and a header line, then one line per client, fields split by `sep`.
std::string csvHeader(char sep);
void appendCsvRow(std::string& out, const Client& c, char sep);
std::string exportClientsCsv(const std::vector<Client>& clients, char sep);

}  // namespace mw::clients
