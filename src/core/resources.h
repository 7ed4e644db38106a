#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mw::resources {

// Templates, locales, migrations and static files are read through here, from one of two trees:
// the copy embedded in the binary at build time (paths starting with kEmbeddedRoot, the default,
// so the binary runs from any directory) or a directory on disk (MW_RESOURCE_DIR, for
// development; uploads also live on disk).
inline constexpr const char* kEmbeddedRoot = "embedded:";

bool isEmbedded(const std::string& path);

// The whole file, or nullopt when there is no regular file at `path`.
std::optional<std::string> read(const std::string& path);

struct Info {
  std::uint64_t size = 0;
  std::string version;  // changes whenever the content does: MD5 when embedded, else size-mtime
};
std::optional<Info> stat(const std::string& path);

// Regular files under `dir` (recursively) whose name ends with `ext` ("" for all), as full paths
// in sorted order. An absent directory lists nothing.
std::vector<std::string> list(const std::string& dir, const std::string& ext);
bool isDirectory(const std::string& path);

}  // namespace mw::resources
