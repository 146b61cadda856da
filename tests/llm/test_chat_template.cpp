// Each fixture's own template renders the exact prompt text its model family expects.
#include <gtest/gtest.h>

#include "llm/chat_template.h"
#include "llm/model.h"
#include "support/test_support.h"

using namespace owlet::llm;

namespace {

std::string render(const std::string& fixture, const std::vector<ChatMessage>& msgs) {
  owlet::Error err;
  auto m = Model::load({owlet::test::fixture_model(fixture), 0, true}, &err);
  EXPECT_NE(m, nullptr) << err;
  if (!m) return "";
  auto t = ChatTemplate::create(*m, "", &err);
  EXPECT_NE(t, nullptr) << err;
  if (!t) return "";
  std::string prompt;
  EXPECT_TRUE(t->apply(msgs, true, &prompt, &err)) << err;
  return prompt;
}

const std::vector<ChatMessage> kChat = {{"system", "You are terse."}, {"user", "What is 2+2?"}};

}  // namespace

TEST(ChatTemplate, Qwen2ChatML) {
  EXPECT_EQ(render("qwen2-tiny", kChat),
            "<|im_start|>system\nYou are terse.<|im_end|>\n"
            "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatTemplate, Qwen2DefaultSystemWhenNoneGiven) {
  EXPECT_EQ(render("qwen2-tiny", {{"user", "hi"}}),
            "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n"
            "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, Llama3) {
  // The tokenizer adds <|begin_of_text|> itself, so the text does not repeat it.
  EXPECT_EQ(render("llama-tiny", kChat),
            "<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, DeepseekLlm) {
  EXPECT_EQ(render("deepseek-tiny", kChat), "You are terse.\n\nUser: What is 2+2?\n\nAssistant:");
}

TEST(ChatTemplate, MultiTurnKeepsHistory) {
  std::string p = render("qwen2-tiny", {{"user", "a"}, {"assistant", "b"}, {"user", "c"}});
  EXPECT_NE(p.find("<|im_start|>assistant\nb<|im_end|>\n<|im_start|>user\nc<|im_end|>"), std::string::npos) << p;
}

TEST(ChatTemplate, BrokenOverrideIsAnError) {
  owlet::Error err;
  auto m = Model::load({owlet::test::fixture_model("qwen2-tiny"), 0, true}, &err);
  ASSERT_NE(m, nullptr) << err;
  auto t = ChatTemplate::create(*m, "{% for m in messages %}{{ m.content ", &err);
  EXPECT_EQ(t, nullptr);
  EXPECT_FALSE(err.ok());
}
