// CSV parsing of client imports: RFC 4180 edge cases, headers, rejected rows, export.
#include "clients/csv.h"

#include <gtest/gtest.h>

#include "web/form.h"

namespace mw::clients {
namespace {

using Records = std::vector<std::vector<std::string>>;

TEST(CsvRecords, QuotesAndDoubledQuotes) {
  EXPECT_EQ(parseCsvRecords("a,\"b,c\",\"say \"\"hi\"\"\"\n", ','),
            (Records{{"a", "b,c", "say \"hi\""}}));
  EXPECT_EQ(parseCsvRecords("\"\",x,\"\"\"\"\n", ','), (Records{{"", "x", "\""}}));
  // A quote inside an unquoted field is kept as it is.
  EXPECT_EQ(parseCsvRecords("ab\"c,d\n", ','), (Records{{"ab\"c", "d"}}));
}

TEST(CsvRecords, EmbeddedNewlinesStayInTheField) {
  EXPECT_EQ(parseCsvRecords("a,\"line1\nline2\",c\nd,e,f\n", ','),
            (Records{{"a", "line1\nline2", "c"}, {"d", "e", "f"}}));
  EXPECT_EQ(parseCsvRecords("a,\"line1\r\nline2\"\r\nd,e\r\n", ','),
            (Records{{"a", "line1\r\nline2"}, {"d", "e"}}));
}

TEST(CsvRecords, LineEndingsAndTheLastLine) {
  Records two{{"a", "b"}, {"c", "d"}};
  EXPECT_EQ(parseCsvRecords("a,b\r\nc,d\r\n", ','), two);
  EXPECT_EQ(parseCsvRecords("a,b\nc,d\n", ','), two);
  EXPECT_EQ(parseCsvRecords("a,b\rc,d\r", ','), two);  // old Mac
  EXPECT_EQ(parseCsvRecords("a,b\r\nc,d", ','), two);  // no final newline
  EXPECT_EQ(parseCsvRecords("a,b\nc,", ','), (Records{{"a", "b"}, {"c", ""}}));
  EXPECT_EQ(parseCsvRecords("", ','), Records{});
  EXPECT_EQ(parseCsvRecords("\r\n", ','), (Records{{""}}));
}

TEST(CsvRecords, ByteOrderMarkAndSemicolons) {
  EXPECT_EQ(parseCsvRecords("\xEF\xBB\xBF\"email\";name\r\nx@y.ru;Ж\r\n", ';'),
            (Records{{"email", "name"}, {"x@y.ru", "Ж"}}));
  // Only a leading BOM is special.
  EXPECT_EQ(parseCsvRecords("a\xEF\xBB\xBF\n", ','), (Records{{"a\xEF\xBB\xBF"}}));
}

TEST(ClientsCsv, ImportsValidRowsAndReportsTheRest) {
  std::string csv =
      "\xEF\xBB\xBF"
      "Email,Full_Name,Comment\r\n"
      "ivan@example.ru,Иванов Иван,\"VIP, постоянный\"\r\n"
      "  MARIA@Example.RU ,  Мария  ,\"две\r\nстроки\"\r\n"
      "\r\n"
      "not-an-email,Плохой,\r\n"
      ",Пустой,\r\n"
      "maria@example.ru,Дубликат,\r\n"
      "petr@example.ru\r\n";
  auto r = parseClientsCsv(csv);
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].email, "ivan@example.ru");
  EXPECT_EQ(r.rows[0].fullName, "Иванов Иван");
  EXPECT_EQ(r.rows[0].comment, "VIP, постоянный");
  EXPECT_EQ(r.rows[1].email, "maria@example.ru");  // trimmed and lower-cased
  EXPECT_EQ(r.rows[1].fullName, "Мария");
  EXPECT_EQ(r.rows[1].comment, "две\nстроки");  // multi-line comments keep the line break
  EXPECT_EQ(r.rows[2].email, "petr@example.ru");
  EXPECT_EQ(r.rows[2].fullName, "");
  ASSERT_EQ(r.rejected.size(), 3u);
  // Lines count records (the spreadsheet's row numbers), the header being row 1.
  EXPECT_EQ(r.rejected[0].line, 5);
  EXPECT_EQ(r.rejected[0].value, "not-an-email");
  EXPECT_EQ(r.rejected[0].reason, "error_email_invalid");
  EXPECT_EQ(r.rejected[1].line, 6);
  EXPECT_EQ(r.rejected[1].reason, "error_required");
  EXPECT_EQ(r.rejected[2].line, 7);
  EXPECT_EQ(r.rejected[2].reason, "error_csv_duplicate_in_file");
}

TEST(ClientsCsv, RussianHeadersAndSemicolons) {
  auto r = parseClientsCsv("ФИО;Почта;Комментарий\nПетров Пётр;petr@example.ru;ok, fine\n");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].email, "petr@example.ru");
  EXPECT_EQ(r.rows[0].fullName, "Петров Пётр");
  EXPECT_EQ(r.rows[0].comment, "ok, fine");
}

TEST(ClientsCsv, UnusableFiles) {
  EXPECT_EQ(parseClientsCsv("").error, "error_csv_empty");
  EXPECT_EQ(parseClientsCsv("name,comment\nИван,x\n").error, "error_csv_no_email_column");
  EXPECT_EQ(parseClientsCsv("email\n\xff\xfe@example.ru\n").error, "error_csv_encoding");
  // Windows-1251 bytes are not UTF-8.
  EXPECT_EQ(parseClientsCsv("email,name\na@b.ru,\xC8\xE2\xE0\xED\n").error, "error_csv_encoding");
  // A header only: nothing to import, nothing rejected.
  auto r = parseClientsCsv("email\r\n");
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(r.rows.empty());
  EXPECT_TRUE(r.rejected.empty());
}

TEST(ClientsCsv, TooLongFieldsAreRejected) {
  std::string longName;
  for (int i = 0; i < 201; ++i) longName += "я";
  auto r = parseClientsCsv("email,name\na@example.ru," + longName + "\n");
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].reason, "error_too_long");
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(web::validUtf8(""));
  EXPECT_TRUE(web::validUtf8("plain ascii"));
  EXPECT_TRUE(web::validUtf8("Ёжик ёлка €  😀"));
  EXPECT_FALSE(web::validUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(web::validUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(web::validUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(web::validUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(web::validUtf8("\xD0"));              // truncated
  EXPECT_FALSE(web::validUtf8("\x80"));              // stray continuation
  EXPECT_FALSE(web::validUtf8("\xFF"));
}

TEST(CsvExport, QuotesAndFormulaInjection) {
  EXPECT_EQ(csvField("plain"), "plain");
  EXPECT_EQ(csvField("a,b"), "\"a,b\"");
  EXPECT_EQ(csvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csvField("=SUM(A1:A9)"), "'=SUM(A1:A9)");
  EXPECT_EQ(csvField("+7 900"), "'+7 900");
  EXPECT_EQ(csvField("-1"), "'-1");
  EXPECT_EQ(csvField("@cmd"), "'@cmd");
  EXPECT_EQ(csvField("a;b"), "\"a;b\"");
  EXPECT_EQ(csvField("a\tb"), "\"a\tb\"");
}

TEST(CsvExport, RoundTripsThroughTheImporter) {
  Client a;
  a.id = 1;
  a.email = "ivan@example.ru";
  a.fullName = "Иванов, Иван \"Ваня\"";
  a.comment = "строка 1\nстрока 2";
  Client b;
  b.id = 2;
  b.email = "petr@example.ru";
  b.fullName = "Пётр";
  b.unsubscribedAt = 5;
  for (char sep : {',', ';'}) {
    auto csv = exportClientsCsv({a, b}, sep);
    EXPECT_EQ(csv.rfind("\xEF\xBB\xBFid" + std::string(1, sep) + "email", 0), 0u) << sep;
    auto r = parseClientsCsv(csv);
    ASSERT_EQ(r.error, "");
    ASSERT_EQ(r.rows.size(), 2u);
    EXPECT_EQ(r.rows[0].email, a.email);
    EXPECT_EQ(r.rows[0].fullName, a.fullName);
    EXPECT_EQ(r.rows[0].comment, a.comment);
    EXPECT_EQ(r.rows[1].fullName, "Пётр");
  }
}

}  // namespace
}  // namespace mw::clients
