// A small Prometheus metrics registry: counters, gauges and histograms with
// labels, rendered in the text exposition format for GET /metrics. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace owlet::obs {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  // Adds to a counter (created on first use). `help` is kept from the first call.
  void inc(const std::string& name, const std::string& help, const Labels& labels = {}, double by = 1.0);
  void set(const std::string& name, const std::string& help, const Labels& labels, double value);
  // Records one observation into a histogram with the given bucket upper bounds.
  void observe(const std::string& name, const std::string& help, const Labels& labels, double value,
               const std::vector<double>& buckets);
  // Gauges computed at render time (queue depth, RSS…).
  void gauge_fn(const std::string& name, const std::string& help, std::function<double()> fn);

  std::string render() const;
  // Current value of a counter or gauge (0 when absent); for tests and derived ratios.
  double value(const std::string& name, const Labels& labels = {}) const;

  static const std::vector<double>& latency_buckets();  // seconds, 1 ms … 60 s

 private:
  struct Histogram {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;  // per bucket (not cumulative)
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    std::string help, type;
    std::map<Labels, double> values;
    std::map<Labels, Histogram> histograms;
    std::function<double()> fn;
  };
  Family& family(const std::string& name, const char* type, const std::string& help);  // under mu_
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

// Resident set size of this process, bytes.
double process_rss_bytes();

}  // namespace owlet::obs
