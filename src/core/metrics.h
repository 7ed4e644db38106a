#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

// Process metrics in the Prometheus text format (version 0.0.4). Updating a metric is one or two
// relaxed atomic additions and never allocates: the HTTP path counts 4,000-20,000 requests a
// second. Families hand out their children once (under a mutex) and callers keep the reference.
namespace mw::metrics {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

// Fixed upper bounds, ascending; +Inf is implicit. Buckets are kept apart and summed at scrape
// time, so an observation touches one bucket, the count and the sum.
class Histogram {
 public:
  static constexpr std::size_t kMaxBuckets = 24;
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts, one per bound and a last one for +Inf (== count).
  std::vector<std::uint64_t> cumulative() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::array<std::atomic<std::uint64_t>, kMaxBuckets + 1> buckets_{};
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

// Counts by a small positive code (an HTTP status) without a lock: a route sees a handful of
// statuses, so 16 slots claimed by compare-and-swap suffice; a 17th distinct code is counted
// under code 0 (rendered as status="other").
class CodeCounter {
 public:
  static constexpr std::size_t kSlots = 16;
  void inc(int code);
  // (code, count) of every code seen, 0 last when anything overflowed.
  std::vector<std::pair<int, std::uint64_t>> values() const;

 private:
  std::array<std::atomic<int>, kSlots> codes_{};
  std::array<std::atomic<std::uint64_t>, kSlots> counts_{};
  std::atomic<std::uint64_t> overflow_{0};
};

// Writes the exposition text: families, samples, escaping.
class Writer {
 public:
  void family(std::string_view name, std::string_view help, std::string_view type);
  // labels: preformatted `a="x",b="y"` (see labels()), may be empty.
  void sample(std::string_view name, std::string_view labels, double value);
  void sample(std::string_view name, std::string_view labels, std::uint64_t value);
  void raw(std::string_view text) { out_.append(text); }
  std::string take() { return std::move(out_); }
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

// `a="x",b="y"`, values escaped (backslash, double quote, newline).
std::string labels(const std::vector<std::string>& names, const std::vector<std::string>& values);
std::string escapeLabel(std::string_view value);
std::string formatNumber(double v);  // shortest round-trip form, +Inf, -Inf, NaN

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> labelNames)
      : name_(std::move(name)), help_(std::move(help)), labelNames_(std::move(labelNames)) {}
  virtual ~FamilyBase() = default;
  virtual void render(Writer& w) const = 0;
  const std::string& name() const { return name_; }

 protected:
  std::string name_;
  std::string help_;
  std::vector<std::string> labelNames_;
};

void renderChild(Writer& w, const std::string& name, const std::string& labels, const Counter& c);
void renderChild(Writer& w, const std::string& name, const std::string& labels, const Histogram& h);
void renderChild(Writer& w, const std::string& name, const std::string& labels,
                 const CodeCounter& c);
const char* typeOf(const Counter*);
const char* typeOf(const Histogram*);
const char* typeOf(const CodeCounter*);

// A metric with labels. with() takes a mutex: call it once and keep the reference (children
// live as long as the family, which lives as long as the process).
template <class T>
class Family : public FamilyBase {
 public:
  using Make = std::function<std::unique_ptr<T>()>;
  Family(std::string name, std::string help, std::vector<std::string> labelNames, Make make)
      : FamilyBase(std::move(name), std::move(help), std::move(labelNames)),
        make_(std::move(make)) {}

  T& with(const std::vector<std::string>& values) {
    std::lock_guard lock(mutex_);
    auto& slot = children_[values];
    if (!slot) slot = make_();
    return *slot;
  }

  void render(Writer& w) const override {
    w.family(name_, help_, typeOf(static_cast<const T*>(nullptr)));
    std::lock_guard lock(mutex_);
    for (const auto& [values, child] : children_)
      renderChild(w, name_, labels(labelNames_, values), *child);
  }

 private:
  Make make_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_;
};

// All metrics of the process. Families are created once and never removed; collectors add
// values read at scrape time (queue depth from the database, memory) and are removed by their
// owner (Collector below) before what they read goes away.
class Registry {
 public:
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           std::vector<std::string> labelNames);
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<std::string> labelNames, std::vector<double> bounds);
  Family<CodeCounter>& codes(const std::string& name, const std::string& help,
                             std::vector<std::string> labelNames);

  using CollectFn = std::function<void(Writer&)>;
  std::uint64_t addCollector(CollectFn fn);
  void removeCollector(std::uint64_t id);

  // The whole exposition: families by name, then the collectors' output. A collector that throws
  // (database down) is skipped with a comment, the rest still answers.
  std::string render() const;

 private:
  FamilyBase& add(std::unique_ptr<FamilyBase> f);
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;
  std::map<std::uint64_t, CollectFn> collectors_;
  std::uint64_t nextId_ = 1;
};

Registry& registry();

// Registers a collector for its own lifetime.
class Collector {
 public:
  Collector() = default;
  explicit Collector(Registry::CollectFn fn) : id_(registry().addCollector(std::move(fn))) {}
  ~Collector() {
    if (id_) registry().removeCollector(id_);
  }
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

 private:
  std::uint64_t id_ = 0;
};

// process_resident_memory_bytes, process_virtual_memory_bytes (/proc/self/statm) and
// process_cpu_seconds_total (/proc/self/stat); registered by registry() itself.
void collectProcess(Writer& w);

}  // namespace mw::metrics
