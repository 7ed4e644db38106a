#include "core/metrics.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mw::metrics {

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  if (bounds_.size() > kMaxBuckets) throw std::invalid_argument("too many histogram buckets");
  if (!std::is_sorted(bounds_.begin(), bounds_.end()))
    throw std::invalid_argument("histogram bounds must ascend");
}

void Histogram::observe(double v) {
  // `le` is inclusive: a value equal to a bound belongs to that bound's bucket.
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

void CodeCounter::inc(int code) {
  for (std::size_t i = 0; i < kSlots; ++i) {
    int seen = codes_[i].load(std::memory_order_acquire);
    if (seen == 0) {
      int expected = 0;
      if (codes_[i].compare_exchange_strong(expected, code, std::memory_order_acq_rel))
        seen = code;
      else
        seen = expected;  // another thread claimed the slot first: maybe for this code
    }
    if (seen == code) {
      counts_[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  overflow_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::pair<int, std::uint64_t>> CodeCounter::values() const {
  std::vector<std::pair<int, std::uint64_t>> out;
  for (std::size_t i = 0; i < kSlots; ++i) {
    int code = codes_[i].load(std::memory_order_acquire);
    if (code != 0) out.emplace_back(code, counts_[i].load(std::memory_order_relaxed));
  }
  std::sort(out.begin(), out.end());
  if (auto n = overflow_.load(std::memory_order_relaxed)) out.emplace_back(0, n);
  return out;
}

std::string escapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string labels(const std::vector<std::string>& names, const std::vector<std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (i) out += ',';
    out += names[i] + "=\"" + escapeLabel(values[i]) + "\"";
  }
  return out;
}

std::string formatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

void Writer::family(std::string_view name, std::string_view help, std::string_view type) {
  // HELP text escapes backslash and newline only (exposition format 0.0.4).
  std::string h;
  for (char c : help) h += c == '\\' ? "\\\\" : c == '\n' ? "\\n" : std::string(1, c);
  out_.append("# HELP ").append(name).append(" ").append(h).append("\n");
  out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Writer::sample(std::string_view name, std::string_view labels, double value) {
  out_.append(name);
  if (!labels.empty()) out_.append("{").append(labels).append("}");
  out_.append(" ").append(formatNumber(value)).append("\n");
}

void Writer::sample(std::string_view name, std::string_view labels, std::uint64_t value) {
  out_.append(name);
  if (!labels.empty()) out_.append("{").append(labels).append("}");
  out_.append(" ").append(std::to_string(value)).append("\n");
}

const char* typeOf(const Counter*) {
  return "counter";
}
const char* typeOf(const Histogram*) {
  return "histogram";
}
const char* typeOf(const CodeCounter*) {
  return "counter";
}

void renderChild(Writer& w, const std::string& name, const std::string& labels, const Counter& c) {
  w.sample(name, labels, c.value());
}

void renderChild(Writer& w, const std::string& name, const std::string& labels,
                 const Histogram& h) {
  auto counts = h.cumulative();
  const std::string sep = labels.empty() ? "" : ",";
  for (std::size_t i = 0; i < counts.size(); ++i) {
    std::string le = i < h.bounds().size() ? formatNumber(h.bounds()[i]) : "+Inf";
    w.sample(name + "_bucket", labels + sep + "le=\"" + le + "\"", counts[i]);
  }
  w.sample(name + "_sum", labels, h.sum());
  // The count is the +Inf bucket, read once: the two always agree in one scrape.
  w.sample(name + "_count", labels, counts.back());
}

void renderChild(Writer& w, const std::string& name, const std::string& labels,
                 const CodeCounter& c) {
  const std::string sep = labels.empty() ? "" : ",";
  for (const auto& [code, n] : c.values()) {
    std::string status = code ? std::to_string(code) : "other";
    w.sample(name, labels + sep + "status=\"" + status + "\"", n);
  }
}

FamilyBase& Registry::add(std::unique_ptr<FamilyBase> f) {
  std::lock_guard lock(mutex_);
  auto& slot = families_[f->name()];
  if (!slot) slot = std::move(f);
  return *slot;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> labelNames) {
  auto& f = add(std::make_unique<Family<Counter>>(name, help, std::move(labelNames),
                                                  [] { return std::make_unique<Counter>(); }));
  return dynamic_cast<Family<Counter>&>(f);
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<std::string> labelNames,
                                       std::vector<double> bounds) {
  Histogram check(bounds);  // throws here, at registration, rather than at the first observation
  auto& f = add(std::make_unique<Family<Histogram>>(
      name, help, std::move(labelNames), [bounds] { return std::make_unique<Histogram>(bounds); }));
  return dynamic_cast<Family<Histogram>&>(f);
}

Family<CodeCounter>& Registry::codes(const std::string& name, const std::string& help,
                                     std::vector<std::string> labelNames) {
  auto& f = add(std::make_unique<Family<CodeCounter>>(
      name, help, std::move(labelNames), [] { return std::make_unique<CodeCounter>(); }));
  return dynamic_cast<Family<CodeCounter>&>(f);
}

std::uint64_t Registry::addCollector(CollectFn fn) {
  std::lock_guard lock(mutex_);
  collectors_[nextId_] = std::move(fn);
  return nextId_++;
}

void Registry::removeCollector(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  collectors_.erase(id);
}

std::string Registry::render() const {
  Writer w;
  std::lock_guard lock(mutex_);
  for (const auto& [name, f] : families_) f->render(w);
  for (const auto& [id, fn] : collectors_) {
    Writer part;
    try {
      fn(part);
      w.raw(part.text());
    } catch (const std::exception& e) {
      std::string why = e.what();
      std::replace(why.begin(), why.end(), '\n', ' ');
      w.raw("# collector failed: " + why + "\n");
    }
  }
  return w.take();
}

Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry();  // never destroyed: threads may count during exit
    reg->addCollector(collectProcess);
    return reg;
  }();
  return *r;
}

void collectProcess(Writer& w) {
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::ifstream statm("/proc/self/statm");
  double size = 0, resident = 0;
  if (statm >> size >> resident) {
    w.family("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge");
    w.sample("process_resident_memory_bytes", "", resident * page);
    w.family("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge");
    w.sample("process_virtual_memory_bytes", "", size * page);
  }
  // Fields 14 and 15 (utime, stime, in clock ticks) follow the command name, which is in
  // parentheses and may hold spaces: count from the last ')'.
  std::ifstream statFile("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  if (close == std::string::npos) return;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  w.family("process_cpu_seconds_total", "User and system CPU time spent in seconds.", "counter");
  w.sample("process_cpu_seconds_total", "",
           (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK)));
}

}  // namespace mw::metrics
