#include "answer/route_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/strings.h"
#include "obs/log.h"

namespace owlet::answer {

// Generated at build time from route_model.weights (cmake/embed_text.cmake).
extern const unsigned char kRouteModelWeights[];

namespace {

constexpr std::string_view kMagic = "owlet-router-weights 1";

bool parse_view(std::string_view s, FeatureView* v) {
  if (s == "words") return *v = FeatureView::words, true;
  if (s == "concepts") return *v = FeatureView::concepts, true;
  return false;
}

bool parse_head(std::string_view s, RouteHead* h) {
  for (int i = 0; i < kRouteHeads; ++i) {
    if (s == to_string(static_cast<RouteHead>(i))) return *h = static_cast<RouteHead>(i), true;
  }
  return false;
}

bool parse_number(const std::string& s, double* out) {
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size() && std::isfinite(*out);
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-std::clamp(z, -30.0, 30.0))); }

}  // namespace

const char* to_string(RouteHead h) {
  switch (h) {
    case RouteHead::changing: return "changing";
    case RouteHead::fast: return "fast";
    case RouteHead::retrieval: return "retrieval";
  }
  return "changing";
}

bool RouteModel::parse(std::string_view text, RouteModel* out, Error* err) {
  *out = RouteModel();
  size_t pos = 0, line_no = 0;
  int view = -1;
  auto bad = [&](const std::string& why) {
    return fail(err, ErrorKind::parse, "router weights, line " + std::to_string(line_no) + ": " + why);
  };
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line_no == 1) {
      if (line != kMagic) return bad("not an owlet router weights file");
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> cols = split(line, '\t');
    if (cols[0] == "view") {
      FeatureView v;
      if (cols.size() != 2 || !parse_view(cols[1], &v)) return bad("bad view");
      view = static_cast<int>(v);
      continue;
    }
    if (view < 0) return bad("a line before any view");
    View& vw = out->views_[view];
    if (cols[0] == "threshold" && cols.size() == 3 && cols[1] == "question") {
      double t;
      if (!parse_number(cols[2], &t)) return bad("bad threshold");
      vw.question_threshold = t;
      continue;
    }
    if (cols[0] == "threshold") {
      RouteHead h;
      double t;
      if (cols.size() != 3 || !parse_head(cols[1], &h) || !parse_number(cols[2], &t)) return bad("bad threshold");
      vw.thresholds[static_cast<int>(h)] = t;
      continue;
    }
    if (cols.size() != 1 + kRouteHeads) return bad("expected a feature and " + std::to_string(kRouteHeads) + " weights");
    std::array<float, kRouteHeads> w{};
    for (int i = 0; i < kRouteHeads; ++i) {
      double d;
      if (!parse_number(cols[1 + i], &d)) return bad("bad weight");
      w[i] = static_cast<float>(d);
    }
    vw.weights[cols[0]] = w;
  }
  if (out->views_[0].weights.empty() || out->views_[1].weights.empty()) {
    return fail(err, ErrorKind::parse, "router weights: a view has no weights");
  }
  return true;
}

const RouteModel& RouteModel::builtin() {
  static const RouteModel model = [] {
    RouteModel m;
    Error err;
    // The file is generated and tested at build time; a broken one leaves every
    // weight 0 (probability 0.5 everywhere) and says so once.
    if (!parse(reinterpret_cast<const char*>(kRouteModelWeights), &m, &err)) obs::log(obs::LogLevel::error, "%s", err.message.c_str());
    return m;
  }();
  return model;
}

HeadScore RouteModel::score(FeatureView view, RouteHead head, const std::vector<std::string>& features,
                            size_t top_n) const {
  const View& v = views_[static_cast<int>(view)];
  const int h = static_cast<int>(head);
  HeadScore s;
  std::vector<FeatureWeight> fired;
  for (const std::string& f : features) {
    auto it = v.weights.find(f);
    if (it == v.weights.end()) continue;
    const double w = it->second[h];
    s.logit += w;
    if (f != "bias" && w != 0) fired.push_back({f, w});
  }
  s.probability = sigmoid(s.logit);
  const size_t n = std::min(top_n, fired.size());
  std::partial_sort(fired.begin(), fired.begin() + static_cast<long>(n), fired.end(),
                    [](const FeatureWeight& a, const FeatureWeight& b) {
                      return std::fabs(a.weight) != std::fabs(b.weight) ? std::fabs(a.weight) > std::fabs(b.weight)
                                                                        : a.feature < b.feature;
                    });
  fired.resize(n);
  s.top = std::move(fired);
  return s;
}

double RouteModel::threshold(FeatureView view, RouteHead head) const {
  return views_[static_cast<int>(view)].thresholds[static_cast<int>(head)];
}

void RouteModel::set_weights(FeatureView view, const std::string& feature, const std::array<float, kRouteHeads>& w) {
  views_[static_cast<int>(view)].weights[feature] = w;
}

void RouteModel::set_threshold(FeatureView view, RouteHead head, double t) {
  views_[static_cast<int>(view)].thresholds[static_cast<int>(head)] = t;
}

std::string RouteModel::serialize() const {
  std::string out(kMagic);
  out += '\n';
  for (const std::string& line : split(comment_, '\n')) {
    if (!line.empty()) out += "# " + line + "\n";
  }
  char buf[64];
  for (int vi = 0; vi < 2; ++vi) {
    const View& v = views_[vi];
    out += std::string("view\t") + to_string(static_cast<FeatureView>(vi)) + "\n";
    for (int h = 0; h < kRouteHeads; ++h) {
      std::snprintf(buf, sizeof buf, "threshold\t%s\t%.4f\n", to_string(static_cast<RouteHead>(h)), v.thresholds[h]);
      out += buf;
    }
    if (v.question_threshold > 0) {
      std::snprintf(buf, sizeof buf, "threshold\tquestion\t%.4f\n", v.question_threshold);
      out += buf;
    }
    std::vector<const std::string*> names;
    names.reserve(v.weights.size());
    for (const auto& [name, w] : v.weights) names.push_back(&name);
    std::sort(names.begin(), names.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
    for (const std::string* name : names) {
      const auto& w = v.weights.at(*name);
      out += *name;
      for (int h = 0; h < kRouteHeads; ++h) {
        // Four decimals, trailing zeros dropped; "-0" and "0" are one value.
        const double r = std::round(static_cast<double>(w[h]) * 1e4) / 1e4;
        std::snprintf(buf, sizeof buf, "\t%.6g", r == 0 ? 0.0 : r);
        out += buf;
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace owlet::answer
