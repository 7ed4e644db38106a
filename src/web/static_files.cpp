#include "web/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mw::web {

StaticFiles::StaticFiles(const std::string& resourceDir, const std::string& uploadDir) {
  std::string nm = resourceDir + "/node_modules";
  roots_["/static/vendor/bootstrap/"] = nm + "/bootstrap/dist/";
  roots_["/static/vendor/bootstrap-icons/"] = nm + "/bootstrap-icons/font/";
  roots_["/static/vendor/chart.js/"] = nm + "/chart.js/dist/";
  roots_["/static/vendor/htmx/"] = nm + "/htmx.org/dist/";
  roots_["/static/"] = resourceDir + "/static/";
  roots_["/media/"] = uploadDir + "/";
}

std::string StaticFiles::mimeType(const std::string& path) {
  static const std::map<std::string, std::string> types{
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".map", "application/json"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".svg", "image/svg+xml"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  auto ext = std::filesystem::path(path).extension().string();
  auto it = types.find(ext);
  return it == types.end() ? "application/octet-stream" : it->second;
}

bool StaticFiles::serve(Ctx& ctx) {
  const std::string& path = ctx.path();
  // Longest prefix first: /static/vendor/... before /static/.
  const std::string* root = nullptr;
  std::string rest;
  size_t best = 0;
  for (const auto& [prefix, dir] : roots_) {
    if (path.rfind(prefix, 0) == 0 && prefix.size() > best) {
      best = prefix.size();
      root = &dir;
      rest = path.substr(prefix.size());
    }
  }
  if (!root) return false;
  if (ctx.method() != "GET" && ctx.method() != "HEAD") throw HttpError(405, "Method not allowed");
  if (rest.empty() || rest.find("..") != std::string::npos ||
      rest.find('\0') != std::string::npos || rest[0] == '/')
    throw HttpError(404, "Not found");
  std::filesystem::path file = std::filesystem::path(*root) / rest;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) throw HttpError(404, "Not found");
  auto size = std::filesystem::file_size(file, ec);
  auto mtime = std::filesystem::last_write_time(file, ec).time_since_epoch().count();
  std::ostringstream etag;
  etag << '"' << std::hex << size << '-' << mtime << '"';
  ctx.res.set("ETag", etag.str());
  ctx.res.set("Cache-Control",
              path.rfind("/media/", 0) == 0 ? "private, max-age=3600" : "public, max-age=86400");
  if (ctx.req.get("If-None-Match", "") == etag.str()) {
    ctx.text("", "", 304);
    return true;
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  ctx.text(buf.str(), mimeType(file.string()), 200);
  return true;
}

}  // namespace mw::web
