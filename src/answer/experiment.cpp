#include "answer/experiment.h"

namespace owlet::answer {

uint64_t client_hash(std::string_view id) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a offset basis
  for (unsigned char c : id) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

bool Experiment::parse(std::string_view spec, Experiment* out, std::string* err) {
  Experiment e;
  if (!config_parse_arms(spec, &e.arms_, err)) return false;
  for (const auto& a : e.arms_) e.total_ += static_cast<uint64_t>(a.weight);
  *out = std::move(e);
  return true;
}

int Experiment::assign(std::string_view client_id) const {
  if (arms_.empty()) return -1;
  // Weights are at most 10^6 each, far below 2^64: the modulo's bias is negligible.
  uint64_t point = client_hash(client_id) % total_;
  for (size_t i = 0; i < arms_.size(); ++i) {
    uint64_t w = static_cast<uint64_t>(arms_[i].weight);
    if (point < w) return static_cast<int>(i);
    point -= w;
  }
  return static_cast<int>(arms_.size()) - 1;  // unreachable: point < total_
}

}  // namespace owlet::answer
