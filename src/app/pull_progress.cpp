#include "app/pull_progress.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "common/strings.h"
#include "models/model_ref.h"

namespace owlet::app {
namespace {

std::atomic<bool> g_cancel{false};

void on_sigint(int) {
  g_cancel = true;
  signal(SIGINT, SIG_DFL);  // a second Ctrl-C kills
}

std::string human_eta(double secs) {
  if (!std::isfinite(secs) || secs < 0) return "--:--";
  long s = std::lround(secs);
  char buf[32];
  if (s >= 3600) snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

// Draws progress on stderr; `drew` says a bar is on the current line.
struct Printer {
  std::string label;
  bool tty = false;
  bool drew = false;
  uint64_t last_done = UINT64_MAX;  // bytes shown on the last plain line (the end is reported twice)
  std::chrono::steady_clock::time_point last_line = std::chrono::steady_clock::now() - std::chrono::seconds(10);

  void status(const std::string& s) {
    if (tty && drew) fputc('\n', stderr);
    drew = false;
    fprintf(stderr, "%s\n", s.c_str());
  }
  void progress(uint64_t done, uint64_t total, double rate) {
    double eta = rate > 0 && total >= done ? static_cast<double>(total - done) / rate : NAN;
    double frac = total ? static_cast<double>(done) / static_cast<double>(total) : 0;
    if (tty) {
      const int width = 30;
      int fill = static_cast<int>(frac * width);
      std::string bar(fill, '=');
      if (fill < width) bar += '>' + std::string(width - fill - 1, ' ');
      fprintf(stderr, "\r\033[Kpulling %s %3.0f%% [%s] %s/%s %s/s ETA %s", label.c_str(), frac * 100, bar.c_str(),
              human_bytes(static_cast<double>(done)).c_str(), human_bytes(static_cast<double>(total)).c_str(),
              human_bytes(rate).c_str(), human_eta(eta).c_str());
      drew = true;
    } else {
      auto now = std::chrono::steady_clock::now();
      if (done == last_done || (now - last_line < std::chrono::seconds(2) && done < total)) return;
      last_line = now;
      last_done = done;
      fprintf(stderr, "pulling %s: %s of %s (%.0f%%), %s/s, ETA %s\n", label.c_str(),
              human_bytes(static_cast<double>(done)).c_str(), human_bytes(static_cast<double>(total)).c_str(),
              frac * 100, human_bytes(rate).c_str(), human_eta(eta).c_str());
    }
    fflush(stderr);
  }
};

}  // namespace

models::PullResult pull_with_progress(const std::string& name, models::PullOptions o, const PullDisplay& display) {
  Printer p;
  models::ModelRef ref;
  Error why;
  p.label = models::parse_model_ref(name, &ref, &why) ? ref.display() : name;
  p.tty = display.tty;
  if (!display.quiet) {
    o.status = [&p](const std::string& s) { p.status(s); };
    o.progress = [&p](uint64_t done, uint64_t total, double rate) { p.progress(done, total, rate); };
  }
  g_cancel = false;
  o.cancel = &g_cancel;
  struct sigaction sa {}, old {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  models::PullResult r = models::pull_model(name, o);
  sigaction(SIGINT, &old, nullptr);
  if (p.tty && p.drew) fputc('\n', stderr);
  return r;
}

}  // namespace owlet::app
