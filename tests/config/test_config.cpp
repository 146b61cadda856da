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
