#include "app/demo.h"

#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "app/home.h"
#include "blog/repo.h"
#include "clients/groups.h"
#include "clients/repo.h"
#include "mailings/repo.h"
#include "messages/repo.h"
#include "users/repo.h"

namespace mw::app {
namespace {

// Sample recipients at example.com/.org/.net, reserved by RFC 2606: a demo mailing sent by
// mistake reaches nobody.
std::vector<clients::ImportRow> sampleClients(int n) {
  static const char* const kFirst[] = {
      "Анна",   "Борис", "Вера", "Глеб", "Дарья",  "Егор",  "Жанна", "Захар", "Ирина",  "Кирилл",
      "Лариса", "Марк",  "Нина", "Олег", "Полина", "Роман", "Софья", "Тимур", "Ульяна", "Фёдор"};
  static const char* const kLast[] = {"Иванов",  "Смирнов", "Кузнецов", "Попов",   "Соколов",
                                      "Лебедев", "Козлов",  "Новиков",  "Морозов", "Волков"};
  static const char* const kDomain[] = {"example.com", "example.org", "example.net"};
  std::vector<clients::ImportRow> rows;
  for (int i = 0; i < n; ++i) {
    int f = i % 20, l = (i / 2 + i / 20) % 10;
    bool woman = f % 2 == 0;  // the first names alternate: Анна, Борис, ...
    clients::ImportRow r;
    r.line = i + 1;
    r.fullName = std::string(kFirst[f]) + " " + kLast[l] + (woman ? "а" : "");
    r.email = "client" + std::to_string(i + 1) + "@" + kDomain[i % 3];
    r.comment = i % 7 == 0 ? "VIP" : (i % 5 == 0 ? "Оптовый покупатель" : "");
    rows.push_back(r);
  }
  return rows;
}

struct SampleMessage {
  const char* subject;
  const char* text;
  const char* html;
};

const SampleMessage kMessages[] = {
    {"Скидка 20% на всё до воскресенья",
     "Здравствуйте, {{name}}!\n\nДо воскресенья на всё в нашем магазине скидка 20%.\n"
     "Отписаться: {{unsubscribe_url}}",
     "<p>Здравствуйте, {{name}}!</p><p>До воскресенья на всё в нашем магазине "
     "<strong>скидка 20%</strong>.</p><p><a href=\"https://example.com/sale\">К покупкам</a></p>"
     "<p><small><a href=\"{{unsubscribe_url}}\">Отписаться</a></small></p>"},
    {"Новости недели",
     "Здравствуйте, {{name}}!\n\nСобрали для вас главное за неделю: новинки, статьи и советы.\n"
     "Отписаться: {{unsubscribe_url}}",
     "<h1>Новости недели</h1><p>Здравствуйте, {{name}}! Собрали для вас главное за неделю: "
     "новинки, статьи и советы.</p><p><small><a href=\"{{unsubscribe_url}}\">Отписаться</a>"
     "</small></p>"},
    {"Спасибо за покупку", "{{name}}, спасибо, что выбрали нас! Ваш адрес для писем: {{email}}.",
     "<p>{{name}}, спасибо, что выбрали нас!</p><p>Ваш адрес для писем: {{email}}.</p>"},
};

const char* const kArticles[][2] = {
    {"Как собрать список рассылки с нуля",
     "Начните с тех, кто уже покупал у вас: их адреса есть в заказах. Спрашивайте согласие и "
     "делите клиентов на группы: постоянные покупатели, оптовики, подписчики блога."},
    {"Когда отправлять письма",
     "Разовая рассылка подходит для акции, еженедельная — для новостей. Выберите день и час, "
     "когда ваши клиенты читают почту, и сравните отчёты за месяц."},
};

std::int64_t makeGroup(clients::GroupRepo& groups, std::int64_t owner, const std::string& name,
                       const std::string& description, const std::vector<std::string>& emails) {
  clients::Group g;
  g.ownerId = owner;
  g.name = name;
  g.description = description;
  auto id = groups.create(g);
  groups.addByEmails(owner, id, emails);
  return id;
}

std::int64_t makeMailing(mailings::Repo& repo, std::int64_t owner, const std::string& name,
                         std::int64_t message, std::int64_t startAt, const std::string& period,
                         std::vector<std::int64_t> groups, const std::string& tz) {
  mailings::Mailing m;
  m.ownerId = owner;
  m.name = name;
  m.messageId = message;
  m.startAt = startAt;
  m.periodicity = period;
  m.timezone = tz;
  m.groupIds = std::move(groups);
  m.allClients = m.groupIds.empty();
  mailings::computeSchedule(m, std::time(nullptr));
  return repo.create(m);
}

// Fills the account in one transaction: clients, three groups, three messages, two mailings
// (weekly news from next Monday's 10:00 UTC, a sale in a week) and two published articles.
void fill(db::Conn& c, const users::User& u, int clientCount) {
  db::Tx tx(c);
  auto rows = sampleClients(clientCount);
  clients::Repo(c).insertMany(u.id, rows);
  std::vector<std::string> regular, vip, blog;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i % 3 == 0) regular.push_back(rows[i].email);
    if (rows[i].comment == "VIP") vip.push_back(rows[i].email);
    if (i % 2 == 1) blog.push_back(rows[i].email);
  }
  clients::GroupRepo groups(c);
  auto regularId = makeGroup(groups, u.id, "Постоянные покупатели", "Три заказа и больше", regular);
  makeGroup(groups, u.id, "VIP", "Личные предложения", vip);
  makeGroup(groups, u.id, "Подписчики блога", "Согласились получать новости", blog);
  std::vector<std::int64_t> messageIds;
  messages::Repo messageRepo(c);
  for (const auto& s : kMessages) {
    messages::Message m;
    m.ownerId = u.id;
    m.subject = s.subject;
    m.bodyText = s.text;
    m.bodyHtml = s.html;
    messageIds.push_back(messageRepo.create(m));
  }
  std::int64_t now = std::time(nullptr);
  std::int64_t monday = (now / 86400 + 7 - (now / 86400 + 3) % 7) * 86400 + 10 * 3600;
  std::string tz = u.timezone.empty() ? "UTC" : u.timezone;
  mailings::Repo mailingRepo(c);
  makeMailing(mailingRepo, u.id, "Новости недели", messageIds[1], monday, "weekly", {}, tz);
  makeMailing(mailingRepo, u.id, "Распродажа для постоянных", messageIds[0], now + 7 * 86400,
              "once", {regularId}, tz);
  blog::Repo articles(c);
  for (const auto& a : kArticles) {
    blog::Article art;
    art.authorId = u.id;
    art.title = a[0];
    art.content = a[1];
    art.published = true;
    art.publishedAt = now;
    articles.create(art);
  }
  tx.commit();
}

}  // namespace

int demoCommand(const Config& cfg, db::Database& db, const Args& args) {
  std::string email = args.get("email");
  int count = 60;
  try {
    count = std::stoi(args.get("clients", "60"));
  } catch (const std::exception&) {
    count = -1;
  }
  if (email.empty() || count < 1 || count > 100000) {
    std::cerr << "error: usage: mailwright demo --email E [--clients N (1-100000, default 60)]\n";
    return 2;
  }
  auto c = db.conn();
  auto user = users::Repo(c).byEmail(email);
  if (!user) {
    std::cerr << "error: no user with email " << email
              << " (create one with: mailwright user create --email E --password P)\n";
    return 1;
  }
  // Sample data beside real data would be mixed into real mailings: empty accounts only.
  if (clients::Repo(c).count(user->id, "") > 0 || messages::Repo(c).count(user->id, "") > 0 ||
      mailings::Repo(c).total(user->id) > 0) {
    std::cerr << "error: " << email
              << " already has clients, messages or mailings; demo fills an empty account only\n";
    return 1;
  }
  fill(c, *user, count);
  // A running serve caches the home figures and the blog: drop them there too.
  auto cache = makeCache(cfg.redisUrl, db);
  invalidateHome(*cache);
  cache->bump("blog");
  std::cout << "demo data added to " << email << ": " << count
            << " clients, 3 groups, 3 messages, 2 mailings, 2 articles\n";
  return 0;
}

}  // namespace mw::app
