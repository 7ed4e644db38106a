#pragma once
#include "web/platform.h"

namespace mw::app {

// The home page: figures of every domain and three random articles.
void installHome(web::Platform& platform);
// Drops the cached home figures (after changes made outside a web request).
void invalidateHome(web::Platform& platform);
// The same from a process without the web (a worker): the cache versions are shared.
void invalidateHome(Cache& cache);

}  // namespace mw::app
