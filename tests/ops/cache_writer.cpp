// owlet-ops-cache-writer KB_DIR FIRST [ANSWER_BYTES]
//
// Writes answer-cache entries q<FIRST>, q<FIRST+1>, ... into the knowledge base in
// KB_DIR as fast as it can, forever, printing "<i>\n" to stdout only after
// cache_put(q<i>) returned (its transaction committed). crash_safety_test kills it
// with SIGKILL mid-stream: every number printed must survive, whole.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kb/knowledge_base.h"
#include "ops/cache_entry.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s KB_DIR FIRST [ANSWER_BYTES]\n", argv[0]);
    return 2;
  }
  const long first = std::atol(argv[2]);
  const size_t bytes = argc > 3 ? static_cast<size_t>(std::atol(argv[3])) : 4096;
  owlet::Error err;
  auto kb = owlet::kb::KnowledgeBase::open(argv[1], {}, &err);
  if (!kb) {
    fprintf(stderr, "open: %s\n", err.message.c_str());
    return 1;
  }
  for (long i = first;; ++i) {
    owlet::kb::CachedAnswer e;
    e.question = owlet::test::crash_question(i);
    e.answer = owlet::test::crash_answer(i, bytes);
    e.sources_json = owlet::test::crash_sources(i);
    e.route = "web-deep";
    if (!kb->cache_put(e, &err)) {
      fprintf(stderr, "cache_put %ld: %s\n", i, err.message.c_str());
      return 1;
    }
    printf("%ld\n", i);
    fflush(stdout);
  }
}
