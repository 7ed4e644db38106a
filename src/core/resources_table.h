#pragma once
#include <cstddef>

namespace mw::resources {

// One file embedded at build time (cmake/embed.cmake); `path` is relative to the source tree.
struct EmbeddedFile {
  const char* path;
  const char* begin;
  const char* end;
  const char* md5;
};

extern const EmbeddedFile kEmbedded[];
extern const std::size_t kEmbeddedCount;

}  // namespace mw::resources
