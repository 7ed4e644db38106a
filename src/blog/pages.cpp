#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <ctime>
#include <random>
#include <sstream>

#include "blog/content.h"
#include "blog/module.h"
#include "blog/repo.h"
#include "blog/views.h"
#include "core/mailer.h"
#include "core/uploads.h"
#include "users/repo.h"
#include "web/form.h"
#include "web/format.h"
#include "web/guards.h"
#include "web/pager.h"

namespace mw::blog {
namespace {

using web::Ctx;
using web::Data;
using web::FormState;
using web::HttpError;

constexpr std::size_t kMaxImage = 5 * 1024 * 1024;
constexpr int kCacheTtl = 300;
// Decoded copies in this process (DecodedMemo); short, so that a memo never outlives by much
// the cached value it was decoded from.
constexpr int kMemoTtl = 30;

bool editor(const Ctx& ctx) {
  return ctx.user && ctx.user->has("content_manager");
}

Poco::JSON::Object::Ptr toJson(Ctx& ctx, const Article& a) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("id", a.id);
  o->set("title", a.title);
  o->set("content", a.content);
  o->set("image_url", a.image.empty() ? std::string() : "/media/" + a.image);
  o->set("views", a.views);
  o->set("published_at", a.publishedAt ? Poco::Dynamic::Var(web::isoTime(ctx, a.publishedAt))
                                       : Poco::Dynamic::Var());
  o->set("is_published", a.published);
  return o;
}

Article fromJson(const Poco::JSON::Object::Ptr& o) {
  Article a;
  a.id = o->getValue<std::int64_t>("id");
  a.title = o->getValue<std::string>("title");
  a.content = o->getValue<std::string>("content");
  a.image = o->getValue<std::string>("image");
  a.published = o->getValue<bool>("published");
  if (o->has("published_at") && !o->get("published_at").isEmpty())
    a.publishedAt = o->getValue<std::int64_t>("published_at");
  a.views = o->optValue<std::int64_t>("views", 0);
  a.authorId = o->optValue<std::int64_t>("author_id", 0);
  a.createdAt = o->optValue<std::int64_t>("created_at", 0);
  a.updatedAt = o->optValue<std::int64_t>("updated_at", 0);
  return a;
}

std::string serialize(const Article& a) {
  Poco::JSON::Object o;
  o.set("id", a.id);
  o.set("title", a.title);
  o.set("content", a.content);
  o.set("image", a.image);
  o.set("published", a.published);
  if (a.publishedAt) o.set("published_at", *a.publishedAt);
  o.set("views", a.views);
  o.set("author_id", a.authorId);
  o.set("created_at", a.createdAt);
  o.set("updated_at", a.updatedAt);
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

std::vector<Article> parseList(const std::string& s) {
  std::vector<Article> out;
  auto arr = Poco::JSON::Parser().parse(s).extract<Poco::JSON::Array::Ptr>();
  for (size_t i = 0; i < arr->size(); ++i) out.push_back(fromJson(arr->getObject(unsigned(i))));
  return out;
}

std::string serializeList(const std::vector<Article>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) {
    // Appended piecewise: `(i ? "," : "") + serialize(...)` trips GCC 12's false -Wrestrict at -O3.
    if (i) out += ',';
    out += serialize(list[i]);
  }
  out += ']';
  return out;
}

// Published articles for visitors come from the cache; editors always read the database.
std::vector<Article> cachedList(Ctx& ctx, int offset, int limit, std::int64_t& total) {
  auto& cache = *ctx.platform.cache;
  std::string key =
      cache.key("blog", "list:" + std::to_string(offset) + ":" + std::to_string(limit));
  std::string totalKey = cache.key("blog", "count");
  static DecodedMemo<std::pair<std::int64_t, std::vector<Article>>> memo(kMemoTtl);
  if (!editor(ctx)) {
    if (auto page = memo.get(key)) {
      total = page->first;
      return page->second;
    }
    auto hit = cache.get(key);
    auto hitTotal = cache.get(totalKey);
    if (hit && hitTotal) {
      total = std::stoll(*hitTotal);
      auto page = std::make_shared<const std::pair<std::int64_t, std::vector<Article>>>(
          total, parseList(*hit));
      memo.put(key, page);
      return page->second;
    }
  }
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  total = repo.count(editor(ctx));
  auto list = repo.list(editor(ctx), offset, limit);
  if (!editor(ctx)) {
    cache.set(key, serializeList(list), kCacheTtl);
    cache.set(totalKey, std::to_string(total), kCacheTtl);
  }
  return list;
}

std::optional<Article> cachedArticle(Ctx& ctx, std::int64_t id) {
  auto& cache = *ctx.platform.cache;
  if (editor(ctx)) {
    auto c = ctx.platform.db.conn();
    return Repo(c).get(id, true);
  }
  std::string key = cache.key("blog", "article:" + std::to_string(id));
  if (auto hit = cache.get(key)) {
    if (*hit == "-") return std::nullopt;
    return fromJson(Poco::JSON::Parser().parse(*hit).extract<Poco::JSON::Object::Ptr>());
  }
  auto c = ctx.platform.db.conn();
  auto a = Repo(c).get(id, false);
  cache.set(key, a ? serialize(*a) : "-", kCacheTtl);
  return a;
}

void invalidate(Ctx& ctx) {
  ctx.platform.cache->bump("blog");
}

Data cardData(Ctx& ctx, const Article& a) {
  Data d;
  d.set("id", std::to_string(a.id));
  d.set("title", a.title);
  d.set("excerpt", excerpt(a.content, 180));
  d.set("image_url", a.image.empty() ? std::string() : "/media/" + a.image);
  d.set("published", a.published);
  d.set("date", web::humanTime(ctx, a.publishedAt ? a.publishedAt : a.createdAt));
  return d;
}

void listPage(Ctx& ctx) {
  auto pager = web::Pager::from(ctx, 9);
  auto list = cachedList(ctx, pager.offset(), pager.perPage, pager.total);
  Data items(Data::type::list);
  for (const auto& a : list) items.push_back(cardData(ctx, a));
  Data d;
  d.set("title", ctx.t("blog_title"));
  d.set("items", items);
  d.set("has_items", !list.empty());
  d.set("editor", editor(ctx));
  d.set("pagination", pager.toData("/blog"));
  ctx.html("blog/list", d);
}

void articlePage(Ctx& ctx) {
  auto a = cachedArticle(ctx, ctx.idParam());
  if (!a) throw HttpError(404, ctx.t("error_not_found"));
  std::int64_t views = a->views;
  if (a->published && ctx.method() == "GET")  // a HEAD request is nobody reading it
    views = countView(ctx, a->id, views);
  Data d = cardData(ctx, *a);
  d.set("title", a->title);
  d.set("body", renderContent(a->content));
  d.set("views", std::to_string(views));
  d.set("views_word", ctx.tn("article_views", views));
  d.set("editor", editor(ctx));
  ctx.html("blog/article", d);
}

FormState check(Ctx& ctx, const Article& a) {
  FormState f;
  f.set("title", a.title);
  f.set("content", a.content);
  if (a.title.empty())
    f.error("title", ctx.t("error_required"));
  else if (web::utf8Length(a.title) > 200)
    f.error("title", ctx.t("error_too_long"));
  if (a.content.empty())
    f.error("content", ctx.t("error_required"));
  else if (a.content.size() > 200000)
    f.error("content", ctx.t("error_too_long"));
  return f;
}

void showForm(Ctx& ctx, const Article& a, const FormState& f, bool isNew, int status) {
  Data d;
  d.set("title", ctx.t(isNew ? "article_new_title" : "article_edit_title"));
  d.set("form", f.toData());
  d.set("is_new", isNew);
  d.set("id", std::to_string(a.id));
  d.set("published", a.published);
  d.set("image_url", a.image.empty() ? std::string() : "/media/" + a.image);
  d.set("action", isNew ? std::string("/blog") : "/blog/" + std::to_string(a.id));
  ctx.html("blog/form", d, status);
}

// Validates and stores an uploaded image; false (with a field error) when it is not acceptable.
// A newly saved image goes to `up`, with the file it replaces (removed once the row is saved).
struct Upload {
  bool saved = false;
  std::string replaced;
};

bool takeImage(Ctx& ctx, Article& a, FormState& f, Upload& up) {
  const web::UploadedFile* file = ctx.file("image");
  if (!file || (file->bytes.empty() && file->filename.empty())) return true;
  std::optional<std::string> ext;
  if (file->truncated || file->bytes.size() > kMaxImage)
    f.error("image", ctx.t("error_file_too_large"));
  else if (!(ext = imageExtension(file->bytes)))
    f.error("image", ctx.t("error_not_image"));
  if (!f.ok()) return false;
  up.replaced = a.image;
  up.saved = true;
  a.image = saveUpload(ctx.platform.cfg.dataDir, "articles", file->bytes, *ext);
  return true;
}

// Creates (id 0) or updates the row; a new upload is removed again when that fails, the file it
// replaces only once the row no longer names it. Returns the id.
std::int64_t store(Ctx& ctx, Article& a, const Upload& up) {
  const std::string& dir = ctx.platform.cfg.dataDir;
  try {
    auto c = ctx.platform.db.conn();
    if (a.id)
      Repo(c).update(a);
    else
      a.id = Repo(c).create(a);
  } catch (...) {
    if (up.saved) removeUpload(dir, a.image);
    throw;
  }
  if (up.saved) removeUpload(dir, up.replaced);
  return a.id;
}

void fromForm(Ctx& ctx, Article& a) {
  a.title = web::clean(ctx.form("title"));
  a.content = web::clean(ctx.form("content"), true);
  bool publish = !ctx.form("is_published").empty();
  if (publish && !a.published) a.publishedAt = std::time(nullptr);
  a.published = publish;
}

void newPage(Ctx& ctx) {
  showForm(ctx, Article(), FormState(), true, 200);
}

void createSubmit(Ctx& ctx) {
  Article a;
  a.authorId = ctx.user->id;
  fromForm(ctx, a);
  auto f = check(ctx, a);
  Upload up;
  if (!f.ok() || !takeImage(ctx, a, f, up)) return showForm(ctx, a, f, true, 422);
  store(ctx, a, up);
  invalidate(ctx);
  ctx.flash("success", ctx.t("flash_article_created"));
  ctx.redirect("/blog/" + std::to_string(a.id));
}

Article loadForEdit(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  auto a = Repo(c).get(ctx.idParam(), true);
  if (!a) throw HttpError(404, ctx.t("error_not_found"));
  return *a;
}

void editPage(Ctx& ctx) {
  Article a = loadForEdit(ctx);
  FormState f;
  f.set("title", a.title);
  f.set("content", a.content);
  showForm(ctx, a, f, false, 200);
}

void updateSubmit(Ctx& ctx) {
  Article a = loadForEdit(ctx);
  fromForm(ctx, a);
  auto f = check(ctx, a);
  Upload up;
  if (!f.ok() || !takeImage(ctx, a, f, up)) return showForm(ctx, a, f, false, 422);
  store(ctx, a, up);
  invalidate(ctx);
  ctx.flash("success", ctx.t("flash_article_saved"));
  ctx.redirect("/blog/" + std::to_string(a.id));
}

void setPublished(Ctx& ctx, bool published) {
  Article a = loadForEdit(ctx);
  if (published && !a.published) a.publishedAt = std::time(nullptr);
  a.published = published;
  auto c = ctx.platform.db.conn();
  Repo(c).update(a);
  invalidate(ctx);
  ctx.flash("success", ctx.t(published ? "flash_article_published" : "flash_article_unpublished"));
  ctx.redirect("/blog/" + std::to_string(a.id));
}

void deleteSubmit(Ctx& ctx) {
  Article a = loadForEdit(ctx);
  auto c = ctx.platform.db.conn();
  Repo(c).remove(a.id);
  removeUpload(ctx.platform.cfg.dataDir, a.image);
  invalidate(ctx);
  ctx.flash("success", ctx.t("flash_article_deleted"));
  ctx.redirect("/blog");
}

// API

void apiList(Ctx& ctx) {
  auto pager = web::Pager::from(ctx, 20);
  auto list = cachedList(ctx, pager.offset(), pager.perPage, pager.total);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const auto& a : list) items->add(toJson(ctx, a));
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("items", items);
  o->set("total", pager.total);
  ctx.json(o);
}

void apiGet(Ctx& ctx) {
  auto a = cachedArticle(ctx, ctx.idParam());
  if (!a) throw HttpError(404, "error_not_found");
  if (a->published) a->views = countView(ctx, a->id, a->views);
  ctx.json(toJson(ctx, *a));
}

// A field of an API request that is either JSON or multipart/form-data (the way to send an
// image). Form values are text; "true"/"1"/"on" and "false"/"0"/"" stand for booleans.
bool isMultipart(const Ctx& ctx) {
  return ctx.req.getContentType().rfind("multipart/form-data", 0) == 0;
}

void applyPublished(Article& a, bool publish) {
  if (publish && !a.published) a.publishedAt = std::time(nullptr);
  a.published = publish;
}

void readMultipart(Ctx& ctx, Article& a, FormState& types) {
  if (ctx.hasForm("title")) a.title = web::clean(ctx.form("title"));
  if (ctx.hasForm("content")) a.content = web::clean(ctx.form("content"), true);
  if (ctx.hasForm("is_published")) {
    std::string v = ctx.form("is_published");
    if (v == "true" || v == "1" || v == "on")
      applyPublished(a, true);
    else if (v == "false" || v == "0" || v.empty())
      applyPublished(a, false);
    else
      types.error("is_published", "must be true or false");
  }
}

void readJson(Ctx& ctx, Article& a, FormState& types) {
  auto body = ctx.jsonBody();
  for (const char* key : {"title", "content"}) {
    if (!body->has(key)) continue;
    auto v = body->get(key);
    if (!v.isString()) {
      types.error(key, "must be a string");
      continue;
    }
    if (std::string(key) == "title")
      a.title = web::clean(v.extract<std::string>());
    else
      a.content = web::clean(v.extract<std::string>(), true);
  }
  if (body->has("is_published")) {
    auto v = body->get("is_published");
    if (!v.isBoolean())
      types.error("is_published", "must be true or false");
    else
      applyPublished(a, v.extract<bool>());
  }
}

// Applies the request to the article and saves an uploaded image; answers 422 and returns false
// when something is wrong (nothing is written then).
bool applyRequest(Ctx& ctx, Article& a, Upload& up) {
  FormState types;
  if (isMultipart(ctx))
    readMultipart(ctx, a, types);
  else
    readJson(ctx, a, types);
  if (!types.ok()) {
    ctx.json(types.toJson(), 422);
    return false;
  }
  auto f = check(ctx, a);
  if (!f.ok() || (isMultipart(ctx) && !takeImage(ctx, a, f, up))) {
    ctx.json(f.toJson(), 422);
    return false;
  }
  return true;
}

void apiCreate(Ctx& ctx) {
  Article a;
  a.authorId = ctx.user->id;
  Upload up;
  if (!applyRequest(ctx, a, up)) return;
  store(ctx, a, up);
  invalidate(ctx);
  auto c = ctx.platform.db.conn();
  ctx.json(toJson(ctx, *Repo(c).get(a.id, true)), 201);
}

void apiPatch(Ctx& ctx) {
  Article a = loadForEdit(ctx);
  Upload up;
  if (!applyRequest(ctx, a, up)) return;
  store(ctx, a, up);
  invalidate(ctx);
  auto c = ctx.platform.db.conn();
  ctx.json(toJson(ctx, *Repo(c).get(a.id, true)));
}

void apiDelete(Ctx& ctx) {
  Article a = loadForEdit(ctx);
  auto c = ctx.platform.db.conn();
  Repo(c).remove(a.id);
  removeUpload(ctx.platform.cfg.dataDir, a.image);
  invalidate(ctx);
  ctx.noContent();
}

// Contact form

constexpr int kContactsPerHour = 5;

void contactPage(Ctx& ctx) {
  FormState f;
  if (ctx.user) {
    f.set("name", ctx.user->displayName);
    f.set("email", ctx.user->email);
  }
  Data d;
  d.set("title", ctx.t("contact_title"));
  d.set("form", f.toData());
  ctx.html("blog/contact", d);
}

void contactSubmit(Ctx& ctx) {
  FormState f;
  std::string name = web::clean(ctx.form("name"));
  std::string email = web::clean(ctx.form("email"));
  std::string message = web::clean(ctx.form("message"), true);
  f.set("name", name);
  f.set("email", email);
  f.set("message", message);
  if (name.empty())
    f.error("name", ctx.t("error_required"));
  else if (web::utf8Length(name) > 150)
    f.error("name", ctx.t("error_too_long"));
  if (email.empty())
    f.error("email", ctx.t("error_required"));
  else if (email.size() > 254 || email.find('@') == std::string::npos ||
           email.find(' ') != std::string::npos)
    f.error("email", ctx.t("error_email_invalid"));
  if (message.empty())
    f.error("message", ctx.t("error_required"));
  else if (web::utf8Length(message) > 5000)
    f.error("message", ctx.t("error_too_long"));
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  bool limited =
      f.ok() && repo.recentContacts(ctx.clientIp(), std::time(nullptr) - 3600) >= kContactsPerHour;
  if (limited) f.error("message", ctx.t("error_contact_rate_limited"));
  if (!f.ok()) {
    Data d;
    d.set("title", ctx.t("contact_title"));
    d.set("form", f.toData());
    return ctx.html("blog/contact", d, limited ? 429 : 422);
  }
  std::optional<std::int64_t> userId;
  if (ctx.user) userId = ctx.user->id;
  std::int64_t id = repo.saveContact(name, email, message, ctx.clientIp(), userId);
  Mailer mailer(ctx.platform.cfg, ctx.platform.mailRoad);
  bool mailed = false;
  for (const auto& admin : users::Repo(c).adminEmails()) {
    auto r = mailer.send(admin, "", "Mailwright: " + ctx.t("contact_mail_subject") + " — " + name,
                         name + " <" + email + ">\n\n" + message, "", {name, email});
    mailed = mailed || r.ok;
  }
  if (mailed) repo.markContactMailed(id);
  ctx.flash("success", ctx.t("flash_contact_sent"));
  ctx.redirect("/contact");
}

}  // namespace

std::vector<web::Data> homeArticles(web::Ctx& ctx, int n) {
  auto& cache = *ctx.platform.cache;
  std::string key = cache.key("blog", "home-pool");
  static DecodedMemo<std::vector<Article>> memo(kMemoTtl);
  std::vector<Article> pool;
  if (auto decoded = memo.get(key)) {
    pool = *decoded;
  } else if (auto hit = cache.get(key)) {
    pool = parseList(*hit);
    memo.put(key, std::make_shared<const std::vector<Article>>(pool));
  } else {
    auto c = ctx.platform.db.conn();
    pool = Repo(c).randomPublished(50);
    cache.set(key, serializeList(pool), kCacheTtl);
  }
  static thread_local std::mt19937 rng(std::random_device{}());
  std::shuffle(pool.begin(), pool.end(), rng);
  std::vector<web::Data> out;
  for (int i = 0; i < n && i < static_cast<int>(pool.size()); ++i)
    out.push_back(cardData(ctx, pool[i]));
  return out;
}

void install(web::Platform& p) {
  p.get("/blog", listPage);
  p.get("/blog/new", newPage, web::role("content_manager"));
  p.post("/blog", createSubmit, web::role("content_manager"));
  p.get("/blog/{id}", articlePage);
  p.get("/blog/{id}/edit", editPage, web::role("content_manager"));
  p.post("/blog/{id}", updateSubmit, web::role("content_manager"));
  p.post(
      "/blog/{id}/publish", [](Ctx& ctx) { setPublished(ctx, true); },
      web::role("content_manager"));
  p.post(
      "/blog/{id}/unpublish", [](Ctx& ctx) { setPublished(ctx, false); },
      web::role("content_manager"));
  p.post("/blog/{id}/delete", deleteSubmit, web::role("content_manager"));
  p.get("/api/v1/articles", apiList);
  p.post("/api/v1/articles", apiCreate, web::role("content_manager"));
  p.get("/api/v1/articles/{id}", apiGet);
  p.patch("/api/v1/articles/{id}", apiPatch, web::role("content_manager"));
  p.del("/api/v1/articles/{id}", apiDelete, web::role("content_manager"));
  p.get("/contact", contactPage);
  p.post("/contact", contactSubmit);
}

}  // namespace mw::blog
