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
  a.found_nothing = j.value("found_nothing", false);
  if (j.contains("cites") && j["cites"].is_array())
    for (const auto& c : j["cites"])
      if (c.is_string()) a.cites.push_back(c.get<std::string>());
  if (metrics_) metrics_->inc("owlet_cluster_shared_hits_total", "lookups served by the cluster's Redis tier", {{"cache", "answer"}});
  return a;
}

void RedisAnswerCache::put(const std::string& key, const kb::CachedAnswer& e) {
  if (e.found_nothing) return;  // valid for one knowledge base's version only
  const std::string k = keys::answer(key);
  std::vector<std::string> cmd = {"SET", k,
                                  nlohmann::json{{"question", e.question},
                                                 {"answer", e.answer},
                                                 {"sources", e.sources_json},
                                                 {"route", e.route},
                                                 {"variant", e.variant},
                                                 {"created_at", e.created_at},
                                                 {"expires_at", e.expires_at},
                                                 {"cites", e.cites}}
                                      .dump()};
  int64_t ttl = 0;
  if (e.expires_at != 0) {
    ttl = e.expires_at - static_cast<int64_t>(std::time(nullptr));
    if (ttl <= 0) return;
    cmd.push_back("EX");
    cmd.push_back(std::to_string(ttl));
  }
  // The cite sets first: an answer is never in Redis without the index that drops it.
  std::vector<std::vector<std::string>> cmds;
  for (const auto& source : e.cites) {
    if (source.empty()) continue;
    cmds.push_back({"SADD", keys::answer_cites(source), k});
    // A set lives at least as long as its longest-lived answer (no expiry: none).
    if (ttl > 0) {
      cmds.push_back({"EXPIRE", keys::answer_cites(source), std::to_string(ttl), "NX"});  // a new set
      cmds.push_back({"EXPIRE", keys::answer_cites(source), std::to_string(ttl), "GT"});  // a longer-lived answer
    }
    else cmds.push_back({"PERSIST", keys::answer_cites(source)});
  }
  cmds.push_back(std::move(cmd));
  std::vector<Reply> replies;
  link_->run(cmds, &replies, nullptr);  // best effort: the local tier has it either way
}

int64_t RedisAnswerCache::drop_citing(const std::string& source) {
  const std::string set = keys::answer_cites(source);
  Reply members;
  if (!link_->run({"SMEMBERS", set}, &members, nullptr) || members.type != Reply::Type::array) return -1;
  std::vector<std::string> del = {"DEL", set};
  for (const Reply& m : members.elements) del.push_back(m.str);
  Reply r;
  if (!link_->run(del, &r, nullptr)) return -1;
  const int64_t n = static_cast<int64_t>(members.elements.size());
  if (metrics_ && n > 0)
    metrics_->inc("owlet_cluster_answers_dropped_total", "shared cached answers dropped because a cited document changed",
                  {}, static_cast<double>(n));
  return n;
}

int64_t RedisAnswerCache::clear() {
  int64_t n = 0;
  for (const std::string pattern : {"owlet:answer:*", "owlet:answer-cites:*"}) {
    const bool answers = pattern == "owlet:answer:*";
    std::string cursor = "0";
    do {
      Reply r;
      if (!link_->run({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"}, &r, nullptr) ||
          r.type != Reply::Type::array || r.elements.size() != 2)
        return -1;
      cursor = r.elements[0].str;
      std::vector<std::string> del = {"DEL"};
      for (const Reply& k : r.elements[1].elements) del.push_back(k.str);
      if (del.size() > 1) {
        Reply d;
        if (!link_->run(del, &d, nullptr)) return -1;
        if (answers) n += d.integer;  // count answers, not their cite sets
      }
    } while (cursor != "0");
  }
  return n;
}

}  // namespace owlet::cluster
