#include "obs/metrics.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace owlet::obs {
namespace {

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string label_text(const Labels& labels, const std::string& extra_key = "", const std::string& extra_val = "") {
  if (labels.empty() && extra_key.empty()) return "";
  std::string s = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    s += (first ? "" : ",") + k + "=\"" + escape_label(v) + "\"";
    first = false;
  }
  if (!extra_key.empty()) s += (first ? "" : ",") + extra_key + "=\"" + extra_val + "\"";
  return s + "}";
}

std::string num(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  snprintf(buf, sizeof buf, "%.15g", v);  // 15 digits: 0.0025 stays 0.0025
  return buf;
}

}  // namespace

Metrics::Family& Metrics::family(const std::string& name, const char* type, const std::string& help) {
  Family& f = families_[name];
  if (f.type.empty()) {  // the first use names the type and the help text
    f.type = type;
    f.help = help;
  }
  return f;
}

void Metrics::inc(const std::string& name, const std::string& help, const Labels& labels, double by) {
  std::lock_guard<std::mutex> lk(mu_);
  family(name, "counter", help).values[labels] += by;
}

void Metrics::set(const std::string& name, const std::string& help, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lk(mu_);
  family(name, "gauge", help).values[labels] = value;
}

void Metrics::observe(const std::string& name, const std::string& help, const Labels& labels, double value,
                      const std::vector<double>& buckets) {
  std::lock_guard<std::mutex> lk(mu_);
  Histogram& h = family(name, "histogram", help).histograms[labels];
  if (h.bounds.empty()) {
    h.bounds = buckets;
    h.counts.assign(buckets.size() + 1, 0);
  }
  size_t i = 0;
  while (i < h.bounds.size() && value > h.bounds[i]) ++i;
  ++h.counts[i];
  h.sum += value;
  ++h.count;
}

void Metrics::gauge_fn(const std::string& name, const std::string& help, std::function<double()> fn) {
  std::lock_guard<std::mutex> lk(mu_);
  Family& f = families_[name];
  f.type = "gauge";
  f.help = help;
  f.fn = std::move(fn);
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> lk(mu_);
  std::ostringstream out;
  for (const auto& [name, f] : families_) {
    out << "# HELP " << name << " " << f.help << "\n# TYPE " << name << " " << f.type << "\n";
    if (f.fn) out << name << " " << num(f.fn()) << "\n";
    for (const auto& [labels, v] : f.values) out << name << label_text(labels) << " " << num(v) << "\n";
    for (const auto& [labels, h] : f.histograms) {
      uint64_t cum = 0;
      for (size_t i = 0; i < h.bounds.size(); ++i) {
        cum += h.counts[i];
        out << name << "_bucket" << label_text(labels, "le", num(h.bounds[i])) << " " << cum << "\n";
      }
      out << name << "_bucket" << label_text(labels, "le", "+Inf") << " " << h.count << "\n";
      out << name << "_sum" << label_text(labels) << " " << num(h.sum) << "\n";
      out << name << "_count" << label_text(labels) << " " << h.count << "\n";
    }
  }
  return out.str();
}

double Metrics::value(const std::string& name, const Labels& labels) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  if (it->second.fn) return it->second.fn();
  auto v = it->second.values.find(labels);
  return v == it->second.values.end() ? 0 : v->second;
}

const std::vector<double>& Metrics::latency_buckets() {
  static const std::vector<double> b = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5,   1,      2.5,   5,    10,    30,   60};
  return b;
}

double process_rss_bytes() {
  std::ifstream f("/proc/self/statm");
  long pages_total = 0, pages_rss = 0;
  f >> pages_total >> pages_rss;
  return static_cast<double>(pages_rss) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace owlet::obs
