// A/B experiments: config-defined arms with weights, and the sticky assignment
// of a client to one of them. The same client id always lands on the same arm
// (as long as the arm list is unchanged), so one user sees one behaviour and
// the arms' metrics compare populations, not requests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace owlet::answer {

// A stable 64-bit hash of a client id: FNV-1a, then a splitmix64 finalizer so
// that ids differing only in their last characters (addresses, counters)
// spread over the whole range rather than its low bits.
uint64_t client_hash(std::string_view client_id);

class Experiment {
 public:
  // "control:50,deep:50"; "" = no experiment (arms() empty). False with *err.
  static bool parse(std::string_view spec, Experiment* out, std::string* err);

  // Index into arms() of the arm for this client; -1 when there are no arms.
  int assign(std::string_view client_id) const;

  const std::vector<ArmWeight>& arms() const { return arms_; }
  bool active() const { return !arms_.empty(); }

 private:
  std::vector<ArmWeight> arms_;
  uint64_t total_ = 0;
};

}  // namespace owlet::answer
