#include "delivery/report_query.h"

#include <cstdio>
#include <ctime>

#include "web/pager.h"
#include "web/text.h"

namespace mw::delivery {

using web::Ctx;
using web::Data;

AttemptFilter LogQuery::filter(std::int64_t mailing, std::int64_t owner) const {
  AttemptFilter f;
  f.mailingId = mailing;
  f.ownerId = owner;
  f.from = period.from;
  f.to = period.to;
  return f;
}

AttemptFilter LogQuery::logFilter(AttemptFilter f) const {
  f.status = status;
  f.email = email;
  return f;
}

std::string LogQuery::link(const std::string& path, const std::string& periodQuery,
                           const std::string& sortColumn, bool desc) const {
  std::string url = path + "?" + periodQuery;
  if (!status.empty()) url = web::withParam(url, "status", status);
  if (!email.empty()) url = web::withParam(url, "email", email);
  if (sortColumn != "attempts" || !desc) {
    url = web::withParam(url, "sort", sortColumn);
    url = web::withParam(url, "dir", desc ? "desc" : "asc");
  }
  return url;
}

std::string LogQuery::link(const std::string& path) const {
  return link(path, period.query(), sort, descending);
}

LogQuery readQuery(const Ctx& ctx, const std::string& fallback, bool allowAll) {
  LogQuery q;
  q.period = web::periodOf(ctx, fallback, allowAll, std::time(nullptr));
  q.status = ctx.query("status");
  if (q.status != "success" && q.status != "failure" && q.status != "retry") q.status.clear();
  // An address is at most 254 bytes; a longer or broken text filters nothing rather than fail.
  q.email = web::clean(ctx.query("email"));
  if (q.email.size() > 254 || !web::validUtf8(q.email)) q.email.clear();
  auto sort = ctx.query("sort");
  if (validMailingSort(sort)) q.sort = sort;
  q.descending = ctx.query("dir", q.sort == "name" ? "asc" : "desc") != "asc";
  return q;
}

namespace {

Data option(const Ctx& ctx, const std::string& value, const std::string& label, bool selected) {
  Data o;
  o.set("value", value);
  o.set("label", ctx.t(label));
  o.set("selected", selected);
  return o;
}

Data presets(const Ctx& ctx, const LogQuery& q, const std::string& path) {
  Data list(Data::type::list);
  std::vector<std::string> names = {"7d", "30d", "month"};
  if (q.period.preset == "all" || path.find("/mailings/") == 0) names.insert(names.begin(), "all");
  for (const auto& name : names) {
    Data p;
    p.set("label", ctx.t("period_" + name));
    p.set("url", q.link(path, "range=" + name, q.sort, q.descending));
    p.set("active", q.period.preset == name);
    list.push_back(p);
  }
  return list;
}

// The export in both separators, the interface language's own first.
Data exportLinks(const Ctx& ctx, const LogQuery& q, const std::string& csvPath) {
  Data list(Data::type::list);
  std::vector<std::string> seps = {"semicolon", "comma"};
  if (ctx.lang != "ru") std::swap(seps[0], seps[1]);
  for (const auto& sep : seps) {
    Data l;
    l.set("label", ctx.t("csv_" + sep));
    l.set("url", web::withParam(q.link(csvPath), "sep", sep));
    list.push_back(l);
  }
  return list;
}

}  // namespace

Data filterForm(const Ctx& ctx, const LogQuery& q, const std::string& path,
                const std::string& csvPath) {
  Data d;
  d.set("action", path);
  d.set("presets", presets(ctx, q, path));
  d.set("preset", q.period.preset);
  d.set("custom", q.period.preset == "custom");
  bool custom = q.period.preset == "custom";
  d.set("from", custom ? ctx.query("from") : q.period.fromText());
  d.set("to", custom && !ctx.query("to").empty() ? ctx.query("to") : q.period.toText());
  if (!q.period.fromError.empty()) d.set("from_error", ctx.t(q.period.fromError));
  if (!q.period.toError.empty()) d.set("to_error", ctx.t(q.period.toError));
  Data statuses(Data::type::list);
  statuses.push_back(option(ctx, "", "filter_any_status", q.status.empty()));
  for (const std::string s : {"success", "failure", "retry"})
    statuses.push_back(option(ctx, s, "log_status_" + s, q.status == s));
  d.set("statuses", statuses);
  d.set("email", q.email);
  d.set("sort", q.sort);
  d.set("dir", q.descending ? "desc" : "asc");
  d.set("exports", exportLinks(ctx, q, csvPath));
  return d;
}

std::string rateText(const Ctx& ctx, std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return "—";
  std::int64_t tenths = (part * 1000 + whole / 2) / whole;
  char b[32];
  if (ctx.lang == "ru")  // a decimal comma, and a space before the sign (ГОСТ 8.417)
    std::snprintf(b, sizeof b, "%lld,%lld\xC2\xA0%%", static_cast<long long>(tenths / 10),
                  static_cast<long long>(tenths % 10));
  else
    std::snprintf(b, sizeof b, "%lld.%lld%%", static_cast<long long>(tenths / 10),
                  static_cast<long long>(tenths % 10));
  return b;
}

std::string periodText(const Ctx& ctx, const web::Period& p) {
  auto human = [](const Date& d) {
    char b[16];
    std::snprintf(b, sizeof b, "%02d.%02d.%04d", d.day, d.month, d.year);
    return std::string(b);
  };
  if (p.preset == "all") return ctx.t("period_all") + " — " + human(p.last);
  return human(p.first) + " — " + human(p.last);
}

Data mailingTable(const Ctx& ctx, const LogQuery& q, const std::vector<MailingTotals>& rows) {
  Data d;
  Data headers(Data::type::list);
  for (const std::string col : {"name", "attempts", "success", "failure", "rate"}) {
    bool active = q.sort == col;
    // A second click on the sorted column turns the order; a new column starts from the top.
    bool desc = active ? !q.descending : col != "name";
    Data h;
    h.set("label", ctx.t("report_col_" + col));
    h.set("url", q.link("/reports", q.period.query(), col, desc));
    h.set("numeric", col != "name");
    h.set("aria_sort", active ? (q.descending ? "descending" : "ascending") : "none");
    h.set("icon", active ? (q.descending ? "bi-sort-down" : "bi-sort-up") : "");
    headers.push_back(h);
  }
  d.set("headers", headers);
  Data items(Data::type::list);
  for (const auto& m : rows) {
    Data r;
    r.set("id", std::to_string(m.mailingId));
    r.set("name", m.name);
    r.set("attempts", std::to_string(m.attempts));
    r.set("success", std::to_string(m.success));
    r.set("failure", std::to_string(m.failure));
    r.set("success_rate", rateText(ctx, m.success, m.attempts));
    r.set("failure_rate", rateText(ctx, m.failure, m.attempts));
    items.push_back(r);
  }
  d.set("items", items);
  d.set("has_items", !rows.empty());
  d.set("capped", rows.size() >= 100);
  return d;
}

}  // namespace mw::delivery
