#include "core/time.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace mw {

std::int64_t nowEpoch() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

// Howard Hinnant's days_from_civil.
std::int64_t daysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civilFromDays(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

int daysInMonth(int year, int month) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return days[(month - 1) % 12];
}

static std::int64_t toSeconds(const LocalDateTime& l) {
  return daysFromCivil(l.year, l.month, l.day) * 86400 + l.hour * 3600 + l.minute * 60 + l.second;
}

static LocalDateTime fromSeconds(std::int64_t s) {
  LocalDateTime l;
  std::int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
  std::int64_t rem = s - days * 86400;
  civilFromDays(days, l.year, l.month, l.day);
  l.hour = static_cast<int>(rem / 3600);
  l.minute = static_cast<int>(rem % 3600 / 60);
  l.second = static_cast<int>(rem % 60);
  return l;
}

// POSIX TZ rule such as "CET-1CEST,M3.5.0,M10.5.0/3".
struct TimeZone::Rule {
  int stdOffset = 0;  // seconds east
  bool hasDst = false;
  int dstOffset = 0;
  struct When {
    char kind = 'M';  // 'M' month/week/day, 'J' julian 1..365 without leap day, 'N' 0..365
    int month = 0, week = 0, wday = 0, day = 0;
    int time = 7200;  // local seconds
  } start, end;

  // The UTC instant of a transition in `year`, given the offset in force before it.
  static std::int64_t instant(const When& w, int year, int offsetBefore) {
    std::int64_t days;
    if (w.kind == 'M') {
      std::int64_t first = daysFromCivil(year, w.month, 1);
      int firstWday = static_cast<int>(((first % 7) + 11) % 7);  // 1970-01-01 was a Thursday
      int day = 1 + (w.wday - firstWday + 7) % 7 + (w.week - 1) * 7;
      while (day > daysInMonth(year, w.month)) day -= 7;
      days = daysFromCivil(year, w.month, day);
    } else if (w.kind == 'J') {
      int d = w.day;
      bool leap = daysInMonth(year, 2) == 29;
      days = daysFromCivil(year, 1, 1) + d - 1 + (leap && d >= 60 ? 1 : 0);
    } else {
      days = daysFromCivil(year, 1, 1) + w.day;
    }
    return days * 86400 + w.time - offsetBefore;
  }

  int offsetAt(std::int64_t utc) const {
    if (!hasDst) return stdOffset;
    int year = fromSeconds(utc + stdOffset).year;
    std::int64_t s = instant(start, year, stdOffset);
    std::int64_t e = instant(end, year, dstOffset);
    bool dst = s < e ? (utc >= s && utc < e) : !(utc >= e && utc < s);
    return dst ? dstOffset : stdOffset;
  }
};

namespace {

struct Reader {
  const std::string& d;
  size_t pos = 0;
  bool ok = true;
  std::int64_t be(int n) {
    if (pos + static_cast<size_t>(n) > d.size()) {
      ok = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(d[pos++]);
    if (n == 4) return static_cast<std::int32_t>(v);
    return static_cast<std::int64_t>(v);
  }
  void skip(size_t n) { pos += n; }
};

// [+-]hh[:mm[:ss]] -> seconds
bool parseHms(const std::string& s, size_t& i, int& out) {
  int sign = 1;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
  int parts[3] = {0, 0, 0};
  for (int p = 0; p < 3; ++p) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (p == 0) return false;
      break;
    }
    int v = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      v = v * 10 + (s[i++] - '0');
    parts[p] = v;
    if (i < s.size() && s[i] == ':' && p < 2)
      ++i;
    else
      break;
  }
  out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return true;
}

bool parseName(const std::string& s, size_t& i) {
  if (i < s.size() && s[i] == '<') {
    auto close = s.find('>', i);
    if (close == std::string::npos) return false;
    i = close + 1;
    return true;
  }
  size_t start = i;
  while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
  return i - start >= 3;
}

bool parseWhen(const std::string& s, size_t& i, TimeZone::Rule::When& w) {
  if (i >= s.size()) return false;
  if (s[i] == 'M') {
    w.kind = 'M';
    ++i;
    int vals[3];
    for (int k = 0; k < 3; ++k) {
      int v = 0;
      if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
        v = v * 10 + (s[i++] - '0');
      vals[k] = v;
      if (k < 2) {
        if (i >= s.size() || s[i] != '.') return false;
        ++i;
      }
    }
    w.month = vals[0];
    w.week = vals[1];
    w.wday = vals[2];
    if (w.month < 1 || w.month > 12 || w.week < 1 || w.week > 5 || w.wday > 6) return false;
  } else {
    w.kind = s[i] == 'J' ? 'J' : 'N';
    if (s[i] == 'J') ++i;
    int v = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      v = v * 10 + (s[i++] - '0');
    w.day = v;
  }
  if (i < s.size() && s[i] == '/') {
    ++i;
    if (!parseHms(s, i, w.time)) return false;
  }
  return true;
}

std::shared_ptr<TimeZone::Rule> parseRule(const std::string& s) {
  auto r = std::make_shared<TimeZone::Rule>();
  size_t i = 0;
  if (!parseName(s, i)) return nullptr;
  int off = 0;
  if (!parseHms(s, i, off)) return nullptr;
  r->stdOffset = -off;
  if (i >= s.size()) return r;
  if (!parseName(s, i)) return nullptr;
  r->hasDst = true;
  r->dstOffset = r->stdOffset + 3600;
  if (i < s.size() && s[i] != ',') {
    if (!parseHms(s, i, off)) return nullptr;
    r->dstOffset = -off;
  }
  if (i >= s.size() || s[i] != ',') return nullptr;
  ++i;
  if (!parseWhen(s, i, r->start)) return nullptr;
  if (i >= s.size() || s[i] != ',') return nullptr;
  ++i;
  if (!parseWhen(s, i, r->end)) return nullptr;
  return r;
}

bool validName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '/' || name.find("..") != std::string::npos)
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' &&
        c != '+')
      return false;
  return true;
}

}  // namespace

std::shared_ptr<TimeZone> loadZone(const std::string& name) {
  auto tz = std::make_shared<TimeZone>();
  tz->name_ = name;
  if (name == "UTC" || name == "Etc/UTC") return tz;
  if (!validName(name)) return nullptr;
  // A directory (America, posix) opens like a file, and reading it throws.
  std::error_code ec;
  if (!std::filesystem::is_regular_file("/usr/share/zoneinfo/" + name, ec)) return nullptr;
  std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
  if (!in) return nullptr;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < 44 || data.compare(0, 4, "TZif") != 0) return nullptr;
  Reader r{data};
  auto readHeader = [&](std::int64_t counts[6]) {
    r.skip(20);
    for (int i = 0; i < 6; ++i) counts[i] = r.be(4);
  };
  std::int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  readHeader(c);
  int timeSize = 4;
  if (data[4] >= '2') {
    // Skip the v1 block; the v2 block has 64-bit times.
    r.skip(static_cast<size_t>(c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]));
    readHeader(c);
    timeSize = 8;
  }
  std::vector<std::int64_t> times(static_cast<size_t>(c[3]));
  for (auto& t : times) t = r.be(timeSize);
  std::vector<int> idx(static_cast<size_t>(c[3]));
  for (auto& i : idx) i = static_cast<int>(r.be(1));
  std::vector<int> offsets(static_cast<size_t>(c[4]));
  std::vector<bool> isDst(static_cast<size_t>(c[4]));
  for (size_t i = 0; i < offsets.size(); ++i) {
    offsets[i] = static_cast<int>(r.be(4));
    isDst[i] = r.be(1) != 0;
    r.skip(1);
  }
  r.skip(static_cast<size_t>(c[5] + c[2] * (timeSize + 4) + c[1] + c[0]));
  if (!r.ok || offsets.empty()) return nullptr;
  tz->initialOffset_ = offsets[0];
  for (size_t i = 0; i < offsets.size(); ++i)
    if (!isDst[i]) {
      tz->initialOffset_ = offsets[i];
      break;
    }
  tz->transitions_ = times;
  for (int i : idx)
    tz->transitionOffsets_.push_back(i < static_cast<int>(offsets.size()) ? offsets[i] : 0);
  if (timeSize == 8 && r.pos < data.size() && data[r.pos] == '\n') {
    auto endPos = data.find('\n', r.pos + 1);
    if (endPos != std::string::npos) {
      std::string footer = data.substr(r.pos + 1, endPos - r.pos - 1);
      if (!footer.empty()) tz->rule_ = parseRule(footer);
    }
  }
  return tz;
}

std::shared_ptr<const TimeZone> TimeZone::get(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const TimeZone>> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  std::shared_ptr<const TimeZone> tz = loadZone(name);
  if (cache.size() < 1000) cache[name] = tz;
  return tz;
}

int TimeZone::offsetAt(std::int64_t utc) const {
  if (transitions_.empty() || utc >= transitions_.back()) {
    if (rule_) return rule_->offsetAt(utc);
    if (transitions_.empty()) return initialOffset_;
    return transitionOffsets_.back();
  }
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc);
  if (it == transitions_.begin()) return initialOffset_;
  return transitionOffsets_[static_cast<size_t>(it - transitions_.begin() - 1)];
}

std::int64_t TimeZone::toUtc(const LocalDateTime& local) const {
  std::int64_t l = toSeconds(local);
  int before = offsetAt(l - 86400 - 14 * 3600);
  int after = offsetAt(l + 86400 + 14 * 3600);
  std::optional<std::int64_t> best;
  for (int o : {before, after, offsetAt(l)}) {
    std::int64_t candidate = l - o;
    if (offsetAt(candidate) == o && (!best || candidate < *best)) best = candidate;
  }
  if (best) return *best;
  return l - before;  // in a gap: the same clock reading under the old offset, i.e. later
}

LocalDateTime toLocal(std::int64_t utc, const TimeZone& tz) {
  return fromSeconds(utc + tz.offsetAt(utc));
}

std::vector<std::string> commonTimeZones() {
  static const std::vector<std::string> candidates{"UTC",
                                                   "Europe/Kaliningrad",
                                                   "Europe/Moscow",
                                                   "Europe/Samara",
                                                   "Asia/Yekaterinburg",
                                                   "Asia/Omsk",
                                                   "Asia/Novosibirsk",
                                                   "Asia/Krasnoyarsk",
                                                   "Asia/Irkutsk",
                                                   "Asia/Yakutsk",
                                                   "Asia/Vladivostok",
                                                   "Asia/Magadan",
                                                   "Asia/Kamchatka",
                                                   "Europe/Minsk",
                                                   "Europe/Kyiv",
                                                   "Europe/Kiev",
                                                   "Europe/Riga",
                                                   "Europe/Vilnius",
                                                   "Europe/Tallinn",
                                                   "Asia/Almaty",
                                                   "Asia/Tashkent",
                                                   "Asia/Bishkek",
                                                   "Asia/Dushanbe",
                                                   "Asia/Tbilisi",
                                                   "Asia/Yerevan",
                                                   "Asia/Baku",
                                                   "Europe/Chisinau",
                                                   "Europe/Istanbul",
                                                   "Europe/London",
                                                   "Europe/Berlin",
                                                   "Europe/Paris",
                                                   "Europe/Warsaw",
                                                   "America/New_York",
                                                   "America/Chicago",
                                                   "America/Los_Angeles",
                                                   "Asia/Dubai",
                                                   "Asia/Tokyo",
                                                   "Asia/Shanghai",
                                                   "Australia/Sydney"};
  static const std::vector<std::string> present = [] {
    std::vector<std::string> out;
    bool haveKyiv = std::filesystem::exists("/usr/share/zoneinfo/Europe/Kyiv");
    for (const auto& z : candidates) {
      if (z == "Europe/Kiev" && haveKyiv) continue;
      if (z == "UTC" || std::filesystem::exists("/usr/share/zoneinfo/" + z)) out.push_back(z);
    }
    return out;
  }();
  return present;
}

std::string formatIso8601(std::int64_t utc, const TimeZone& tz) {
  int off = tz.offsetAt(utc);
  auto l = fromSeconds(utc + off);
  char b[64];
  int a = std::abs(off);
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", l.year, l.month, l.day,
                l.hour, l.minute, l.second, off < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
  return b;
}

namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// YYYY-MM-DD[T ]HH:MM[:SS][.fff]; returns the position after it.
std::optional<size_t> parseDateTime(std::string_view s, LocalDateTime& l) {
  if (!digits(s, 0, 4, l.year) || s.size() < 16 || s[4] != '-' || !digits(s, 5, 2, l.month) ||
      s[7] != '-' || !digits(s, 8, 2, l.day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(s, 11, 2, l.hour) || s[13] != ':' || !digits(s, 14, 2, l.minute))
    return std::nullopt;
  size_t pos = 16;
  l.second = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!digits(s, pos + 1, 2, l.second)) return std::nullopt;
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      size_t start = pos;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
      if (pos == start) return std::nullopt;
    }
  }
  if (l.year < 1900 || l.year > 9999 || l.month < 1 || l.month > 12 || l.day < 1 ||
      l.day > daysInMonth(l.year, l.month) || l.hour > 23 || l.minute > 59 || l.second > 59)
    return std::nullopt;
  return pos;
}

}  // namespace

std::optional<std::int64_t> parseIso8601(std::string_view s) {
  LocalDateTime l;
  auto pos = parseDateTime(s, l);
  if (!pos) return std::nullopt;
  size_t i = *pos;
  if (i >= s.size()) return std::nullopt;
  int off = 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    int sign = s[i] == '-' ? -1 : 1, h = 0, m = 0;
    if (!digits(s, i + 1, 2, h)) return std::nullopt;
    i += 3;
    if (i < s.size() && s[i] == ':') ++i;
    if (!digits(s, i, 2, m)) return std::nullopt;
    i += 2;
    if (h > 23 || m > 59) return std::nullopt;
    off = sign * (h * 3600 + m * 60);
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return toSeconds(l) - off;
}

std::optional<LocalDateTime> parseLocalDateTime(std::string_view s) {
  LocalDateTime l;
  auto pos = parseDateTime(s, l);
  if (!pos || *pos != s.size()) return std::nullopt;
  return l;
}

std::string formatLocalInput(std::int64_t utc, const TimeZone& tz) {
  auto l = toLocal(utc, tz);
  char b[32];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d", l.year, l.month, l.day, l.hour, l.minute);
  return b;
}

std::string formatHuman(std::int64_t utc, const TimeZone& tz) {
  auto l = toLocal(utc, tz);
  char b[48];  // room for any int the format could print, so GCC sees no truncation
  std::snprintf(b, sizeof b, "%02d.%02d.%d %02d:%02d", l.day, l.month, l.year, l.hour, l.minute);
  return b;
}

std::string rfc5322Date(std::int64_t utc) {
  static const char* days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto l = fromSeconds(utc);
  std::int64_t d = utc >= 0 ? utc / 86400 : (utc - 86399) / 86400;
  char b[64];
  std::snprintf(b, sizeof b, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[((d % 7) + 7) % 7],
                l.day, months[l.month - 1], l.year, l.hour, l.minute, l.second);
  return b;
}

}  // namespace mw
