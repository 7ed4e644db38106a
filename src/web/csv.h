#pragma once
#include <string>

namespace mw::web {

// Excel and LibreOffice take a leading UTF-8 BOM as "this file is UTF-8"; without it Cyrillic
// opens as mojibake in Russian Excel.
inline constexpr const char* kCsvBom = "\xEF\xBB\xBF";

// The separator of a CSV export: `asked` is ?sep= (semicolon or comma), else the interface
// language decides.
// Russian Excel splits on ';' (the list separator of a locale whose decimal mark is ','), so a
// comma-separated file opens there as one column.
char csvSeparator(const std::string& asked, const std::string& lang);
// A field, quoted when it holds a separator, quote or line break; a leading =, +, - or @ is
// neutralised (it would run as a formula in spreadsheets).
std::string csvField(const std::string& s);

}  // namespace mw::web
