#include <gtest/gtest.h>

#include "config/config.h"
#include "support/test_support.h"

using owlet::Config;
using owlet::test::TempDir;
using owlet::test::write_file;

namespace {

std::vector<char*> env_of(std::vector<std::string>& storage) {
  std::vector<char*> v;
  for (auto& s : storage) v.push_back(s.data());
  v.push_back(nullptr);
  return v;
}

}  // namespace

TEST(Config, DefaultsAreTheDocumentedOnes) {
  Config c;
  EXPECT_EQ(c.batch_size, 512);
  EXPECT_EQ(c.precision, "f16");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 11435);
  // Every key has help text and a default rendered as text.
  for (const auto& k : owlet::config_keys()) {
    EXPECT_FALSE(k.help.empty()) << k.name;
    EXPECT_FALSE(k.type.empty()) << k.name;
  }
}

TEST(Config, LayersYamlThenEnvThenFlags) {
  TempDir dir;
  write_file(dir / "c.yml", "top_k: 11\ntemperature: 0.5\nmodel: /from/yaml.gguf\nseed: 7\n");
  std::vector<std::string> env = {"OWLET_TOP_K=22", "OWLET_SEED=8", "PATH=/bin", "OWLET_JOBS=4"};
  auto envp = env_of(env);
  Config c;
  std::string err;
  ASSERT_TRUE(owlet::config_resolve(c, (dir / "c.yml").string(), envp.data(), {{"seed", "9"}}, &err)) << err;
  EXPECT_EQ(c.top_k, 22);                     // env beats yaml
  EXPECT_FLOAT_EQ(c.temperature, 0.5f);       // yaml beats default
  EXPECT_EQ(c.model, "/from/yaml.gguf");
  EXPECT_EQ(c.seed, 9);                       // flag beats env
}

TEST(Config, UnknownYamlKeyIsAnErrorNamingKeyAndFile) {
  TempDir dir;
  write_file(dir / "c.yml", "top_k: 3\ntop_kk: 4\n");
  Config c;
  std::string err;
  EXPECT_FALSE(owlet::config_load_yaml(c, (dir / "c.yml").string(), &err));
  EXPECT_NE(err.find("top_kk"), std::string::npos) << err;
  EXPECT_NE(err.find("c.yml"), std::string::npos) << err;
}

TEST(Config, NestedUnknownKeyIsReportedDotted) {
  TempDir dir;
  write_file(dir / "c.yml", "web:\n  providers: 3\n");
  Config c;
  std::string err;
  EXPECT_FALSE(owlet::config_load_yaml(c, (dir / "c.yml").string(), &err));
  EXPECT_NE(err.find("web.providers"), std::string::npos) << err;
}

TEST(Config, BadValuesNameTheKey) {
  Config c;
  std::string err;
  EXPECT_FALSE(owlet::config_set(c, "top_k", "abc", &err));
  EXPECT_NE(err.find("top_k"), std::string::npos);
  EXPECT_FALSE(owlet::config_set(c, "top_p", "1.5", &err));
  EXPECT_NE(err.find("top_p"), std::string::npos);
  EXPECT_NE(err.find("out of range"), std::string::npos);
  EXPECT_FALSE(owlet::config_set(c, "precision", "f8", &err));
  EXPECT_NE(err.find("precision"), std::string::npos);
  EXPECT_FALSE(owlet::config_set(c, "mmap", "maybe", &err));
  EXPECT_FALSE(owlet::config_set(c, "port", "70000", &err));
  EXPECT_FALSE(owlet::config_set(c, "temperature", "nan", &err));
  EXPECT_FALSE(owlet::config_set(c, "threads", "", &err));
  EXPECT_FALSE(owlet::config_set(c, "nope", "1", &err));
  EXPECT_NE(err.find("unknown key 'nope'"), std::string::npos);
  // Nothing was changed by the failed sets.
  EXPECT_EQ(c.top_k, Config{}.top_k);
  EXPECT_EQ(c.precision, "f16");
}

TEST(Config, YamlBadValueNamesKeyAndFile) {
  TempDir dir;
  write_file(dir / "c.yml", "ctx_size: lots\n");
  Config c;
  std::string err;
  EXPECT_FALSE(owlet::config_load_yaml(c, (dir / "c.yml").string(), &err));
  EXPECT_NE(err.find("ctx_size"), std::string::npos) << err;
  EXPECT_NE(err.find("c.yml"), std::string::npos) << err;
}

TEST(Config, EnvBadValueNamesVariable) {
  std::vector<std::string> env = {"OWLET_CTX_SIZE=big"};
  auto envp = env_of(env);
  Config c;
  std::string err;
  EXPECT_FALSE(owlet::config_load_env(c, envp.data(), &err));
  EXPECT_NE(err.find("OWLET_CTX_SIZE"), std::string::npos) << err;
}

TEST(Config, FlagBadValueNamesFlag) {
  Config c;
  std::string err;
  std::vector<std::string> env;
  auto envp = env_of(env);
  EXPECT_FALSE(owlet::config_resolve(c, "", envp.data(), {{"top_k", "-5"}}, &err));
  EXPECT_NE(err.find("--top-k"), std::string::npos) << err;
}

TEST(Config, InvalidYamlSyntaxGivesLine) {
  TempDir dir;
  write_file(dir / "c.yml", "top_k: 3\n  bad: [unclosed\n");
  Config c;
  std::string err;
  EXPECT_FALSE(owlet::config_load_yaml(c, (dir / "c.yml").string(), &err));
  EXPECT_NE(err.find("line"), std::string::npos) << err;
}

TEST(Config, NonMappingAndListValuesAreErrors) {
  TempDir dir;
  write_file(dir / "a.yml", "- just\n- a list\n");
  write_file(dir / "b.yml", "model: [a, b]\n");
  Config c;
  std::string err;
  EXPECT_FALSE(owlet::config_load_yaml(c, (dir / "a.yml").string(), &err));
  EXPECT_FALSE(owlet::config_load_yaml(c, (dir / "b.yml").string(), &err));
  EXPECT_NE(err.find("model"), std::string::npos) << err;
}

TEST(Config, EmptyFileSetsNothing) {
  TempDir dir;
  write_file(dir / "c.yml", "");
  Config c;
  std::string err;
  EXPECT_TRUE(owlet::config_load_yaml(c, (dir / "c.yml").string(), &err)) << err;
  EXPECT_EQ(c.top_k, Config{}.top_k);
}

TEST(Config, ExplicitMissingFileIsAnError) {
  std::string path, err;
  EXPECT_FALSE(owlet::config_default_path("/nonexistent/owlet.yml", &path, &err));
  EXPECT_NE(err.find("/nonexistent/owlet.yml"), std::string::npos);
}

TEST(Config, ExperimentArmsParseAndRejectBadSpecs) {
  std::vector<owlet::ArmWeight> arms;
  std::string err;
  ASSERT_TRUE(owlet::config_parse_arms("control:50, deep-2:25,x_y:1", &arms, &err)) << err;
  ASSERT_EQ(arms.size(), 3u);
  EXPECT_EQ(arms[0].name, "control");
  EXPECT_EQ(arms[0].weight, 50);
  EXPECT_EQ(arms[1].name, "deep-2");
  EXPECT_EQ(arms[2].weight, 1);
  ASSERT_TRUE(owlet::config_parse_arms("", &arms, &err));
  EXPECT_TRUE(arms.empty());
  for (const char* bad : {"control", "control:0", "control:-1", "control:x", "Control:5", "a b:5", "a:5,a:6",
                          "a:5.5", "a:99999999", ":5"}) {
    err.clear();
    EXPECT_FALSE(owlet::config_parse_arms(bad, &arms, &err)) << bad;
    EXPECT_EQ(err.rfind("experiment_arms: ", 0), 0u) << bad << " -> " << err;
  }
  Config c;
  EXPECT_FALSE(owlet::config_set(c, "experiment_arms", "deep:zero", &err));
  EXPECT_NE(err.find("experiment_arms"), std::string::npos) << err;
  EXPECT_TRUE(c.experiment_arms.empty());
  EXPECT_TRUE(owlet::config_set(c, "experiment_arms", "control:50,deep:50", &err)) << err;
  EXPECT_EQ(c.experiment_arms, "control:50,deep:50");
}

TEST(Config, ArmOverridesAreValidatedLikeTheirKeys) {
  Config c;
  std::string err;
  ASSERT_TRUE(owlet::config_set(c, "experiment_arms", "control:1,deep:1", &err)) << err;
  ASSERT_TRUE(owlet::config_set(c, "arm.deep.coverage_threshold", "0.5", &err)) << err;
  ASSERT_TRUE(owlet::config_set(c, "arm.deep.web", "always", &err)) << err;
  ASSERT_TRUE(owlet::config_set(c, "arm.deep.coverage_threshold", "0.4", &err)) << err;  // a later layer wins
  ASSERT_EQ(c.arms["deep"].size(), 2u);
  EXPECT_EQ(c.arms["deep"][0], (std::pair<std::string, std::string>{"coverage_threshold", "0.4"}));
  EXPECT_DOUBLE_EQ(c.coverage_threshold, 0.7);  // the base config is untouched

  EXPECT_FALSE(owlet::config_set(c, "arm.deep.coverage_threshold", "2", &err));
  EXPECT_EQ(err.rfind("arm.deep.coverage_threshold: ", 0), 0u) << err;
  EXPECT_FALSE(owlet::config_set(c, "arm.deep.web", "sometimes", &err));
  EXPECT_EQ(err.rfind("arm.deep.web: ", 0), 0u) << err;
  EXPECT_FALSE(owlet::config_set(c, "arm.deep.port", "80", &err));  // not an arm key
  EXPECT_NE(err.find("cannot override 'port'"), std::string::npos) << err;
  EXPECT_FALSE(owlet::config_set(c, "arm.Deep!.web", "never", &err));
  EXPECT_NE(err.find("arm name"), std::string::npos) << err;

  Config deep;
  ASSERT_TRUE(owlet::config_for_arm(c, "deep", &deep, &err)) << err;
  EXPECT_DOUBLE_EQ(deep.coverage_threshold, 0.4);
  EXPECT_EQ(deep.web, "always");
  EXPECT_TRUE(deep.arms.empty());
  Config control;
  ASSERT_TRUE(owlet::config_for_arm(c, "control", &control, &err)) << err;
  EXPECT_DOUBLE_EQ(control.coverage_threshold, 0.7);
  EXPECT_EQ(control.web, "auto");
  EXPECT_TRUE(owlet::config_check_arms(c, &err)) << err;

  // An override for an arm that is not listed is an error at resolve time.
  ASSERT_TRUE(owlet::config_set(c, "arm.ghost.max_sources", "3", &err)) << err;
  EXPECT_FALSE(owlet::config_check_arms(c, &err));
  EXPECT_NE(err.find("arm 'ghost' is not listed in experiment_arms"), std::string::npos) << err;
}

TEST(Config, ArmOverridesLoadFromNestedYaml) {
  TempDir dir;
  write_file(dir / "c.yml",
             "experiment_arms: \"control:50,deep:50\"\n"
             "arm:\n  deep:\n    coverage_threshold: 0.5\n    context_tokens: 2048\n    search_providers: wikipedia\n");
  Config c;
  std::string err;
  ASSERT_TRUE(owlet::config_resolve(c, (dir / "c.yml").string(), nullptr, {}, &err)) << err;
  ASSERT_EQ(c.arms.count("deep"), 1u);
  EXPECT_EQ(c.arms["deep"].size(), 3u);
  Config deep;
  ASSERT_TRUE(owlet::config_for_arm(c, "deep", &deep, &err)) << err;
  EXPECT_DOUBLE_EQ(deep.coverage_threshold, 0.5);
  EXPECT_EQ(deep.context_tokens, 2048);
  EXPECT_EQ(deep.search_providers, "wikipedia");

  write_file(dir / "bad.yml", "arm:\n  deep:\n    max_sources: 0\n");
  Config b;
  EXPECT_FALSE(owlet::config_load_yaml(b, (dir / "bad.yml").string(), &err));
  EXPECT_NE(err.find("arm.deep.max_sources"), std::string::npos) << err;

  write_file(dir / "orphan.yml", "arm: {deep: {coverage_threshold: 0.5}}\n");
  Config o;
  EXPECT_FALSE(owlet::config_resolve(o, (dir / "orphan.yml").string(), nullptr, {}, &err));
  EXPECT_NE(err.find("not listed in experiment_arms"), std::string::npos) << err;
}

TEST(Config, ClusterKeysAreCheckedWithoutEchoingSecrets) {
  Config c;
  std::string err;
  EXPECT_TRUE(c.cluster_redis.empty());  // single node unless set
  EXPECT_TRUE(owlet::config_set(c, "cluster_redis", "redis://:pw@10.0.0.5:6379/2", &err)) << err;
  EXPECT_EQ(c.cluster_redis, "redis://:pw@10.0.0.5:6379/2");
  EXPECT_TRUE(owlet::config_set(c, "cluster_redis", "rediss://cache.internal", &err)) << err;
  EXPECT_FALSE(owlet::config_set(c, "cluster_redis", "http://user:hunter2@host/0", &err));
  EXPECT_NE(err.find("cluster_redis"), std::string::npos);
  EXPECT_EQ(err.find("hunter2"), std::string::npos) << err;
  EXPECT_TRUE(owlet::config_set(c, "rpc_servers", "10.0.0.7:50052, 10.0.0.8:50052", &err)) << err;
  EXPECT_FALSE(owlet::config_set(c, "rpc_servers", "10.0.0.7", &err));
  EXPECT_NE(err.find("rpc_servers"), std::string::npos);
  EXPECT_FALSE(owlet::config_set(c, "rpc_servers", "host:99999", &err));
  EXPECT_TRUE(owlet::config_set(c, "host_rate_limit", "2.5", &err)) << err;
  EXPECT_DOUBLE_EQ(c.host_rate_limit, 2.5);
  EXPECT_FALSE(owlet::config_set(c, "host_rate_limit", "-1", &err));
}
