// Bounded cost on adversarial input: text owlet ingests from the web or from
// /api/ingest can be a megabyte of base64 or a run-on sentence with no
// punctuation. Chunking it must stay near-linear; it took 17 s for 1 MB of one
// "word" before the chunker's budget search became a galloping one.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "kb/chunker.h"

namespace {

double chunk_seconds(const std::string& text, size_t* chunks) {
  auto t = std::chrono::steady_clock::now();
  *chunks = owlet::kb::chunk_text(text).size();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

TEST(AdversarialInput, MegabyteBlobAndRunOnSentenceChunkInBoundedTime) {
  std::string blob(1 << 20, 'x');
  for (size_t i = 0; i < blob.size(); i += 7) blob[i] = static_cast<char>('A' + i % 26);
  std::string runon;
  while (runon.size() < (1u << 20)) runon += "word" + std::to_string(runon.size() % 997) + " ";
  size_t n1 = 0, n2 = 0;
  double t1 = chunk_seconds(blob, &n1), t2 = chunk_seconds(runon, &n2);
  EXPECT_GT(n1, 100u);
  EXPECT_GT(n2, 100u);
  // ~0.3 s each on the 2-core CI machines; the quadratic version took 17 s and 2.6 s.
  EXPECT_LT(t1, 3.0) << "1 MB single word";
  EXPECT_LT(t2, 3.0) << "1 MB run-on sentence";
  RecordProperty("blob_ms", static_cast<int>(t1 * 1000));
  RecordProperty("runon_ms", static_cast<int>(t2 * 1000));
}

}  // namespace
