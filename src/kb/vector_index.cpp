#include "kb/vector_index.h"

#include <hnswlib/hnswlib.h>
#include <xxhash.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include <unistd.h>

namespace owlet::kb {
namespace {


bool read_whole(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return static_cast<bool>(f) || f.eof();
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

void l2_normalize(std::vector<float>* v) {
  double n = 0;
  for (float x : *v) n += static_cast<double>(x) * x;
  if (n <= 0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(n));
  for (float& x : *v) x *= inv;
}

VectorIndex::VectorIndex(int dim, HnswParams params)
    : dim_(dim), params_(params), space_(std::make_unique<hnswlib::InnerProductSpace>(dim)) {
  reset(1024);
}

VectorIndex::~VectorIndex() = default;

void VectorIndex::reset(size_t capacity) {
  std::unique_lock lock(mu_);
  index_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(), std::max<size_t>(capacity, 16),
                                                              static_cast<size_t>(params_.m),
                                                              static_cast<size_t>(params_.ef_construction));
  index_->setEf(static_cast<size_t>(params_.ef_search));
}

bool VectorIndex::add(int64_t label, const float* vec, Error* err) {
  std::unique_lock lock(mu_);
  try {
    // Grow geometrically; a loaded empty index has capacity 0 (hnswlib sizes it to its count).
    if (index_->cur_element_count >= index_->max_elements_)
      index_->resizeIndex(std::max<size_t>(index_->max_elements_ * 2, 1024));
    index_->addPoint(vec, static_cast<hnswlib::labeltype>(label));
  } catch (const std::exception& e) {
    if (err) *err = Error(ErrorKind::internal, std::string("hnsw add: ") + e.what());
    return false;
  }
  return true;
}

void VectorIndex::remove(int64_t label) {
  std::unique_lock lock(mu_);
  try {
    index_->markDelete(static_cast<hnswlib::labeltype>(label));
  } catch (const std::exception&) {
    // Not in the index (never embedded, or already deleted): nothing to do.
  }
}

std::vector<std::pair<int64_t, float>> VectorIndex::search(const float* vec, size_t k) const {
  std::shared_lock lock(mu_);
  std::vector<std::pair<int64_t, float>> out;
  if (index_->cur_element_count == index_->num_deleted_ || k == 0) return out;
  // searchKnn explores max(ef, k) candidates.
  auto pq = index_->searchKnn(vec, k);
  out.resize(pq.size());
  for (size_t i = pq.size(); i-- > 0;) {
    // Inner-product distance is 1 - dot; report the similarity.
    out[i] = {static_cast<int64_t>(pq.top().second), 1.0f - pq.top().first};
    pq.pop();
  }
  return out;
}

size_t VectorIndex::size() const {
  std::shared_lock lock(mu_);
  return index_->cur_element_count - index_->num_deleted_;
}

bool VectorIndex::save(const std::string& path, const VectorIndexMeta& meta, Error* err) const {
  // Write both files under temporary names and rename: a crash leaves the old pair,
  // or a new index whose meta is missing (rebuilt), never a mismatched pair that
  // passes the checks.
  // Unique temporaries: two processes may save the same index at once.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                          std::to_string(reinterpret_cast<uintptr_t>(this));
  {
    std::shared_lock lock(mu_);
    try {
      index_->saveIndex(tmp);
    } catch (const std::exception& e) {
      if (err) *err = Error(ErrorKind::io, std::string("hnsw save: ") + e.what());
      return false;
    }
  }
  std::string bytes;
  if (!read_whole(tmp, &bytes)) {
    if (err) *err = Error(ErrorKind::io, "hnsw save: cannot reread " + tmp);
    return false;
  }
  nlohmann::json j = {{"format", 1},
                      {"dim", meta.dim},
                      {"embedder", meta.embedder_id},
                      {"generation", meta.generation},
                      {"bytes", bytes.size()},
                      {"xxh3", hex64(XXH3_64bits(bytes.data(), bytes.size()))}};
  std::error_code ec;
  std::filesystem::remove(path + ".meta", ec);
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    if (err) *err = Error(ErrorKind::io, "hnsw save: " + ec.message());
    return false;
  }
  {
    std::ofstream m(tmp + ".meta", std::ios::binary | std::ios::trunc);
    m << j.dump();
    if (!m) {
      if (err) *err = Error(ErrorKind::io, "hnsw save: cannot write " + path + ".meta");
      return false;
    }
  }
  std::filesystem::rename(tmp + ".meta", path + ".meta", ec);
  if (ec && err) *err = Error(ErrorKind::io, "hnsw save: " + ec.message());
  return !ec;
}

bool VectorIndex::load(const std::string& path, const VectorIndexMeta& expect, std::string* why) {
  auto refuse = [&](const std::string& w) {
    if (why) *why = w;
    return false;
  };
  std::string meta_text, bytes;
  if (!read_whole(path + ".meta", &meta_text)) return refuse("no index metadata");
  nlohmann::json j = nlohmann::json::parse(meta_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return refuse("unreadable index metadata");
  if (j.value("format", 0) != 1) return refuse("unknown index format");
  if (j.value("dim", 0) != expect.dim || j.value("dim", 0) != dim_) return refuse("dimension changed");
  if (j.value("embedder", std::string()) != expect.embedder_id) return refuse("embedding model changed");
  if (j.value("generation", int64_t{-1}) != expect.generation) return refuse("index is behind the database");
  if (!read_whole(path, &bytes)) return refuse("no index file");
  if (j.value("bytes", uint64_t{0}) != bytes.size() ||
      j.value("xxh3", std::string()) != hex64(XXH3_64bits(bytes.data(), bytes.size())))
    return refuse("index file checksum mismatch");
  try {
    auto idx = std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(), path);
    // hnswlib 0.6.2's loadIndex adds to num_deleted_ without zeroing it first.
    idx->num_deleted_ = 0;
    for (size_t i = 0; i < idx->cur_element_count; ++i)
      if (idx->isMarkedDeleted(static_cast<hnswlib::tableint>(i))) ++idx->num_deleted_;
    idx->setEf(static_cast<size_t>(params_.ef_search));
    std::unique_lock lock(mu_);
    index_ = std::move(idx);
  } catch (const std::exception& e) {
    return refuse(std::string("hnsw load: ") + e.what());
  }
  return true;
}

}  // namespace owlet::kb
