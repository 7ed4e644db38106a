// Shared by the blog, cache and contact integration tests.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <sstream>

#include "app.h"
#include "core/db.h"
#include "harness.h"

namespace mw::test::blog {

// A real 1x1 PNG.
inline std::string png() {
  static const unsigned char bytes[] = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
      0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
      0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
      0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99,
      0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
  return std::string(reinterpret_cast<const char*>(bytes), sizeof bytes);
}

inline std::string jpeg() {
  return std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 20) +
         std::string(64, '\0') + "\xFF\xD9";
}

inline std::string jsonString(const std::string& s) {
  Poco::JSON::Object o;
  o.set("s", s);
  std::ostringstream out;
  o.stringify(out);
  std::string j = out.str();
  return j.substr(5, j.size() - 6);  // {"s":"..."} -> "..."
}

inline std::string multipartBody(const Form& fields, const std::vector<UploadFile>& files,
                                 const std::string& boundary) {
  std::string body;
  for (const auto& [name, value] : fields)
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" +
            value + "\r\n";
  for (const auto& f : files)
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.name +
            "\"; filename=\"" + f.filename + "\"\r\nContent-Type: " + f.contentType + "\r\n\r\n" +
            f.bytes + "\r\n";
  return body + "--" + boundary + "--\r\n";
}

// PATCH with a multipart body (the API's way to send an image).
inline Response patchMultipart(HttpClient& c, const std::string& path, const Form& fields,
                               const std::vector<UploadFile>& files, const std::string& token) {
  std::string boundary = "----mwblog" + std::to_string(std::random_device{}());
  return c.request("PATCH", path, multipartBody(fields, files, boundary),
                   "multipart/form-data; boundary=" + boundary,
                   {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}});
}

// A page form with files: takes the csrf_token from formPage, then posts multipart to path.
inline Response submitMultipart(HttpClient& c, const std::string& path, Form fields,
                                const std::vector<UploadFile>& files, const std::string& formPage) {
  auto page = c.get(formPage);
  std::string csrf = csrfFrom(page.body);
  EXPECT_FALSE(csrf.empty()) << formPage << " has no csrf_token (" << page.status << ")";
  fields.emplace_back("csrf_token", csrf);
  return c.postMultipart(path, fields, files);
}

// Reads the server's database directly, to check what was (not) written.
inline std::int64_t dbScalar(const MailwrightServer& s, const std::string& sql,
                             const db::Params& params = {}) {
  db::Database database(s.databaseUrl(), 2);
  auto c = database.conn();
  return c.scalar(sql, params);
}

inline void dbExec(const MailwrightServer& s, const std::string& sql,
                   const db::Params& params = {}) {
  db::Database database(s.databaseUrl(), 2);
  auto c = database.conn();
  c.exec(sql, params);
}

// Files under DATA_DIR/uploads/articles.
inline int articleUploads(const MailwrightServer& s) {
  std::filesystem::path dir = std::filesystem::path(s.dataDir()) / "uploads" / "articles";
  if (!std::filesystem::exists(dir)) return 0;
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The form field is marked invalid and the first error shown after it is `message`.
inline bool errorBeside(const std::string& html, const std::string& field,
                        const std::string& message) {
  auto at = html.find("name=\"" + field + "\"");
  if (at == std::string::npos) return false;
  auto tagStart = html.rfind('<', at);
  auto tagEnd = html.find('>', at);
  if (html.substr(tagStart, tagEnd - tagStart).find("is-invalid") == std::string::npos)
    return false;
  const std::string feedback = "invalid-feedback d-block\">";
  auto err = html.find(feedback, tagEnd);
  auto nextField = html.find("name=\"", tagEnd);
  if (err == std::string::npos || (nextField != std::string::npos && nextField < err)) return false;
  return html.compare(err + feedback.size(), message.size(), message) == 0;
}

// Creates an article through the API as `token`; returns its id.
inline std::int64_t createArticle(HttpClient& api, const std::string& token,
                                  const std::string& title, const std::string& content,
                                  bool published) {
  auto r = api.postJson("/api/v1/articles",
                        "{\"title\":" + jsonString(title) + ",\"content\":" + jsonString(content) +
                            ",\"is_published\":" + (published ? "true" : "false") + "}",
                        token);
  EXPECT_EQ(r.status, 201) << r.body;
  if (r.status != 201) return 0;
  return r.json()->getValue<std::int64_t>("id");
}

}  // namespace mw::test::blog
