#include <Poco/UTF8String.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "admin/module.h"
#include "admin/store.h"
#include "core/mail/mime.h"
#include "web/form.h"
#include "web/format.h"
#include "web/guards.h"
#include "web/pager.h"

namespace mw::admin {
namespace {

using web::Ctx;
using web::Data;
using web::FormState;
using web::HttpError;

// Set once at start-up, read-only afterwards.
std::vector<Table> registry;

constexpr std::size_t kListTextLimit = 60;

const Table& tableOf(Ctx& ctx) {
  for (const auto& t : registry)
    if (t.name == ctx.params["table"]) return t;
  throw HttpError(404, ctx.t("error_not_found"));
}

std::string tableUrl(const Table& t) {
  return "/admin/" + t.name;
}

std::string rowUrl(const Table& t, std::int64_t id) {
  return tableUrl(t) + "/" + std::to_string(id);
}

std::string shorten(const std::string& s, std::size_t limit) {
  if (web::utf8Length(s) <= limit) return s;
  std::size_t n = 0, i = 0;
  for (; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && n++ == limit) break;
  return s.substr(0, i) + "…";
}

// A stored value as the admin reads it: text, yes/no, a local time, or a link to another row.
Data cell(Ctx& ctx, const Column& col, const db::Value& v, bool brief) {
  Data d;
  std::string text;
  if (v.isNull())
    text = "—";
  else if (col.type == Type::Bool)
    text = ctx.t(v.b() ? "admin_yes" : "admin_no");
  else if (col.type == Type::Time)
    text = web::humanTime(ctx, v.i());
  else if (!col.valueKey.empty() && ctx.t(col.valueKey + v.s()) != col.valueKey + v.s())
    text = ctx.t(col.valueKey + v.s());
  else
    text = brief ? shorten(v.s(), kListTextLimit) : v.s();
  d.set("text", text);
  bool link = !col.ref.empty() && !v.isNull();
  d.set("has_href", link);
  if (link) d.set("href", "/admin/" + col.ref + "/" + v.s());
  d.set("multiline", col.type == Type::Multiline && !brief);
  return d;
}

std::optional<std::int64_t> parseInt(const std::string& s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Reads and checks every editable column of the submitted form.
Values readForm(Ctx& ctx, const Table& t, FormState& f) {
  Values values;
  auto tz = web::zoneOf(ctx);
  for (const auto& col : t.columns) {
    if (!col.editable) continue;
    const std::string& n = col.name;
    if (col.type == Type::Bool) {
      bool on = ctx.form(n) == "1";
      f.set(n, on ? "1" : "");
      values[n] = on ? "1" : "0";
      continue;
    }
    std::string raw = web::clean(ctx.form(n), col.type == Type::Multiline);
    if (col.type == Type::Email) raw = Poco::UTF8::toLower(raw);
    f.set(n, raw);
    if (!web::validUtf8(raw)) {
      f.error(n, ctx.t("error_admin_bad_text"));
      continue;
    }
    if (raw.empty() && col.type != Type::Choice) {
      if (col.required || (!col.nullable && col.type != Type::Text && col.type != Type::Multiline))
        f.error(n, ctx.t("error_required"));
      else
        values[n] = col.nullable ? std::nullopt : std::optional<std::string>("");
      continue;
    }
    if (col.maxLength && web::utf8Length(raw) > col.maxLength) {
      f.error(n, ctx.t("error_too_long"));
      continue;
    }
    switch (col.type) {
      case Type::Email:
        if (raw.size() > 254 || !mail::isValidEmail(raw)) f.error(n, ctx.t("error_email_invalid"));
        break;
      case Type::Int: {
        auto v = parseInt(raw);
        if (!v)
          f.error(n, ctx.t("error_admin_integer"));
        else if (*v < col.min || *v > col.max)
          f.error(n, ctx.t("error_admin_range") + " " + std::to_string(col.min) + "…" +
                         std::to_string(col.max));
        else
          raw = std::to_string(*v);
        break;
      }
      case Type::Time: {
        auto local = parseLocalDateTime(raw);
        if (!local)
          f.error(n, ctx.t("error_datetime"));
        else
          raw = std::to_string(tz->toUtc(*local));
        break;
      }
      case Type::Choice:
        if (std::find(col.choices.begin(), col.choices.end(), raw) == col.choices.end())
          f.error(n, ctx.t("error_admin_choice"));
        else if (raw.empty() && col.nullable) {
          values[n] = std::nullopt;
          continue;
        }
        break;
      default:
        break;
    }
    if (!f.hasError(n)) values[n] = raw;
  }
  return values;
}

// The row's page: every column, the edit form and the flag panels.
void showRow(Ctx& ctx, db::Conn& conn, const Table& t, const db::Row& row, std::int64_t id,
             const FormState* edit, const std::map<std::string, std::string>& flagErrors,
             int status) {
  auto tz = web::zoneOf(ctx);
  Data fields(Data::type::list);
  bool editable = false;
  for (const auto& col : t.columns) {
    const std::string& n = col.name;
    db::Value v = row[n];
    Data f = cell(ctx, col, v, false);
    f.set("name", n);
    f.set("label", ctx.t("admin_col_" + n));
    f.set("editable", col.editable);
    if (col.editable) {
      editable = true;
      std::string value;
      if (edit)
        value = edit->value(n);
      else if (col.type == Type::Time)
        value = v.isNull() ? "" : formatLocalInput(v.i(), *tz);
      else if (col.type == Type::Bool)
        value = v.b() ? "1" : "";
      else
        value = v.s();
      f.set("value", value);
      f.set("checked", !value.empty());
      if (edit && edit->hasError(n)) {
        f.set("error", edit->errors().at(n));
        f.set("invalid", true);
      }
      f.set("is_checkbox", col.type == Type::Bool);
      f.set("is_textarea", col.type == Type::Multiline);
      f.set("is_select", col.type == Type::Choice);
      f.set("is_input",
            col.type != Type::Bool && col.type != Type::Multiline && col.type != Type::Choice);
      f.set("input_type", col.type == Type::Email  ? "email"
                          : col.type == Type::Int  ? "number"
                          : col.type == Type::Time ? "datetime-local"
                                                   : "text");
      f.set("required", col.required);
      Data options(Data::type::list);
      for (const auto& c : col.choices) {
        Data o;
        o.set("value", c);
        std::string word = col.valueKey.empty() ? c : ctx.t(col.valueKey + c);
        o.set("label", c.empty() ? std::string("—") : word);
        o.set("selected", c == value);
        options.push_back(o);
      }
      f.set("options", options);
    }
    fields.push_back(f);
  }
  Data panels(Data::type::list);
  for (const auto& fs : t.flags) {
    Data p;
    p.set("name", fs.name);
    p.set("label", ctx.t(fs.labelKey));
    p.set("action", rowUrl(t, id) + "/" + fs.name);
    Data implied(Data::type::list);
    for (const auto& o : fs.implied) implied.push_back(Data(ctx.t(fs.optionKey + o)));
    p.set("implied", implied);
    auto on = fs.get(conn, id);
    Data options(Data::type::list);
    for (const auto& o : fs.options) {
      Data d;
      d.set("value", o);
      d.set("label", ctx.t(fs.optionKey + o));
      d.set("checked", on.count(o) > 0);
      options.push_back(d);
    }
    p.set("options", options);
    auto err = flagErrors.find(fs.name);
    if (err != flagErrors.end()) p.set("error", err->second);
    panels.push_back(p);
  }
  Data d;
  d.set("title", ctx.t(t.labelKey) + " #" + std::to_string(id));
  d.set("table", t.name);
  d.set("table_label", ctx.t(t.labelKey));
  d.set("table_url", tableUrl(t));
  d.set("action", rowUrl(t, id));
  d.set("fields", fields);
  d.set("editable", editable);
  d.set("deletable", t.deletable);
  d.set("has_errors", edit && !edit->ok());
  if (edit && edit->errors().count("")) d.set("form_error", edit->errors().at(""));
  d.set("panels", panels);
  ctx.html("admin/row", d, status);
}

void indexPage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Data items(Data::type::list);
  for (const auto& t : registry) {
    Data d;
    d.set("name", t.name);
    d.set("label", ctx.t(t.labelKey));
    d.set("url", tableUrl(t));
    d.set("count", std::to_string(Store(conn, t).count()));
    d.set("read_only", !t.keyed || std::none_of(t.columns.begin(), t.columns.end(),
                                                [](const Column& c) { return c.editable; }));
    items.push_back(d);
  }
  Data d;
  d.set("title", ctx.t("admin_title"));
  d.set("tables", items);
  ctx.html("admin/index", d);
}

void listPage(Ctx& ctx) {
  const Table& t = tableOf(ctx);
  auto conn = ctx.platform.db.conn();
  Store store(conn, t);
  std::string q = web::clean(ctx.query("q"));
  auto pager = web::Pager::from(ctx, 25);
  pager.total = store.count(q);
  Data headers(Data::type::list);
  for (const auto& col : t.columns)
    if (col.listed) headers.push_back(Data(ctx.t("admin_col_" + col.name)));
  Data rows(Data::type::list);
  for (const auto& r : store.list(q, pager.offset(), pager.perPage)) {
    Data cells(Data::type::list);
    for (const auto& col : t.columns) {
      if (!col.listed) continue;
      Data c = cell(ctx, col, r[col.name], true);
      if (col.name == "id" && t.keyed) {
        c.set("has_href", true);
        c.set("href", rowUrl(t, r["id"].i()));
      }
      cells.push_back(c);
    }
    Data row;
    row.set("cells", cells);
    rows.push_back(row);
  }
  bool searchable = t.keyed || std::any_of(t.columns.begin(), t.columns.end(),
                                           [](const Column& c) { return c.searchable; });
  Data d;
  d.set("title", ctx.t(t.labelKey));
  d.set("table", t.name);
  d.set("table_url", tableUrl(t));
  d.set("q", q);
  d.set("searchable", searchable);
  d.set("headers", headers);
  d.set("rows", rows);
  d.set("has_rows", pager.total > 0);
  d.set("total", std::to_string(pager.total));
  d.set("pagination", pager.toData(q.empty() ? tableUrl(t) : web::withParam(tableUrl(t), "q", q)));
  ctx.html("admin/list", d);
}

db::Row loadRow(Ctx& ctx, const Table& t, db::Conn& conn, std::int64_t id) {
  auto row = Store(conn, t).get(id);
  if (!row) throw HttpError(404, ctx.t("error_not_found"));
  return *row;
}

void rowPage(Ctx& ctx) {
  const Table& t = tableOf(ctx);
  std::int64_t id = ctx.idParam();
  auto conn = ctx.platform.db.conn();
  db::Row row = loadRow(ctx, t, conn, id);
  showRow(ctx, conn, t, row, id, nullptr, {}, 200);
}

void updateSubmit(Ctx& ctx) {
  const Table& t = tableOf(ctx);
  if (std::none_of(t.columns.begin(), t.columns.end(), [](const Column& c) { return c.editable; }))
    throw HttpError(405, ctx.t("error_admin_read_only"));
  std::int64_t id = ctx.idParam();
  auto conn = ctx.platform.db.conn();
  db::Row row = loadRow(ctx, t, conn, id);
  FormState f;
  Values values = readForm(ctx, t, f);
  for (const auto& col : t.columns)
    if (col.editable && col.unique && !f.hasError(col.name) && values.count(col.name) &&
        Store(conn, t).taken(col, values, row, id))
      f.error(col.name, ctx.t("error_admin_unique"));
  if (f.ok() && t.check)
    for (const auto& [field, key] : t.check(conn, *ctx.user, id, values))
      f.error(field, ctx.t(key));
  if (f.ok()) {
    try {
      db::Tx tx(conn);
      Store(conn, t).update(id, values);
      if (t.changed) t.changed(ctx.platform, conn, id);
      tx.commit();
      if (t.committed) t.committed(ctx.platform, id);
    } catch (const std::exception& e) {
      // A constraint the declaration does not know of (e.g. added by a later migration).
      auto v = violationOf(e);
      if (v == Violation::None) throw;
      f.error("", ctx.t(v == Violation::Unique       ? "error_admin_unique"
                        : v == Violation::ForeignKey ? "error_admin_foreign_key"
                                                     : "error_required"));
    }
  }
  if (!f.ok()) return showRow(ctx, conn, t, row, id, &f, {}, 422);
  ctx.flash("success", ctx.t("flash_admin_saved"));
  ctx.redirect(rowUrl(t, id));
}

void flagsSubmit(Ctx& ctx) {
  const Table& t = tableOf(ctx);
  std::int64_t id = ctx.idParam();
  const FlagSet* fs = nullptr;
  for (const auto& f : t.flags)
    if (f.name == ctx.params["flags"]) fs = &f;
  if (!fs) throw HttpError(404, ctx.t("error_not_found"));
  auto conn = ctx.platform.db.conn();
  db::Row row = loadRow(ctx, t, conn, id);
  std::set<std::string> on;
  for (const auto& v : ctx.formAll("flag")) {
    if (std::find(fs->options.begin(), fs->options.end(), v) == fs->options.end())
      return showRow(ctx, conn, t, row, id, nullptr, {{fs->name, ctx.t("error_admin_choice")}},
                     422);
    on.insert(v);
  }
  std::string refusal = fs->check ? fs->check(*ctx.user, id, on) : "";
  if (!refusal.empty())
    return showRow(ctx, conn, t, row, id, nullptr, {{fs->name, ctx.t(refusal)}}, 422);
  {
    db::Tx tx(conn);
    fs->set(conn, id, on);
    if (t.changed) t.changed(ctx.platform, conn, id);
    tx.commit();
    if (t.committed) t.committed(ctx.platform, id);
  }
  ctx.flash("success", ctx.t("flash_admin_saved"));
  ctx.redirect(rowUrl(t, id));
}

void showDelete(Ctx& ctx, const Table& t, const db::Row& row, std::int64_t id,
                const std::string& error, int status) {
  Data fields(Data::type::list);
  for (const auto& col : t.columns) {
    if (!col.listed) continue;
    Data f = cell(ctx, col, row[col.name], true);
    f.set("label", ctx.t("admin_col_" + col.name));
    fields.push_back(f);
  }
  Data d;
  d.set("title", ctx.t("admin_delete_title") + " " + ctx.t(t.labelKey) + " #" + std::to_string(id));
  d.set("table_url", tableUrl(t));
  d.set("table_label", ctx.t(t.labelKey));
  d.set("row_url", rowUrl(t, id));
  d.set("fields", fields);
  d.set("error", error);
  d.set("has_error", !error.empty());
  ctx.html("admin/delete", d, status);
}

const Table& deletableTable(Ctx& ctx) {
  const Table& t = tableOf(ctx);
  if (!t.deletable) throw HttpError(404, ctx.t("error_not_found"));
  return t;
}

void deletePage(Ctx& ctx) {
  const Table& t = deletableTable(ctx);
  std::int64_t id = ctx.idParam();
  auto conn = ctx.platform.db.conn();
  db::Row row = loadRow(ctx, t, conn, id);
  std::string refusal = t.checkDelete ? t.checkDelete(*ctx.user, id) : "";
  showDelete(ctx, t, row, id, refusal.empty() ? "" : ctx.t(refusal), 200);
}

void deleteSubmit(Ctx& ctx) {
  const Table& t = deletableTable(ctx);
  std::int64_t id = ctx.idParam();
  auto conn = ctx.platform.db.conn();
  db::Row row = loadRow(ctx, t, conn, id);
  std::string refusal = t.checkDelete ? t.checkDelete(*ctx.user, id) : "";
  if (!refusal.empty()) return showDelete(ctx, t, row, id, ctx.t(refusal), 409);
  try {
    db::Tx tx(conn);
    Store(conn, t).remove(id);
    if (t.changed) t.changed(ctx.platform, conn, id);
    tx.commit();
    if (t.committed) t.committed(ctx.platform, id);
  } catch (const std::exception& e) {
    if (violationOf(e) != Violation::ForeignKey) throw;
    return showDelete(ctx, t, row, id, ctx.t("error_admin_delete_referenced"), 409);
  }
  ctx.flash("success", ctx.t("flash_admin_deleted"));
  ctx.redirect(tableUrl(t));
}

}  // namespace

void install(web::Platform& p, std::vector<Table> tables) {
  for (const auto& t : tables) checkDeclaration(t);
  registry = std::move(tables);
  p.get("/admin", indexPage, web::role("admin"));
  p.get("/admin/{table}", listPage, web::role("admin"));
  p.get("/admin/{table}/{id}", rowPage, web::role("admin"));
  p.post("/admin/{table}/{id}", updateSubmit, web::role("admin"));
  p.get("/admin/{table}/{id}/delete", deletePage, web::role("admin"));
  p.post("/admin/{table}/{id}/delete", deleteSubmit, web::role("admin"));
  p.post("/admin/{table}/{id}/{flags}", flagsSubmit, web::role("admin"));
}

}  // namespace mw::admin
