// Modelfiles as Ollama writes them, names compared as Ollama compares them,
// and created models in a scratch store: layers, merging over the base, copies.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "models/model_create.h"
#include "models/model_ref.h"
#include "models/model_store.h"
#include "models/modelfile.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace owlet;
using namespace owlet::models;

TEST(Modelfile, ParsesOllamasQuotingAndInstructions) {
  Modelfile mf;
  Error err;
  ASSERT_TRUE(parse_modelfile("# comment\n"
                              "from ./owl.gguf\n"
                              "\n"
                              "PARAMETER Temperature 0.3\n"
                              "PARAMETER stop \"<|im_end|>\"\n"
                              "PARAMETER stop <|endoftext|>\n"
                              "PARAMETER temperature 0.4\n"
                              "SYSTEM \"\"\"Line one.\n"
                              "Line \"two\".\"\"\"\n"
                              "TEMPLATE \"{{ messages[0]['content'] }} \\\"quoted\\\"\"\n"
                              "LICENSE MIT License\n",
                              &mf, &err))
      << err.message;
  EXPECT_EQ(mf.from, "./owl.gguf");
  EXPECT_EQ(*mf.profile.system, "Line one.\nLine \"two\".");
  EXPECT_EQ(*mf.profile.template_text, "{{ messages[0]['content'] }} \"quoted\"");
  EXPECT_EQ(*mf.profile.license, "MIT License");
  const Parameters want = {{"stop", "<|im_end|>"}, {"stop", "<|endoftext|>"}, {"temperature", "0.4"}};
  EXPECT_EQ(mf.profile.parameters, want);  // a later value replaces; stop accumulates

  Parameters back;
  ASSERT_TRUE(parameters_from_json(parameters_to_json(mf.profile.parameters), &back, &err));
  EXPECT_EQ(back.size(), 3u);
  EXPECT_EQ(parameters_to_text({{"top_k", "20"}, {"stop", "a\"b"}}),
            "top_k                          20\nstop                           \"a\\\"b\"\n");
}

TEST(Modelfile, ErrorsNameTheLine) {
  Modelfile mf;
  Error err;
  EXPECT_FALSE(parse_modelfile("FROM x\nSYSTEM \"\"\"never closed\n", &mf, &err));
  EXPECT_NE(err.message.find("line 2: unterminated"), std::string::npos) << err.message;
  EXPECT_FALSE(parse_modelfile("FROM x\n\nPARAMETER num_ctx big\n", &mf, &err));
  EXPECT_NE(err.message.find("line 3: parameter num_ctx: expected an integer"), std::string::npos) << err.message;
  EXPECT_FALSE(parse_modelfile("FORM x\n", &mf, &err));
  EXPECT_NE(err.message.find("unknown instruction 'form'"), std::string::npos) << err.message;
  EXPECT_FALSE(parse_modelfile("SYSTEM hi\n", &mf, &err));
  EXPECT_EQ(err.kind, ErrorKind::bad_request);
  EXPECT_TRUE(is_go_template("{{ if .System }}{{ .System }}{{ end }}"));
  EXPECT_TRUE(is_go_template("{{- range .Messages }}"));
  EXPECT_FALSE(is_go_template("{% for m in messages %}{{ m['content'] }}{% endfor %}"));
  EXPECT_FALSE(is_go_template("{{ bos_token }}{{ messages[0].content }}"));
}

TEST(ModelNames, ComparedAsOllamaDoes) {
  EXPECT_TRUE(same_model_name("qwen3-tiny", "qwen3-tiny:latest"));
  EXPECT_TRUE(same_model_name("Qwen3-Tiny", "qwen3-tiny:LATEST"));
  EXPECT_TRUE(same_model_name("qwen3-tiny", "registry.ollama.ai/library/qwen3-tiny:latest"));
  EXPECT_TRUE(same_model_name("qwen3-tiny", "ollama.com/library/qwen3-tiny"));
  EXPECT_FALSE(same_model_name("qwen3-tiny", "qwen3-tiny:7b"));
  EXPECT_FALSE(same_model_name("qwen3-tiny", "me/qwen3-tiny"));
  EXPECT_FALSE(same_model_name("/models/a.gguf", "a"));
  EXPECT_TRUE(same_model_name("/models/a.gguf", "/models/a.gguf"));
}

TEST(CreateModel, LayersMergeOverTheBaseAndCopiesShareBlobs) {
  test::TempDir d;
  ModelStore store({(d / "owlet").string(), (d / "ollama").string()});
  Error err;
  CreateRequest base{"base", test::fixture_model("qwen2-tiny")};
  base.profile.system = "Be brief.";
  base.profile.parameters = {{"temperature", "0.5"}, {"stop", "a"}, {"top_k", "20"}};
  StoreEntry e;
  ASSERT_TRUE(create_model(store, base, &e, &err)) << err.message;
  EXPECT_EQ(e.name, "base:latest");
  EXPECT_EQ(e.store, "owlet");
  CreateRequest child{"Child:v2", "base"};
  child.profile.parameters = {{"temperature", "0.1"}, {"stop", "b"}};
  child.profile.template_text = "{% for m in messages %}{{ m['content'] }}{% endfor %}";
  ASSERT_TRUE(create_model(store, child, nullptr, &err)) << err.message;
  ModelDetails cd;
  ASSERT_TRUE(store.show("child:v2", &cd, &err)) << err.message;
  EXPECT_EQ(cd.profile.system.value_or(""), "Be brief.");  // from the base
  EXPECT_EQ(cd.profile.template_text.value_or(""), *child.profile.template_text);
  // The params layer is a JSON object: compared as a set.
  auto sorted = [](Parameters p) {
    std::sort(p.begin(), p.end());
    return p;
  };
  const Parameters want = {{"stop", "b"}, {"temperature", "0.1"}, {"top_k", "20"}};
  EXPECT_EQ(sorted(cd.profile.parameters), want);
  EXPECT_EQ(cd.path, e.blob_path) << "the same GGUF blob";
  ASSERT_TRUE(copy_model(store, "child:v2", "grandchild", PathRule::probe, &err)) << err.message;
  ModelDetails gd;
  ASSERT_TRUE(store.show("grandchild", &gd, &err)) << err.message;
  EXPECT_EQ(sorted(gd.profile.parameters), want);
  // Removing one name keeps the blobs the others use.
  std::vector<std::string> removed;
  ASSERT_TRUE(store.remove("child:v2", &removed, &err)) << err.message;
  EXPECT_TRUE(fs::exists(e.blob_path));
  ASSERT_TRUE(store.show("grandchild", &gd, &err)) << err.message;

  CreateRequest bad{"x", "base"};
  bad.profile.template_text = "{{ .Prompt }}";
  EXPECT_FALSE(create_model(store, bad, nullptr, &err));
  EXPECT_NE(err.message.find("Go template"), std::string::npos);
  EXPECT_FALSE(create_model(store, {"hf://a/b/c.gguf", "base"}, nullptr, &err));
  EXPECT_FALSE(create_model(store, {"y", (d / "nowhere.gguf").string()}, nullptr, &err));
  EXPECT_EQ(err.kind, ErrorKind::bad_request) << err.message;
  EXPECT_FALSE(create_model(store, {"y", "no-such-model"}, nullptr, &err));
  EXPECT_EQ(err.kind, ErrorKind::not_found) << err.message;
}
