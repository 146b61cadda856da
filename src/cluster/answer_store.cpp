#include "cluster/answer_store.h"

#include <nlohmann/json.hpp>

#include <ctime>

#include "cluster/keys.h"
#include "obs/metrics.h"

namespace owlet::cluster {

std::optional<kb::CachedAnswer> RedisAnswerCache::get(const std::string& key) {
  Reply r;
  if (!link_->run({"GET", keys::answer(key)}, &r, nullptr) || r.type != Reply::Type::string) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(r.str, nullptr, false);
  if (!j.is_object() || !j.contains("answer") || !j["answer"].is_string()) return std::nullopt;
  kb::CachedAnswer a;
  a.question = j.value("question", key);
  a.answer = j["answer"].get<std::string>();
  a.sources_json = j.value("sources", "[]");
  a.route = j.value("route", "");
  a.variant = j.value("variant", "");
  a.created_at = j.value("created_at", int64_t{0});
  a.expires_at = j.value("expires_at", int64_t{0});
  if (metrics_) metrics_->inc("owlet_cluster_shared_hits_total", "lookups served by the cluster's Redis tier", {{"cache", "answer"}});
  return a;
}

void RedisAnswerCache::put(const std::string& key, const kb::CachedAnswer& e) {
  std::vector<std::string> cmd = {"SET", keys::answer(key),
                                  nlohmann::json{{"question", e.question},
                                                 {"answer", e.answer},
                                                 {"sources", e.sources_json},
                                                 {"route", e.route},
                                                 {"variant", e.variant},
                                                 {"created_at", e.created_at},
                                                 {"expires_at", e.expires_at}}
                                      .dump()};
  if (e.expires_at != 0) {
    const int64_t ttl = e.expires_at - static_cast<int64_t>(std::time(nullptr));
    if (ttl <= 0) return;
    cmd.push_back("EX");
    cmd.push_back(std::to_string(ttl));
  }
  Reply r;
  link_->run(cmd, &r, nullptr);  // best effort: the local tier has it either way
}

}  // namespace owlet::cluster
