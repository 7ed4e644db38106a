#pragma once
#include <cstdint>
#include <string>

#include "web/context.h"

namespace mw::web {

// ?page=&per_page= handling shared by pages and the API.
struct Pager {
  int page = 1;
  int perPage = 20;
  std::int64_t total = 0;
  // total is a lower bound (the count stopped there): shown as "10000+", and there is a next page.
  bool atLeast = false;

  static Pager from(const Ctx& ctx, int defaultPerPage = 20);
  int offset() const { return (page - 1) * perPage; }
  int pages() const { return total == 0 ? 1 : static_cast<int>((total + perPage - 1) / perPage); }
  // {page, pages, has_prev, prev_url, has_next, next_url, total, show} for _pagination.html;
  // `base` is the path with any other query parameters, e.g. "/clients?q=ivan".
  Data toData(const std::string& base) const;
};

// Appends a query parameter, URL-encoded.
std::string withParam(const std::string& url, const std::string& name, const std::string& value);

}  // namespace mw::web
