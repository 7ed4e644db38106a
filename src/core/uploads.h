#pragma once
#include <optional>
#include <string>

namespace mw {

// ".png", ".jpg", ".gif" or ".webp" judged by the file's first bytes, not its name.
std::optional<std::string> imageExtension(const std::string& bytes);
// Writes bytes to DATA_DIR/uploads/<subdir>/<random><ext>; returns "<subdir>/<name>".
std::string saveUpload(const std::string& dataDir, const std::string& subdir,
                       const std::string& bytes, const std::string& ext);
// Removes a file saved by saveUpload; ignores names that do not look like ours.
void removeUpload(const std::string& dataDir, const std::string& relative);

}  // namespace mw
