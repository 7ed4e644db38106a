#include "bounces/module.h"

namespace mw::bounces {

void install(web::Platform&) {}

}  // namespace mw::bounces
