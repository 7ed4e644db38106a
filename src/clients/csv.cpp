#include "clients/csv.h"

#include <Poco/UTF8String.h>

#include <algorithm>
#include <unordered_set>

#include "clients/validate.h"
#include "web/text.h"

namespace mw::clients {
namespace {

// Unicode-aware: Russian headers come as "ФИО" as often as "фио".
std::string lower(const std::string& s) {
  return Poco::UTF8::toLower(s);
}

}  // namespace

std::vector<std::vector<std::string>> parseCsvRecords(const std::string& text, char sep) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> rec;
  std::string field;
  bool quoted = false, any = false;
  size_t i = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = true;
      any = true;
    } else if (c == sep) {
      rec.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      rec.push_back(std::move(field));
      field.clear();
      out.push_back(std::move(rec));
      rec.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    rec.push_back(std::move(field));
    out.push_back(std::move(rec));
  }
  return out;
}

ParsedCsv parseClientsCsv(const std::string& text) {
  ParsedCsv result;
  if (!web::validUtf8(text)) {
    result.error = "error_csv_encoding";
    return result;
  }
  auto firstLine = text.substr(0, text.find('\n'));
  char sep = std::count(firstLine.begin(), firstLine.end(), ';') >
                     std::count(firstLine.begin(), firstLine.end(), ',')
                 ? ';'
                 : ',';
  auto records = parseCsvRecords(text, sep);
  if (records.empty()) {
    result.error = "error_csv_empty";
    return result;
  }
  int emailCol = -1, nameCol = -1, commentCol = -1;
  for (size_t c = 0; c < records[0].size(); ++c) {
    std::string h = lower(web::clean(records[0][c]));
    if (h == "email" || h == "e-mail" || h == "почта" || h == "электронная почта")
      emailCol = int(c);
    else if (h == "full_name" || h == "name" || h == "фио" || h == "имя" || h == "full name")
      nameCol = int(c);
    else if (h == "comment" || h == "комментарий" || h == "note")
      commentCol = int(c);
  }
  if (emailCol < 0) {
    result.error = "error_csv_no_email_column";
    return result;
  }
  std::unordered_set<std::string> seen;
  auto cell = [](const std::vector<std::string>& r, int col) {
    return col >= 0 && static_cast<size_t>(col) < r.size() ? r[col] : std::string();
  };
  for (size_t i = 1; i < records.size(); ++i) {
    const auto& r = records[i];
    int line = static_cast<int>(i) + 1;
    if (r.size() == 1 && web::clean(r[0]).empty()) continue;  // blank line
    ImportRow row;
    row.line = line;
    row.email = normalizeEmail(cell(r, emailCol));
    row.fullName = web::clean(cell(r, nameCol));
    row.comment = web::clean(cell(r, commentCol), true);
    Client probe;
    probe.email = row.email;
    probe.fullName = row.fullName;
    probe.comment = row.comment;
    auto errors = validate(probe);
    if (!errors.empty()) {
      result.rejected.push_back({line, cell(r, emailCol), errors.begin()->second});
      continue;
    }
    if (!seen.insert(row.email).second) {
      result.rejected.push_back({line, row.email, "error_csv_duplicate_in_file"});
      continue;
    }
    result.rows.push_back(std::move(row));
  }
  return result;
}

std::string csvHeader(char sep) {
  std::string s(1, sep);
  return std::string(web::kCsvBom) + "id" + s + "email" + s + "full_name" + s + "comment" + s +
         "unsubscribed\r\n";
}

void appendCsvRow(std::string& out, const Client& c, char sep) {
  out += std::to_string(c.id);
  for (const auto* field : {&c.email, &c.fullName, &c.comment}) {
    out += sep;
    out += csvField(*field);
  }
  out += sep;
  out += c.unsubscribedAt ? "yes\r\n" : "no\r\n";
}

std::string exportClientsCsv(const std::vector<Client>& clients, char sep) {
  std::string out = csvHeader(sep);
  for (const auto& c : clients) appendCsvRow(out, c, sep);
  return out;
}

}  // namespace mw::clients
