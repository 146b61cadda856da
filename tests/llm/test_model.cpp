// Loading every fixture model, and failing clearly on every kind of bad file.
#include <gguf.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "llm/model.h"
#include "support/test_support.h"

using owlet::llm::Model;
using owlet::test::fixture_model;
using owlet::test::TempDir;

namespace {

std::unique_ptr<Model> load(const std::string& path, owlet::Error* err) { return Model::load({path, 0, true}, err); }

void expect_one_line_error(const std::string& path, const std::string& must_contain) {
  owlet::Error err;
  auto m = load(path, &err);
  EXPECT_EQ(m, nullptr);
  EXPECT_FALSE(err.ok());
  EXPECT_EQ(err.message.find('\n'), std::string::npos) << err;
  EXPECT_NE(err.message.find(must_contain), std::string::npos) << err;
}

}  // namespace

struct FixtureCase {
  const char* name;
  const char* arch;
  bool embedding;
};

class FixtureLoad : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(FixtureLoad, LoadsWithMetadata) {
  const auto& c = GetParam();
  std::string path = fixture_model(c.name);
  ASSERT_FALSE(path.empty()) << "fixture " << c.name << " missing (fixtures_models test must run first)";
  owlet::Error err;
  auto m = load(path, &err);
  ASSERT_NE(m, nullptr) << err;
  EXPECT_EQ(m->info().architecture, c.arch);
  EXPECT_EQ(m->info().n_embd, 64);
  EXPECT_GT(m->info().n_vocab, 20000);
  EXPECT_GT(m->info().n_params, 0u);
  EXPECT_EQ(m->info().is_embedding, c.embedding);
  EXPECT_EQ(m->meta("general.name"), std::string("owlet-fixture-") + c.name);
}

INSTANTIATE_TEST_SUITE_P(All, FixtureLoad,
                         ::testing::Values(FixtureCase{"qwen2-tiny", "qwen2", false},
                                           FixtureCase{"llama-tiny", "llama", false},
                                           FixtureCase{"deepseek-tiny", "llama", false},
                                           FixtureCase{"bert-tiny", "bert", true}),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (auto& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

TEST(BadModel, Missing) { expect_one_line_error("/nonexistent/model.gguf", "not found"); }

TEST(BadModel, Directory) {
  TempDir d;
  expect_one_line_error(d.path().string(), "directory");
}

TEST(BadModel, Empty) {
  TempDir d;
  owlet::test::write_file(d / "empty.gguf", "");
  expect_one_line_error((d / "empty.gguf").string(), "empty");
}

TEST(BadModel, RandomBytes) {
  TempDir d;
  std::string junk(100000, '\0');
  uint32_t x = 12345;
  for (auto& c : junk) c = static_cast<char>((x = x * 1103515245 + 12345) >> 16);
  owlet::test::write_file(d / "junk.gguf", junk);
  expect_one_line_error((d / "junk.gguf").string(), "not a GGUF");
}

TEST(BadModel, RandomBytesAfterMagic) {
  TempDir d;
  std::string junk = "GGUF" + std::string(5000, '\x7f');
  owlet::test::write_file(d / "junk.gguf", junk);
  expect_one_line_error((d / "junk.gguf").string(), "cannot load model");
}

TEST(BadModel, Truncated) {
  std::string src = fixture_model("qwen2-tiny");
  ASSERT_FALSE(src.empty());
  TempDir d;
  std::string bytes = owlet::test::read_file(src);
  for (double frac : {0.5, 0.999}) {
    owlet::test::write_file(d / "trunc.gguf", bytes.substr(0, static_cast<size_t>(bytes.size() * frac)));
    expect_one_line_error((d / "trunc.gguf").string(), "cannot load model");
  }
  // Cut inside the header, too.
  owlet::test::write_file(d / "trunc.gguf", bytes.substr(0, 64));
  expect_one_line_error((d / "trunc.gguf").string(), "cannot load model");
}

TEST(BadModel, MissingTensor) {
  std::string src = fixture_model("qwen2-tiny");
  ASSERT_FALSE(src.empty());
  // Rewrite the fixture without blk.1.ffn_down.weight, using ggml's gguf API.
  ggml_context* data = nullptr;
  gguf_init_params p = {false, &data};
  gguf_context* in = gguf_init_from_file(src.c_str(), p);
  ASSERT_NE(in, nullptr);
  gguf_context* out = gguf_init_empty();
  gguf_set_kv(out, in);
  for (int64_t i = 0; i < gguf_get_n_tensors(in); ++i) {
    std::string name = gguf_get_tensor_name(in, i);
    if (name == "blk.1.ffn_down.weight") continue;
    gguf_add_tensor(out, ggml_get_tensor(data, name.c_str()));
  }
  TempDir d;
  std::string path = (d / "missing.gguf").string();
  ASSERT_TRUE(gguf_write_to_file(out, path.c_str(), false));
  gguf_free(out);
  gguf_free(in);
  ggml_free(data);
  expect_one_line_error(path, "blk.1.ffn_down.weight");
}
