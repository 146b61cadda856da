// Cold tier: full document texts, zstd-compressed, in one append-only file.
//
// Record layout (little endian):
//   u32 magic 'OWCR' | u32 dict_id | u64 raw_len | u64 comp_len | u64 checksum | payload
// checksum = XXH3-64 over the header fields before it and the payload, so a
// truncated or overwritten record is reported, never decompressed into garbage.
// Where each text lives (offset, length, dictionary) is kept in the SQLite
// table cold_blobs, keyed by content hash: identical texts are stored once.
//
// Small texts compress poorly on their own; once enough of them exist a zstd
// dictionary is trained from samples (train_dictionary) and used for later small
// records. Dictionary ids are 1-based; 0 means no dictionary.
#pragma once

#include "common/error.h"

#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace owlet::kb {

struct ColdLocation {
  uint64_t offset = 0;
  uint64_t length = 0;  // whole record, header included
  uint64_t raw_length = 0;
  uint32_t dict_id = 0;
};

class ColdArchive {
 public:
  ColdArchive() = default;
  ~ColdArchive();
  ColdArchive(const ColdArchive&) = delete;
  ColdArchive& operator=(const ColdArchive&) = delete;

  bool open(const std::string& path, Error* err);
  void close();

  // Registers a trained dictionary (loaded from the database or just trained).
  bool add_dictionary(uint32_t id, std::string bytes, Error* err);
  uint32_t latest_dictionary() const;

  // Appends one record (one writer at a time; reads may run concurrently).
  // dict_id 0 = no dictionary.
  bool append(std::string_view text, uint32_t dict_id, ColdLocation* loc, Error* err);

  // Reads and verifies one record. Thread-safe.
  bool read(const ColdLocation& loc, std::string* text, Error* err) const;

  // Pushes appended records to disk (before the database commit that references them).
  bool sync(Error* err);

  uint64_t size() const;
  const std::string& path() const { return path_; }

  static constexpr size_t kHeaderSize = 32;

 private:
  struct Dict;
  std::string path_;
  int fd_ = -1;
  uint64_t end_ = 0;
  mutable std::shared_mutex dict_mu_;
  std::map<uint32_t, std::shared_ptr<Dict>> dicts_;
};

// Trains a zstd dictionary of about dict_bytes from samples; false (with *err) when
// zstd finds too little to learn from.
bool train_dictionary(const std::vector<std::string>& samples, size_t dict_bytes, std::string* dict,
                      Error* err);

}  // namespace owlet::kb
