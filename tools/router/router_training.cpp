#include "router_training.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "answer/direct_tasks.h"
#include "answer/fact_question.h"
#include "answer/prompt_parts.h"
#include "answer/route_features.h"

namespace owlet::router_training {
namespace {

using answer::FeatureView;
using answer::RouteHead;
using json = nlohmann::json;

constexpr int kViews = 2;
constexpr int kHeads = answer::kRouteHeads;

struct Text {
  std::string text;
  std::string source;     // situatedqa_temporal_id | recencyqa | needret
  std::string category;   // needret category
  bool has_context = false;
  bool timesens = false;  // a question of the timesens set (a factual question)
  int fine = -1;          // RecencyQA class: 0 never, 1 slow, 2 fast (-1 = none)
  int fold = 0;
  std::vector<int> feats[kViews];
};

struct Example {
  int text = 0;
  int y = 0;
  float weight = 1;
};

struct Data {
  std::vector<Text> texts;
  std::unordered_map<std::string, int> index;
  std::vector<Example> heads[kHeads];
  std::vector<std::string> names[kViews];  // feature id -> name
};

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// SplitMix64: a small deterministic generator for the shuffles.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

bool read_jsonl(const std::string& path, std::vector<json>* rows, Error* err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(err, ErrorKind::not_found, "cannot read " + path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return fail(err, ErrorKind::parse, "bad JSON line in " + path);
    rows->push_back(std::move(j));
  }
  return true;
}

int add_text(Data& d, const std::string& text, const std::string& source, int folds) {
  auto it = d.index.find(text);
  if (it != d.index.end()) return it->second;
  Text t;
  t.text = text;
  t.source = source;
  t.fold = static_cast<int>(fnv1a(text) % static_cast<uint64_t>(folds));
  d.texts.push_back(std::move(t));
  d.index.emplace(text, static_cast<int>(d.texts.size() - 1));
  return static_cast<int>(d.texts.size() - 1);
}

bool load(const TrainOptions& o, Data* d, Error* err) {
  std::vector<json> combined, recency, needret;
  if (!read_jsonl(o.data_dir + "/timesens/combined.jsonl", &combined, err) ||
      !read_jsonl(o.data_dir + "/timesens/recencyqa.jsonl", &recency, err) ||
      !read_jsonl(o.data_dir + "/needret/train.jsonl", &needret, err))
    return false;
  for (const json& r : combined) {
    const int t = add_text(*d, r.value("question", ""), r.value("source_set", ""), o.folds);
    d->texts[t].timesens = true;
    d->heads[0].push_back({t, r.value("label", "") == "changing" ? 1 : 0, 1.0f});
    if (o.timesens_retrieval_weight > 0)
      d->heads[2].push_back({t, 1, static_cast<float>(o.timesens_retrieval_weight)});
  }
  for (const json& r : recency) {
    const std::string fine = r.value("fine_label", "");
    if (fine != "fast" && fine != "slow" && fine != "never") continue;
    const int t = add_text(*d, r.value("question", ""), "recencyqa", o.folds);
    d->texts[t].fine = fine == "fast" ? 2 : fine == "slow" ? 1 : 0;
    if (r.value("label", "") == "changing" && fine != "never") d->heads[1].push_back({t, fine == "fast" ? 1 : 0, 1.0f});
  }
  for (const json& r : needret) {
    const int t = add_text(*d, r.value("prompt", ""), "needret", o.folds);
    Text& x = d->texts[t];
    x.category = r.value("category", "");
    x.has_context = r.value("has_context", false);
    const bool search = r.value("label", "") == "search";
    d->heads[2].push_back({t, search ? 1 : 0, 1.0f});
    if (!search && o.needret_static_weight > 0)
      d->heads[0].push_back({t, 0, static_cast<float>(o.needret_static_weight)});
  }
  return true;
}

// Features of every text, per view, interned; features in fewer than min_count texts dropped.
void featurize(const TrainOptions& o, Data* d) {
  for (int v = 0; v < kViews; ++v) {
    std::vector<std::vector<std::string>> raw(d->texts.size());
    std::map<std::string, int> count;  // ordered: ids do not depend on hash order
    for (size_t i = 0; i < d->texts.size(); ++i) {
      raw[i] = answer::route_features(d->texts[i].text, o.now, static_cast<FeatureView>(v));
      for (const std::string& f : raw[i]) ++count[f];
    }
    std::unordered_map<std::string, int> id;
    for (const auto& [name, n] : count) {
      if (n < o.min_count && name != "bias") continue;
      id.emplace(name, static_cast<int>(d->names[v].size()));
      d->names[v].push_back(name);
    }
    for (size_t i = 0; i < d->texts.size(); ++i) {
      for (const std::string& f : raw[i]) {
        auto it = id.find(f);
        if (it != id.end()) d->texts[i].feats[v].push_back(it->second);
      }
    }
  }
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-std::clamp(z, -30.0, 30.0))); }

double predict(const std::vector<double>& w, const std::vector<int>& x) {
  double z = 0;
  for (int k : x) z += w[k];
  return sigmoid(z);
}

// Logistic regression with AdaGrad and L2 (applied to the features of each update).
// Whether `head` learns a weight for prompt-length features ("s:len*"). Length is a
// property of the datasets (Dolly's no_search prompts carry long contexts, RecencyQA's
// questions are longer than SituatedQA's), not of time-sensitivity.
bool head_sees_length(int head, const TrainOptions& o) {
  if (o.length_features == "all") return true;
  if (o.length_features == "retrieval") return head == static_cast<int>(RouteHead::retrieval);
  return false;
}

std::vector<double> fit(const Data& d, int view, int head, const std::vector<const Example*>& ex,
                        const TrainOptions& o, uint64_t seed) {
  const size_t nf = d.names[view].size();
  std::vector<double> w(nf, 0.0), g2(nf, 1e-8);
  std::vector<char> skip(nf, 0);
  if (!head_sees_length(head, o))
    for (size_t k = 0; k < nf; ++k) skip[k] = d.names[view][k].rfind("s:len", 0) == 0;
  std::vector<size_t> order(ex.size());
  std::iota(order.begin(), order.end(), 0);
  Rng rng{seed};
  for (int e = 0; e < o.epochs; ++e) {
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.next() % i]);
    for (size_t i : order) {
      const Example& x = *ex[i];
      const std::vector<int>& f = d.texts[x.text].feats[view];
      const double g = (predict(w, f) - x.y) * x.weight;
      for (int k : f) {
        if (skip[k]) continue;
        const double gk = g + o.l2 * w[k];
        g2[k] += gk * gk;
        w[k] -= o.learning_rate * gk / std::sqrt(g2[k]);
      }
    }
  }
  return w;
}

uint64_t seed_of(int head, int view, int fold) { return 1000u * head + 10u * view + fold + 1; }

struct Rates {
  int tp = 0, fp = 0, tn = 0, fn = 0;
  void add(bool want, bool got) { (want ? (got ? tp : fn) : (got ? fp : tn))++; }
  int n() const { return tp + fp + tn + fn; }
  std::string line() const {
    char b[160];
    std::snprintf(b, sizeof b, "n %5d  accuracy %5.1f %%  precision %5.1f %%  recall %5.1f %%", n(),
                  n() ? 100.0 * (tp + tn) / n() : 0.0, tp + fp ? 100.0 * tp / (tp + fp) : 0.0,
                  tp + fn ? 100.0 * tp / (tp + fn) : 0.0);
    return b;
  }
};

std::string pct(int a, int b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%5.1f %% (%d/%d)", b ? 100.0 * a / b : 0.0, a, b);
  return buf;
}

// The value t such that at least `share` of `values` are >= t.
double keep_threshold(std::vector<double> values, double share) {
  if (values.empty()) return 0.5;
  std::sort(values.begin(), values.end());
  const size_t k = static_cast<size_t>(std::floor((1.0 - share) * static_cast<double>(values.size())));
  return values[std::min(k, values.size() - 1)];
}

// Out-of-fold probabilities of every head for every text, the thresholds they give,
// and the report of both.
struct Cv {
  std::vector<double> p[kHeads];
  double threshold[kHeads] = {0.5, 0.5, 0.5};
  double question_threshold = 0;  // open question forms skip retrieval only below it
  std::vector<std::vector<double>> weights[kHeads];  // per fold
};

// Puts one view's weights (per head, by feature id) into *m; features whose weights
// all round to 0 are left out.
void add_view(const Data& d, int view, const std::vector<double>* w, answer::RouteModel* m) {
  for (size_t k = 0; k < d.names[view].size(); ++k) {
    std::array<float, kHeads> fw{};
    bool any = false;
    for (int h = 0; h < kHeads; ++h) {
      fw[h] = static_cast<float>(w[h][k]);
      any = any || std::fabs(w[h][k]) >= 5e-5;
    }
    if (any) m->set_weights(static_cast<FeatureView>(view), d.names[view][k], fw);
  }
}

answer::RouteModel model_of(const Data& d, int view, const std::vector<double>* w, const double* thresholds,
                            double question_threshold) {
  answer::RouteModel m;
  const FeatureView fv = static_cast<FeatureView>(view);
  add_view(d, view, w, &m);
  for (int h = 0; h < kHeads; ++h) m.set_threshold(fv, static_cast<RouteHead>(h), thresholds[h]);
  m.set_question_threshold(fv, question_threshold);
  // The other view must not be empty for a model to be usable; it is never consulted here.
  m.set_weights(static_cast<FeatureView>(1 - view), "bias", {0, 0, 0});
  return m;
}

// The router's whole decision (direct-task rules, explicit cues, classifier) on every
// text, each by the model of the fold that did not see it.
std::vector<answer::PromptClass> decide_all(const Data& d, int view, const Cv& cv, const TrainOptions& o) {
  std::vector<answer::RouteModel> models;
  for (int f = 0; f < o.folds; ++f) {
    std::vector<double> w[kHeads];
    for (int h = 0; h < kHeads; ++h) w[h] = cv.weights[h][f];
    models.push_back(model_of(d, view, w, cv.threshold, cv.question_threshold));
  }
  std::vector<answer::PromptClass> out(d.texts.size());
  answer::RouterOptions ro;
  ro.view = view;
  for (size_t t = 0; t < d.texts.size(); ++t) {
    ro.model = &models[d.texts[t].fold];
    out[t] = answer::classify_prompt(d.texts[t].text, o.now, ro);
  }
  return out;
}

// The question threshold: a prompt in an open question form ("what are…", "how do
// I…") that the retrieval head would keep offline does so only below it. Dolly's
// search questions and its brainstorming share these forms; the threshold is the
// highest (the most brainstorming kept offline) at which at most
// `question_none_target` of Dolly's search questions without context get no
// retrieval through the whole router (direct-task rules and strong question forms
// included, which no threshold moves).
double question_threshold(const Data& d, const Cv& cv, double none_target) {
  std::vector<int> search(d.texts.size(), 0);
  for (const Example& e : d.heads[2]) search[e.text] = e.y;
  int n = 0, fixed_none = 0;
  std::vector<double> open;  // p(retrieval) of the open-form questions below the retrieval threshold
  for (size_t t = 0; t < d.texts.size(); ++t) {
    const Text& x = d.texts[t];
    if (x.source != "needret" || !search[t] || x.has_context) continue;
    ++n;
    const answer::PromptParts parts = answer::split_prompt(x.text);
    if (answer::detect_direct_task(parts).matched()) {
      ++fixed_none;
      continue;
    }
    if (cv.p[0][t] >= cv.threshold[0] || cv.p[2][t] >= cv.threshold[2]) continue;
    const answer::FactQuestion fq = answer::detect_fact_question(parts);
    if (!parts.pasted() && fq.form == answer::QuestionForm::strong) continue;
    if (!parts.pasted() && fq.form == answer::QuestionForm::open) open.push_back(cv.p[2][t]);
    else ++fixed_none;
  }
  const int budget = static_cast<int>(std::floor(none_target * n)) - fixed_none;
  if (open.empty()) return 0;
  if (budget <= 0) return 0;  // every open question retrieves
  std::sort(open.begin(), open.end());
  // Below t: the `budget` lowest go offline.
  return budget >= static_cast<int>(open.size()) ? 1.0 : open[static_cast<size_t>(budget)];
}

Cv cross_validate(const Data& d, int view, const TrainOptions& o, std::string* report) {
  Cv cv;
  for (int h = 0; h < kHeads; ++h) {
    cv.p[h].assign(d.texts.size(), 0.5);
    cv.weights[h].resize(o.folds);
    for (int f = 0; f < o.folds; ++f) {
      std::vector<const Example*> train;
      for (const Example& x : d.heads[h])
        if (d.texts[x.text].fold != f) train.push_back(&x);
      cv.weights[h][f] = fit(d, view, h, train, o, seed_of(h, view, f));
      const std::vector<double>& w = cv.weights[h][f];
      for (size_t t = 0; t < d.texts.size(); ++t)
        if (d.texts[t].fold == f) cv.p[h][t] = predict(w, d.texts[t].feats[view]);
    }
  }
  // Changing: recall >= target on every timesens source set.
  std::map<std::string, std::vector<double>> positives;
  for (const Example& x : d.heads[0]) {
    const Text& t = d.texts[x.text];
    if (t.timesens && x.y) positives[t.source].push_back(cv.p[0][x.text]);
  }
  double tc = 1.0;
  for (const auto& [source, ps] : positives) tc = std::min(tc, keep_threshold(ps, o.recall_target));
  cv.threshold[0] = tc;
  // Retrieval: the highest threshold (the most prompts kept offline) at which >= target
  // of the factual questions (timesens, both labels) keep retrieval; a question the
  // changing head sends online is never gated. Dolly's own search/no_search labels
  // overlap too much to set it (see the sweep in the report).
  std::vector<double> factual;
  for (size_t t = 0; t < d.texts.size(); ++t)
    if (d.texts[t].timesens) factual.push_back(cv.p[0][t] >= tc ? 1.0 : cv.p[2][t]);
  cv.threshold[2] = keep_threshold(factual, o.factual_keep_target);
  cv.question_threshold = question_threshold(d, cv, o.question_none_target);
  // Fast vs slow: the threshold with the best balanced accuracy (mean of the fast and
  // slow recalls), so RecencyQA's 2:1 share of fast questions does not set the prior.
  {
    std::vector<std::pair<double, int>> ps;
    int n_fast = 0, n_slow = 0;
    for (const Example& x : d.heads[1]) {
      ps.push_back({cv.p[1][x.text], x.y});
      (x.y ? n_fast : n_slow)++;
    }
    std::sort(ps.begin(), ps.end());
    double best = -1;
    int slow_below = 0, fast_below = 0;  // counts with p < candidate
    for (size_t i = 0; i < ps.size(); ++i) {
      if (i == 0 || ps[i].first != ps[i - 1].first) {
        const double bal = 0.5 * (static_cast<double>(n_fast - fast_below) / std::max(1, n_fast) +
                                  static_cast<double>(slow_below) / std::max(1, n_slow));
        if (bal > best) best = bal, cv.threshold[1] = ps[i].first;
      }
      (ps[i].second ? fast_below : slow_below)++;
    }
  }

  std::ostringstream r;
  char buf[200];
  std::snprintf(buf, sizeof buf, "view %s: %zu features; %d-fold cross-validation (folds by text hash)\n",
                answer::to_string(static_cast<FeatureView>(view)), d.names[view].size(), o.folds);
  r << buf;
  std::snprintf(buf, sizeof buf, "  changing head, threshold %.4f (recall >= %.0f %% on every source set):\n", tc,
                100 * o.recall_target);
  r << buf;
  std::map<std::string, Rates> by_source;
  Rates all, at_half;
  for (const Example& x : d.heads[0]) {
    const Text& t = d.texts[x.text];
    if (!t.timesens) continue;
    by_source[t.source].add(x.y, cv.p[0][x.text] >= tc);
    all.add(x.y, cv.p[0][x.text] >= tc);
    at_half.add(x.y, cv.p[0][x.text] >= 0.5);
  }
  for (const auto& [source, rates] : by_source) r << "    " << source << std::string(24 - std::min<size_t>(23, source.size()), ' ') << rates.line() << "\n";
  r << "    all timesens            " << all.line() << "\n";
  r << "    all, threshold 0.5      " << at_half.line() << "\n";
  // Fast head: RecencyQA's fast/slow split of changing questions.
  Rates fast;
  for (const Example& x : d.heads[1]) fast.add(x.y, cv.p[1][x.text] >= cv.threshold[1]);
  std::snprintf(buf, sizeof buf, "  fast head (fast vs slow, RecencyQA changing questions), threshold %.4f (best balanced accuracy):\n    ", cv.threshold[1]);
  r << buf << fast.line() << "\n";
  // The no-retrieval gate.
  const double tr = cv.threshold[2];
  std::snprintf(buf, sizeof buf,
                "  retrieval head, threshold %.4f (>= %.0f %% of timesens questions keep retrieval);\n"
                "  tier none = retrieval < %.4f and changing < %.4f:\n",
                tr, 100 * o.factual_keep_target, tr, tc);
  r << buf;
  std::map<std::string, std::pair<int, int>> offline;  // category -> (kept offline, n)
  int ns_all = 0, ns_off = 0, ns_nc = 0, ns_nc_off = 0, s_nc = 0, s_nc_keep = 0;
  int ts_keep = 0, ts_n = 0, ch_web = 0, ch_n = 0;
  std::vector<int> search(d.texts.size(), 0);
  for (const Example& e : d.heads[2]) search[e.text] = e.y;
  for (size_t t = 0; t < d.texts.size(); ++t) {
    const Text& x = d.texts[t];
    const bool none = cv.p[2][t] < tr && cv.p[0][t] < tc;
    if (x.source == "needret") {
      if (search[t]) {
        if (!x.has_context) ++s_nc, s_nc_keep += !none;
        continue;
      }
      ++ns_all, ns_off += none;
      if (!x.has_context) ++ns_nc, ns_nc_off += none;
      auto& c = offline[x.category];
      c.first += none, ++c.second;
    } else if (x.timesens) {
      ++ts_n, ts_keep += !none;
    }
  }
  for (const Example& x : d.heads[0]) {
    const Text& t = d.texts[x.text];
    if (!t.timesens || !x.y) continue;
    ++ch_n, ch_web += cv.p[0][x.text] >= tc;
  }
  r << "    needret no_search kept offline, all          " << pct(ns_off, ns_all) << "\n";
  r << "    needret no_search kept offline, no context   " << pct(ns_nc_off, ns_nc) << "\n";
  for (const auto& [cat, c] : offline) {
    r << "      " << cat << std::string(24 - std::min<size_t>(23, cat.size()), ' ') << pct(c.first, c.second) << "\n";
  }
  r << "    needret search (no context) keep retrieval   " << pct(s_nc_keep, s_nc) << "\n";
  // The trade-off behind the choice, for the record.
  r << "    sweep: threshold | timesens keep retrieval | Dolly search (no context) keep | Dolly no_search (no context) offline\n";
  for (double t : {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98}) {
    int a = 0, an = 0, b = 0, bn = 0, c = 0, cn = 0;
    for (size_t i = 0; i < d.texts.size(); ++i) {
      const Text& x = d.texts[i];
      const bool none = cv.p[2][i] < t && cv.p[0][i] < tc;
      if (x.timesens) ++an, a += !none;
      if (x.source == "needret" && !x.has_context) {
        if (search[i]) ++bn, b += !none;
        else ++cn, c += none;
      }
    }
    std::snprintf(buf, sizeof buf, "      %.2f | %5.1f %% | %5.1f %% | %5.1f %%\n", t, 100.0 * a / std::max(1, an),
                  100.0 * b / std::max(1, bn), 100.0 * c / std::max(1, cn));
    r << buf;
  }
  r << "    timesens questions keep retrieval            " << pct(ts_keep, ts_n) << "\n";
  r << "    timesens changing questions go online        " << pct(ch_web, ch_n) << "\n";

  // The whole router as shipped, each text judged by the fold model that did not see it.
  const std::vector<answer::PromptClass> cls = decide_all(d, view, cv, o);
  r << "  the whole router (direct-task rules, explicit cues, classifier; classify_prompt):\n";
  std::map<std::string, Rates> web_by_source;
  Rates web_all;
  int confusion[3][3] = {};
  std::map<std::string, std::pair<int, int>> off2;
  int n_ns = 0, n_ns_off = 0, n_nc = 0, n_nc_off = 0, n_s = 0, n_s_keep = 0, n_ts = 0, n_ts_keep = 0;
  for (size_t t = 0; t < d.texts.size(); ++t) {
    const Text& x = d.texts[t];
    const answer::PromptClass& c = cls[t];
    if (x.fine >= 0) ++confusion[x.fine][c.retrieval ? static_cast<int>(c.freshness) : 0];
    if (x.source == "needret") {
      if (search[t]) {
        if (!x.has_context) ++n_s, n_s_keep += c.retrieval;
        continue;
      }
      ++n_ns, n_ns_off += !c.retrieval;
      if (std::getenv("OWLET_TRAIN_DEBUG") && c.retrieval && !x.has_context && view == 0) {
        std::string why;
        for (const auto& rs : c.reasons) why += rs + "; ";
        std::fprintf(stderr, "KEPT-RETRIEVAL %s | %s | %s\n", x.category.c_str(), x.text.substr(0, 120).c_str(), why.c_str());
      }
      if (!x.has_context) ++n_nc, n_nc_off += !c.retrieval;
      auto& k = off2[x.category];
      k.first += !c.retrieval, ++k.second;
      continue;
    }
    if (!x.timesens) continue;
    ++n_ts, n_ts_keep += c.retrieval;
  }
  for (const Example& x : d.heads[0]) {
    const Text& t = d.texts[x.text];
    if (!t.timesens) continue;
    const answer::PromptClass& c = cls[x.text];
    const bool web = c.retrieval && c.freshness != answer::Freshness::never;
    web_by_source[t.source].add(x.y, web);
    web_all.add(x.y, web);
  }
  r << "    needs web (timesens changing = positive):\n";
  for (const auto& [source, rates] : web_by_source) r << "      " << source << std::string(24 - std::min<size_t>(23, source.size()), ' ') << rates.line() << "\n";
  r << "      all timesens            " << web_all.line() << "\n";
  r << "    RecencyQA 3-class (rows gold never/slow/fast, columns predicted; no retrieval counts as never):\n";
  for (int g = 0; g < 3; ++g) {
    std::snprintf(buf, sizeof buf, "      %-6s %5d %5d %5d\n", g == 0 ? "never" : g == 1 ? "slow" : "fast", confusion[g][0],
                  confusion[g][1], confusion[g][2]);
    r << buf;
  }
  r << "    needret no_search kept offline (tier none), all         " << pct(n_ns_off, n_ns) << "\n";
  r << "    needret no_search kept offline (tier none), no context  " << pct(n_nc_off, n_nc) << "\n";
  for (const auto& [cat, k] : off2) {
    r << "      " << cat << std::string(24 - std::min<size_t>(23, cat.size()), ' ') << pct(k.first, k.second) << "\n";
  }
  r << "    needret search (no context) keep retrieval              " << pct(n_s_keep, n_s) << "\n";
  std::snprintf(buf, sizeof buf, "    question threshold %.4f (open question forms; <= %.0f %% of Dolly search questions with no retrieval)\n",
                cv.question_threshold, 100 * o.question_none_target);
  r << buf;
  r << "    question-threshold sweep (whole router, CV): Dolly search (no context) none target | threshold | "
       "Dolly search no retrieval | Dolly brainstorming+classification+creative kept offline\n";
  for (double target : {0.04, 0.05, 0.06, 0.08, 0.10, 0.15, 0.20, 0.30}) {
    if (!o.sweep || view != 0) break;  // the sweep re-runs the whole router per point: on request
    Cv alt = cv;
    alt.question_threshold = question_threshold(d, cv, target);
    const std::vector<answer::PromptClass> k = decide_all(d, view, alt, o);
    int s_n = 0, s_none = 0, t_n = 0, t_off = 0;
    for (size_t t = 0; t < d.texts.size(); ++t) {
      const Text& x = d.texts[t];
      if (x.source != "needret" || x.has_context) continue;
      if (search[t]) ++s_n, s_none += !k[t].retrieval;
      else if (x.category == "brainstorming" || x.category == "classification" || x.category == "creative_writing")
        ++t_n, t_off += !k[t].retrieval;
    }
    std::snprintf(buf, sizeof buf, "      %4.0f %% | %.4f | %5.1f %% | %5.1f %%\n", 100 * target, alt.question_threshold,
                  100.0 * s_none / std::max(1, s_n), 100.0 * t_off / std::max(1, t_n));
    r << buf;
  }
  r << "    timesens questions keep retrieval                       " << pct(n_ts_keep, n_ts) << "\n";
  *report += r.str();
  return cv;
}

std::vector<double> fit_all(const Data& d, int head, int view, const TrainOptions& o) {
  std::vector<const Example*> ex;
  for (const Example& x : d.heads[head]) ex.push_back(&x);
  return fit(d, view, head, ex, o, seed_of(head, view, 99));
}

}  // namespace

bool train_router(const TrainOptions& o, TrainResult* out, Error* err) {
  Data d;
  if (!load(o, &d, err)) return false;
  featurize(o, &d);
  out->report.clear();
  out->model = answer::RouteModel();
  char buf[384];
  std::snprintf(buf, sizeof buf,
                "generated by owlet-train-router from timesens, recencyqa and needret; do not edit\n"
                "epochs %d, learning rate %g, l2 %g, min count %d, folds %d, now %lld, needret static weight %g, "
                "timesens retrieval weight %g, length features %s, question none target %g",
                o.epochs, o.learning_rate, o.l2, o.min_count, o.folds, static_cast<long long>(o.now),
                o.needret_static_weight, o.timesens_retrieval_weight, o.length_features.c_str(), o.question_none_target);
  out->model.set_comment(buf);
  for (int v = 0; v < kViews; ++v) {
    const FeatureView view = static_cast<FeatureView>(v);
    if (o.cross_validate) {
      const Cv cv = cross_validate(d, v, o, &out->report);
      for (int h = 0; h < kHeads; ++h) out->model.set_threshold(view, static_cast<RouteHead>(h), cv.threshold[h]);
      out->model.set_question_threshold(view, cv.question_threshold);
    }
    std::vector<double> w[kHeads];
    for (int h = 0; h < kHeads; ++h) w[h] = fit_all(d, h, v, o);
    add_view(d, v, w, &out->model);
  }
  return true;
}

std::string top_words(const TrainOptions& o, int n, Error* err) {
  Data d;
  if (!load(o, &d, err)) return "";
  featurize(o, &d);
  const int v = static_cast<int>(FeatureView::words);
  std::vector<double> w[kHeads];
  for (int h = 0; h < kHeads; ++h) w[h] = fit_all(d, h, v, o);
  std::vector<int> count(d.names[v].size(), 0);
  for (const Text& t : d.texts)
    for (int k : t.feats[v]) ++count[k];
  std::vector<std::pair<double, int>> ranked;
  for (size_t k = 0; k < d.names[v].size(); ++k) {
    if (d.names[v][k].rfind("w:", 0) != 0) continue;
    double s = 0;
    for (int h = 0; h < kHeads; ++h) s = std::max(s, std::fabs(w[h][k]));
    ranked.push_back({-s * std::log1p(count[k]), static_cast<int>(k)});
  }
  std::sort(ranked.begin(), ranked.end());
  std::ostringstream out;
  for (int i = 0; i < n && i < static_cast<int>(ranked.size()); ++i) {
    const int k = ranked[i].second;
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s\t%.3f\t%.3f\t%.3f\t%d\n", d.names[v][k].substr(2).c_str(), w[0][k], w[1][k],
                  w[2][k], count[k]);
    out << buf;
  }
  return out.str();
}

}  // namespace owlet::router_training
