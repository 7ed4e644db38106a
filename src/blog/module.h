#pragma once
#include <vector>

#include "web/platform.h"

namespace mw::blog {

void install(web::Platform& p);
// Up to n random published articles for the home page (served from the cache).
std::vector<web::Data> homeArticles(web::Ctx& ctx, int n);

}  // namespace mw::blog
