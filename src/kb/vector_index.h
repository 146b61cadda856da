// Warm tier: an HNSW graph (hnswlib) over L2-normalized chunk embeddings, inner
// product space, labels = chunk ids. Thread-safe: searches share, writes exclude.
//
// Persisted as <path> (hnswlib's format) plus <path>.meta (JSON: dim, embedder id,
// database generation, element count, XXH3 of the index file). load() refuses a file
// whose checksum, dimension, embedder or generation does not match; the caller then
// rebuilds from the vectors stored in SQLite. hnswlib itself trusts its input, so
// the checksum is what keeps a corrupted file from being parsed at all.
#pragma once

#include "common/error.h"

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

namespace hnswlib {
template <typename T>
class HierarchicalNSW;
class InnerProductSpace;
}  // namespace hnswlib

namespace owlet::kb {

struct VectorIndexMeta {
  int dim = 0;
  std::string embedder_id;
  int64_t generation = 0;  // database generation the file reflects
};

struct HnswParams {
  int m = 16;                 // graph degree
  int ef_construction = 100;
  int ef_search = 128;        // candidate list per query (>= k): recall vs time
};

class VectorIndex {
 public:
  explicit VectorIndex(int dim, HnswParams params = {});
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  int dim() const { return dim_; }

  // Empties the index, sized for `capacity` elements (grows on demand).
  void reset(size_t capacity);

  // Adds or replaces one vector (must be normalized, dim floats).
  bool add(int64_t label, const float* vec, Error* err);
  // Marks a label deleted; unknown labels are ignored.
  void remove(int64_t label);

  // Nearest labels by cosine similarity, best first.
  std::vector<std::pair<int64_t, float>> search(const float* vec, size_t k) const;

  size_t size() const;  // live (not deleted) elements

  bool save(const std::string& path, const VectorIndexMeta& meta, Error* err) const;
  // False (and the index untouched) when the files are missing, corrupt or do not
  // match `expect`; *why says which.
  bool load(const std::string& path, const VectorIndexMeta& expect, std::string* why);

 private:
  int dim_;
  HnswParams params_;
  std::unique_ptr<hnswlib::InnerProductSpace> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index_;
  mutable std::shared_mutex mu_;
};

// Scales v to unit length in place (no-op for a zero vector).
void l2_normalize(std::vector<float>* v);

}  // namespace owlet::kb
