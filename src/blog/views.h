#pragma once
#include <cstdint>
#include <string>

#include "web/context.h"

namespace mw::blog {

// Known crawlers, link previewers and monitors by their User-Agent (case-insensitive).
bool isBot(const std::string& userAgent);
// "u<id>" for a signed-in reader, else a keyed hash of the client address and User-Agent.
std::string visitorKey(const web::Ctx& ctx);
// Counts a view of a published article once per visitor per UTC day (bots never); returns the
// views to show (`current` when nothing was counted).
std::int64_t countView(web::Ctx& ctx, std::int64_t articleId, std::int64_t current);

}  // namespace mw::blog
