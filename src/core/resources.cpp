#include "core/resources.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "core/resources_table.h"

namespace mw::resources {
namespace {

namespace fs = std::filesystem;

// "embedded:/templates/x.html" -> "templates/x.html"; also accepts "embedded:templates/x.html".
std::string_view embeddedName(const std::string& path) {
  std::string_view rest(path);
  rest.remove_prefix(std::string_view(kEmbeddedRoot).size());
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  return rest;
}

const EmbeddedFile* findEmbedded(std::string_view name) {
  // The table is sorted by path (cmake/embed.cmake sorts the list).
  const EmbeddedFile* first = kEmbedded;
  const EmbeddedFile* last = kEmbedded + kEmbeddedCount;
  auto it = std::lower_bound(first, last, name, [](const EmbeddedFile& f, std::string_view n) {
    return std::string_view(f.path) < n;
  });
  return it != last && std::string_view(it->path) == name ? it : nullptr;
}

}  // namespace

bool isEmbedded(const std::string& path) {
  return path.rfind(kEmbeddedRoot, 0) == 0;
}

std::optional<std::string> read(const std::string& path) {
  if (isEmbedded(path)) {
    const auto* f = findEmbedded(embeddedName(path));
    if (!f) return std::nullopt;
    return std::string(f->begin, f->end);
  }
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::optional<Info> stat(const std::string& path) {
  if (isEmbedded(path)) {
    const auto* f = findEmbedded(embeddedName(path));
    if (!f) return std::nullopt;
    return Info{static_cast<std::uint64_t>(f->end - f->begin), f->md5};
  }
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  auto size = fs::file_size(path, ec);
  auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
  std::ostringstream version;
  version << std::hex << size << '-' << mtime;
  return Info{size, version.str()};
}

std::vector<std::string> list(const std::string& dir, const std::string& ext) {
  std::vector<std::string> out;
  auto matches = [&](std::string_view name) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (isEmbedded(dir)) {
    std::string prefix(embeddedName(dir));
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    for (std::size_t i = 0; i < kEmbeddedCount; ++i) {
      std::string_view name(kEmbedded[i].path);
      if (name.rfind(prefix, 0) == 0 && matches(name))
        out.push_back(std::string(kEmbeddedRoot) + "/" + std::string(name));
    }
    return out;  // already sorted
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file() && matches(e.path().filename().string()))
      out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool isDirectory(const std::string& path) {
  if (isEmbedded(path)) return !list(path, "").empty();
  std::error_code ec;
  return fs::is_directory(path, ec);
}

}  // namespace mw::resources
