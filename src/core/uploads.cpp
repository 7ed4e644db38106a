#include "core/uploads.h"

#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace mw {

std::optional<std::string> imageExtension(const std::string& b) {
  auto starts = [&](const std::string& magic, size_t at = 0) {
    return b.size() >= at + magic.size() && b.compare(at, magic.size(), magic) == 0;
  };
  if (starts("\x89PNG\r\n\x1a\n")) return ".png";
  if (starts("\xFF\xD8\xFF")) return ".jpg";
  if (starts("GIF87a") || starts("GIF89a")) return ".gif";
  if (starts("RIFF") && starts("WEBP", 8)) return ".webp";
  return std::nullopt;
}

std::string saveUpload(const std::string& dataDir, const std::string& subdir,
                       const std::string& bytes, const std::string& ext) {
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  char hex[33];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  std::filesystem::path dir = std::filesystem::path(dataDir) / "uploads" / subdir;
  std::filesystem::create_directories(dir);
  std::string name = std::string(hex) + ext;
  std::ofstream out(dir / name, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write upload " + (dir / name).string());
  return subdir + "/" + name;
}

void removeUpload(const std::string& dataDir, const std::string& relative) {
  if (relative.empty() || relative.find("..") != std::string::npos) return;
  std::error_code ec;
  std::filesystem::remove(std::filesystem::path(dataDir) / "uploads" / relative, ec);
}

}  // namespace mw
