#include "app/home.h"

namespace mw::app {

void installHome(web::Platform& platform) {
  platform.get("/", [](web::Ctx& ctx) {
    web::Data d;
    d.set("title", ctx.t("home_title"));
    ctx.html("home", d);
  });
}

}  // namespace mw::app
