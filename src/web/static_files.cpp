#include "web/static_files.h"

#include <filesystem>

#include "core/resources.h"

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
  if (ctx.method() != "GET" && ctx.method() != "HEAD")
    throw HttpError(405, "error_method_not_allowed");
  if (rest.empty() || rest.find("..") != std::string::npos ||
      rest.find('\0') != std::string::npos || rest[0] == '/')
    throw HttpError(404, "error_not_found");
  std::string file = *root + rest;
  auto info = resources::stat(file);
  if (!info) throw HttpError(404, "error_not_found");
  std::string etag = '"' + info->version + '"';
  ctx.res.set("ETag", etag);
  ctx.res.set("Cache-Control",
              path.rfind("/media/", 0) == 0 ? "private, max-age=3600" : "public, max-age=86400");
  if (ctx.req.get("If-None-Match", "") == etag) {
    ctx.text("", "", 304);
    return true;
  }
  auto bytes = resources::read(file);
  if (!bytes) throw HttpError(404, "error_not_found");
  ctx.text(*bytes, mimeType(file), 200);
  return true;
}

}  // namespace mw::web
