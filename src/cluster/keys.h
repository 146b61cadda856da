// Redis key names of everything owlet keeps there, in one place. All start with
// "owlet:" so a shared Redis database can be inspected (and cleaned) by prefix;
// give a cluster a database of its own with the /db part of cluster_redis.
#pragma once

#include <string>
#include <string_view>

namespace owlet::cluster::keys {

// The knowledge-base change stream: the source of truth of cluster ingests.
inline constexpr const char* kChanges = "owlet:kb:changes";
// Hash replica id -> "<applied stream id> <unix ms>": who has applied how much.
inline constexpr const char* kReplicas = "owlet:kb:replicas";

// XXH3-128 of `text`, hex: bounded key lengths whatever a question or URL holds.
std::string digest(std::string_view text);

inline std::string answer(std::string_view key) { return "owlet:answer:" + digest(key); }
// Set of the answer keys (answer(...)) whose answers cite a source: what its
// removal or replacement drops.
inline std::string answer_cites(std::string_view source) { return "owlet:answer-cites:" + digest(source); }
inline std::string page(std::string_view cache_key) { return "owlet:page:" + digest(cache_key); }
inline std::string rate(std::string_view host, long long window) {
  return "owlet:rate:" + std::string(host) + ":" + std::to_string(window);
}
inline std::string backoff(std::string_view host) { return "owlet:backoff:" + std::string(host); }

}  // namespace owlet::cluster::keys
