#include "web/pager.h"

#include <Poco/URI.h>

namespace mw::web {

Pager Pager::from(const Ctx& ctx, int defaultPerPage) {
  Pager p;
  p.perPage = ctx.queryInt("per_page", defaultPerPage, 1, 100);
  p.page = ctx.queryInt("page", 1, 1, 1000000);
  return p;
}

std::string withParam(const std::string& url, const std::string& name, const std::string& value) {
  std::string enc;
  Poco::URI::encode(value, "&?=#+%/", enc);
  return url + (url.find('?') == std::string::npos ? "?" : "&") + name + "=" + enc;
}

Data Pager::toData(const std::string& base) const {
  Data d;
  d.set("page", std::to_string(page));
  std::string more = atLeast ? "+" : "";
  d.set("pages", std::to_string(pages()) + more);
  d.set("total", std::to_string(total) + more);
  d.set("show", pages() > 1 || atLeast);
  d.set("has_prev", page > 1);
  d.set("has_next", page < pages() || atLeast);
  d.set("prev_url", withParam(base, "page", std::to_string(page - 1)));
  d.set("next_url", withParam(base, "page", std::to_string(page + 1)));
  return d;
}

}  // namespace mw::web
