// Knowledge replication in process: real knowledge bases (each in its own
// directory, as on separate machines) and real Replicators on one redis-server.
#include <gtest/gtest.h>

#include "cluster/keys.h"
#include "cluster/replicator.h"
#include "cluster_fixture.h"
#include "kb/knowledge_base.h"
#include "support/test_support.h"

using namespace owlet;
using namespace owlet::cluster;
using namespace owlet::cluster::test;

namespace {

struct Replica {
  std::unique_ptr<kb::KnowledgeBase> kb;
  std::unique_ptr<Replicator> rep;

  Replica(const std::filesystem::path& dir, const std::string& id, const std::shared_ptr<RedisLink>& link) {
    kb::KbOptions o;
    o.journal_changes = true;
    Error err;
    kb = kb::KnowledgeBase::open(dir.string(), o, &err);
    EXPECT_TRUE(kb) << err.message;
    ReplicatorOptions ro;
    ro.replica_id = id;
    ro.block = std::chrono::milliseconds(200);
    ro.report_every = std::chrono::milliseconds(200);
    rep = std::make_unique<Replicator>(link, kb.get(), nullptr, ro);
    rep->start();
  }
  ~Replica() { rep.reset(); }  // threads stop before the knowledge base closes

  bool has(const std::string& source) const { return kb->document_info(source).has_value(); }
  std::string text_of(const std::string& source) const {
    auto info = kb->document_info(source);
    std::string text;
    Error err;
    if (info) kb->get_document(info->id, nullptr, &text, &err);
    return text;
  }
};

kb::Document doc(const std::string& source, const std::string& text) {
  kb::Document d;
  d.source = source;
  d.title = source;
  d.text = text;
  return d;
}

std::string text_for(int i) {
  return "Document number " + std::to_string(i) + " tells of the owl species kept under catalogue mark k" +
         std::to_string(i * 7919) + " and where it nests.";
}

class Replication : public ::testing::Test {
 protected:
  void SetUp() override {
    if (RedisServer::binary().empty()) GTEST_SKIP() << "redis-server is not installed (scripts/setup.sh installs it)";
    std::string err;
    ASSERT_TRUE(redis.start(dir.path() / "redis", &err)) << err;
    RedisUrl u;
    Error e;
    ASSERT_TRUE(parse_redis_url(redis.url(), &u, &e));
    link_a = std::make_shared<RedisLink>(u);  // one link per replica, as in separate processes
    link_b = std::make_shared<RedisLink>(u);
  }
  std::string last_stream_id() {
    auto c = redis.connect();
    Reply r;
    if (!c || !c->run({"XREVRANGE", keys::kChanges, "+", "-", "COUNT", "1"}, &r, nullptr) || r.elements.empty())
      return "";
    return r.elements[0].elements[0].str;
  }
  owlet::test::TempDir dir;
  RedisServer redis;
  std::shared_ptr<RedisLink> link_a, link_b;
};

}  // namespace

TEST_F(Replication, AddReplaceAndRemoveReachTheOtherReplica) {
  Replica a(dir.path() / "a", "a", link_a), b(dir.path() / "b", "b", link_b);
  ASSERT_EQ(a.kb->add(doc("notes/owls", text_for(1))).status, kb::AddStatus::kAdded);
  ASSERT_TRUE(wait_until([&] { return b.has("notes/owls"); }, 5s)) << "B never saw A's document";
  EXPECT_EQ(b.text_of("notes/owls"), text_for(1));
  EXPECT_EQ(b.kb->search("k7919", 3).hits.size(), 1u);
  // Replace on A.
  ASSERT_EQ(a.kb->add(doc("notes/owls", text_for(2))).status, kb::AddStatus::kReplaced);
  ASSERT_TRUE(wait_until([&] { return b.text_of("notes/owls") == text_for(2); }, 5s));
  // Remove on B: A follows.
  bool found = false;
  Error err;
  ASSERT_TRUE(b.kb->remove(std::string("notes/owls"), &found, &err)) << err.message;
  ASSERT_TRUE(wait_until([&] { return !a.has("notes/owls"); }, 5s));
  // Both have published everything and applied the whole stream.
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string last = last_stream_id();
        return a.kb->pending_count() == 0 && b.kb->pending_count() == 0 &&
               a.kb->applied_position(keys::kChanges) == last && b.kb->applied_position(keys::kChanges) == last;
      },
      5s));
  EXPECT_EQ(a.kb->stats().documents, 0);
  EXPECT_EQ(b.kb->stats().documents, 0);
  ReplicationStatus s = a.rep->status();
  EXPECT_TRUE(s.link_up);
  EXPECT_EQ(s.published_total, 2u);  // add, replace
  EXPECT_EQ(s.applied_total, 3u);    // its own two (unchanged) and B's removal
}

TEST_F(Replication, ALateReplicaCatchesUpOnTheWholeStream) {
  {
    Replica a(dir.path() / "a", "a", link_a);
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(a.kb->add(doc("doc/" + std::to_string(i), text_for(i))).ok());
    bool found = false;
    Error err;
    ASSERT_TRUE(a.kb->remove(std::string("doc/3"), &found, &err));
    ASSERT_TRUE(a.kb->add(doc("doc/4", text_for(104))).ok());
    ASSERT_TRUE(wait_until([&] { return a.kb->pending_count() == 0; }, 10s));
  }  // A is gone; the stream stays
  Replica c(dir.path() / "c", "c", link_b);
  ASSERT_TRUE(wait_until([&] { return c.kb->applied_position(keys::kChanges) == last_stream_id(); }, 10s));
  EXPECT_EQ(c.kb->stats().documents, 29);
  EXPECT_FALSE(c.has("doc/3"));
  EXPECT_EQ(c.text_of("doc/4"), text_for(104));
  EXPECT_EQ(c.text_of("doc/29"), text_for(29));
  EXPECT_EQ(c.kb->pending_count(), 0);  // what it applied is not sent back
}

TEST_F(Replication, ChangesMadeDuringAnOutageArriveAfterIt) {
  Replica a(dir.path() / "a", "a", link_a), b(dir.path() / "b", "b", link_b);
  ASSERT_TRUE(a.kb->add(doc("before", text_for(1))).ok());
  ASSERT_TRUE(wait_until([&] { return b.has("before"); }, 5s));
  redis.stop();
  ASSERT_TRUE(wait_until([&] { return !a.rep->status().link_up && !b.rep->status().link_up; }, 5s));
  // Both keep taking local changes.
  ASSERT_TRUE(a.kb->add(doc("during/a", text_for(2))).ok());
  ASSERT_TRUE(b.kb->add(doc("during/b", text_for(3))).ok());
  EXPECT_EQ(a.kb->pending_count(), 1);
  EXPECT_FALSE(b.has("during/a"));
  std::string err;
  ASSERT_TRUE(redis.restart(&err)) << err;
  ASSERT_TRUE(wait_until([&] { return b.has("during/a") && a.has("during/b"); }, 15s))
      << "after the outage: B has A's change " << b.has("during/a") << ", A has B's " << a.has("during/b");
  EXPECT_TRUE(a.has("before"));
  EXPECT_EQ(link_a->outages(), 1u);
}
