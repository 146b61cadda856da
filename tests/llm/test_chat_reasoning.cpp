// Real chat templates of reasoning and tool-calling families (llama.cpp's
// models/templates: DeepSeek-R1-Distill-Qwen, Qwen3, Llama 3.1) in fixtures
// with their real added tokens: the prompts llama.cpp renders with tools and
// thinking on or off, and known completions parsed into reasoning, content and
// tool calls, whole and fed token by token through the streaming parser.
#include <gtest/gtest.h>
#include <llama.h>

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "llm/chat_parser.h"
#include "llm/chat_template.h"
#include "llm/model.h"
#include "support/test_support.h"

using namespace owlet::llm;
using json = nlohmann::json;

namespace {

struct Fixture {
  std::unique_ptr<Model> model;
  std::unique_ptr<ChatTemplate> tmpl;
};

Fixture load(const std::string& name) {
  Fixture f;
  owlet::Error err;
  std::string path = owlet::test::fixture_model(name);
  EXPECT_FALSE(path.empty()) << name << " fixture missing";
  f.model = Model::load({path, 0, true}, &err);
  EXPECT_NE(f.model, nullptr) << err;
  if (!f.model) return f;
  f.tmpl = ChatTemplate::create(*f.model, "", &err);
  EXPECT_NE(f.tmpl, nullptr) << err;
  return f;
}

const ToolSpec kWeather = {"get_weather", "Current weather in a city",
                           R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})"};

ChatPrompt render(const Fixture& f, const std::vector<ChatMessage>& msgs, ChatOptions o = {}) {
  ChatPrompt p;
  owlet::Error err;
  EXPECT_TRUE(f.tmpl && f.tmpl->render(msgs, o, &p, &err)) << err;
  return p;
}

ChatOptions with_tools(bool thinking = true, ToolChoice choice = ToolChoice::automatic) {
  ChatOptions o;
  o.tools = {kWeather};
  o.thinking = thinking;
  o.tool_choice = choice;
  return o;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The model's own tokenization of a text, each token as the engine emits it
// (special tokens with their text, as the preserved ones are).
std::vector<std::string> token_pieces(const Model& m, const std::string& text) {
  const llama_vocab* v = m.vocab();
  int n = -llama_tokenize(v, text.data(), static_cast<int32_t>(text.size()), nullptr, 0, false, true);
  std::vector<llama_token> toks(static_cast<size_t>(n));
  llama_tokenize(v, text.data(), static_cast<int32_t>(text.size()), toks.data(), n, false, true);
  std::vector<std::string> out;
  for (llama_token t : toks) {
    char buf[256];
    int k = llama_token_to_piece(v, t, buf, sizeof buf, 0, true);
    out.emplace_back(buf, static_cast<size_t>(std::max(k, 0)));
  }
  return out;
}

// Feeds the pieces one by one and checks that the deltas add up to the final message.
ParsedMessage stream(const ChatPrompt& p, const std::vector<std::string>& pieces) {
  ChatParser parser(p);
  std::string reasoning, content;
  std::vector<ToolCall> calls;
  auto take = [&](const std::vector<MessageDelta>& ds) {
    for (const auto& d : ds) {
      reasoning += d.reasoning;
      content += d.content;
      if (!d.is_tool()) continue;
      if (static_cast<size_t>(d.tool_index) == calls.size()) {
        EXPECT_FALSE(d.tool_name.empty()) << "a call's first delta names it";
        EXPECT_FALSE(d.tool_id.empty());
        calls.push_back({d.tool_id, d.tool_name, ""});
      }
      ASSERT_LT(static_cast<size_t>(d.tool_index), calls.size());
      calls[static_cast<size_t>(d.tool_index)].arguments += d.tool_arguments;
    }
  };
  for (const auto& piece : pieces) take(parser.push(piece));
  take(parser.finish());
  const ParsedMessage& m = parser.message();
  EXPECT_EQ(content, m.content);
  EXPECT_EQ(owlet::trimmed(reasoning), m.reasoning);
  EXPECT_EQ(calls.size(), m.tool_calls.size());
  for (size_t i = 0; i < calls.size() && i < m.tool_calls.size(); ++i) {
    EXPECT_EQ(calls[i].name, m.tool_calls[i].name);
    EXPECT_EQ(calls[i].id, m.tool_calls[i].id);
    EXPECT_EQ(json::parse(calls[i].arguments), json::parse(m.tool_calls[i].arguments)) << calls[i].arguments;
  }
  return m;
}

// The completion parsed whole, then fed token by token: both give `want`.
void expect_parse(const Fixture& f, const ChatPrompt& p, const std::string& text, const ParsedMessage& want) {
  for (int fed = 0; fed < 2; ++fed) {
    SCOPED_TRACE(fed ? "token by token" : "whole");
    ParsedMessage m = fed ? stream(p, token_pieces(*f.model, text)) : parse_completion(p, text);
    EXPECT_EQ(m.reasoning, want.reasoning);
    EXPECT_EQ(m.content, want.content);
    ASSERT_EQ(m.tool_calls.size(), want.tool_calls.size());
    for (size_t i = 0; i < m.tool_calls.size(); ++i) {
      EXPECT_EQ(m.tool_calls[i].name, want.tool_calls[i].name);
      EXPECT_EQ(json::parse(m.tool_calls[i].arguments), json::parse(want.tool_calls[i].arguments));
      EXPECT_EQ(m.tool_calls[i].id.rfind("call_", 0), 0u) << "ids are made up where the model gives none";
    }
  }
}

const std::vector<ChatMessage> kAsk = {{"user", "What is the weather in Paris?"}};

// A finished tool round: the assistant's call and the tool's answer.
std::vector<ChatMessage> tool_round() {
  ChatMessage call{"assistant", "", "", {{"call_1", "get_weather", R"({"city":"Paris"})"}}, "", ""};
  ChatMessage result{"tool", "18 C, sunny", "", {}, "call_1", "get_weather"};
  return {kAsk[0], call, result};
}

}  // namespace

// ---------------------------------------------------------------- capabilities

TEST(ChatReasoning, CapabilitiesFromTheTemplates) {
  Fixture r1 = load("r1-qwen-tiny"), qwen3 = load("qwen3-tiny"), llama31 = load("llama31-tiny"),
          llama3 = load("llama-tiny");
  ASSERT_TRUE(r1.tmpl && qwen3.tmpl && llama31.tmpl && llama3.tmpl);
  EXPECT_TRUE(r1.tmpl->caps().thinking);
  EXPECT_FALSE(r1.tmpl->caps().tools) << "R1's template renders calls but never describes tools";
  EXPECT_TRUE(qwen3.tmpl->caps().thinking);
  EXPECT_TRUE(qwen3.tmpl->caps().tools);
  EXPECT_FALSE(qwen3.tmpl->caps().reasoning_effort);  // as llama.cpp's test_reasoning_effort_caps says
  EXPECT_FALSE(llama31.tmpl->caps().thinking);
  EXPECT_TRUE(llama31.tmpl->caps().tools);
  EXPECT_FALSE(llama31.tmpl->caps().reasoning_effort);
  EXPECT_FALSE(llama3.tmpl->caps().tools);
  EXPECT_FALSE(llama3.tmpl->caps().thinking);
}

TEST(ChatReasoning, ToolsOnATemplateWithoutThemAreUnsupported) {
  Fixture r1 = load("r1-qwen-tiny");
  ASSERT_TRUE(r1.tmpl);
  ChatPrompt p;
  owlet::Error err;
  EXPECT_FALSE(r1.tmpl->render(kAsk, with_tools(), &p, &err));
  EXPECT_EQ(err.kind, owlet::ErrorKind::unsupported);
  EXPECT_NE(err.message.find("does not support tools"), std::string::npos) << err;
  ChatOptions none = with_tools();
  none.tool_choice = ToolChoice::none;  // tools offered but not to be used: plain chat
  EXPECT_TRUE(r1.tmpl->render(kAsk, none, &p, &err)) << err;
}

// ---------------------------------------------------------------- DeepSeek-R1-Distill-Qwen

TEST(ChatReasoning, R1PromptOpensTheThoughtAndClosesItWhenThinkingIsOff) {
  Fixture f = load("r1-qwen-tiny");
  ASSERT_TRUE(f.tmpl);
  // The tokenizer adds <｜begin▁of▁sentence｜> itself; the template's {{bos_token}} is left out.
  ChatPrompt on = render(f, kAsk);
  EXPECT_EQ(on.prompt, "<｜User｜>What is the weather in Paris?<｜Assistant｜><think>\n");
  EXPECT_TRUE(on.thinking);
  EXPECT_EQ(on.thinking_start, "<think>");
  ChatOptions o;
  o.thinking = false;
  ChatPrompt off = render(f, kAsk, o);
  EXPECT_EQ(off.prompt, "<｜User｜>What is the weather in Paris?<｜Assistant｜><think>\n</think>");
  EXPECT_FALSE(off.thinking);
}

TEST(ChatReasoning, R1PromptRendersToolOutputsAndDropsOldThoughts) {
  Fixture f = load("r1-qwen-tiny");
  ASSERT_TRUE(f.tmpl);
  ChatPrompt p = render(f, tool_round());
  EXPECT_TRUE(contains(p.prompt, "<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
                                 "```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>"))
      << p.prompt;
  EXPECT_TRUE(contains(p.prompt, "<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>18 C, sunny<｜tool▁output▁end｜>"
                                 "<｜tool▁outputs▁end｜>"))
      << p.prompt;
  ChatMessage earlier{"assistant", "Paris is sunny.", "The user wants weather.", {}, "", ""};
  ChatPrompt h = render(f, {kAsk[0], earlier, {"user", "And tomorrow?"}});
  EXPECT_TRUE(contains(h.prompt, "<｜Assistant｜>Paris is sunny.<｜end▁of▁sentence｜><｜User｜>And tomorrow?")) << h.prompt;
  EXPECT_FALSE(contains(h.prompt, "The user wants weather.")) << "earlier thoughts are not sent back";
}

TEST(ChatReasoning, R1CompletionsSplitIntoThoughtAndAnswer) {
  Fixture f = load("r1-qwen-tiny");
  ASSERT_TRUE(f.tmpl);
  ChatPrompt p = render(f, kAsk);
  // The prompt opened the thought: the output starts inside it (llama.cpp's "forced open" case).
  expect_parse(f, p, "Paris weather [2] is what I need.\n</think>\n\nIt is sunny in Paris [1].",
               {"It is sunny in Paris [1].", "Paris weather [2] is what I need.", {}});
  expect_parse(f, p, "I'm\nthinking</think>Hello, world!\nWhat's up?", {"Hello, world!\nWhat's up?", "I'm\nthinking", {}});
  // Cut off while thinking: all of it is thought, none of it answer.
  expect_parse(f, p, "Still pondering the", {"", "Still pondering the", {}});
  ChatOptions o;
  o.thinking = false;
  expect_parse(f, render(f, kAsk, o), "Sunny.", {"Sunny.", "", {}});
}

// ---------------------------------------------------------------- Qwen3

TEST(ChatReasoning, Qwen3PromptWithAndWithoutThinking) {
  Fixture f = load("qwen3-tiny");
  ASSERT_TRUE(f.tmpl);
  const std::string base = "<|im_start|>user\nWhat is the weather in Paris?<|im_end|>\n<|im_start|>assistant\n";
  ChatPrompt on = render(f, kAsk);
  EXPECT_EQ(on.prompt, base);
  EXPECT_TRUE(on.thinking);
  ChatOptions o;
  o.thinking = false;
  ChatPrompt off = render(f, kAsk, o);
  EXPECT_EQ(off.prompt, base + "<think>\n\n</think>\n\n");  // the template's enable_thinking=false
  EXPECT_FALSE(off.thinking);
}

TEST(ChatReasoning, Qwen3PromptDescribesToolsAndRendersARound) {
  Fixture f = load("qwen3-tiny");
  ASSERT_TRUE(f.tmpl);
  ChatPrompt p = render(f, kAsk, with_tools());
  EXPECT_EQ(p.prompt.rfind("<|im_start|>system\n# Tools\n\nYou may call one or more functions", 0), 0u) << p.prompt;
  EXPECT_TRUE(contains(p.prompt,
                       "<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": "
                       "\"Current weather in a city\", \"parameters\": {\"type\": \"object\", \"properties\": "
                       "{\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}\n</tools>"))
      << p.prompt;
  // tool_choice auto: a lazy grammar, woken by the <tool_call> marker, which must stay visible.
  EXPECT_TRUE(p.grammar_lazy);
  ASSERT_FALSE(p.grammar_triggers.empty());
  EXPECT_EQ(p.grammar_triggers[0].value.rfind("<tool_call>", 0), 0u);
  EXPECT_NE(std::find(p.preserved_tokens.begin(), p.preserved_tokens.end(), "<tool_call>"), p.preserved_tokens.end());
  // required: the grammar holds from the first token, starting at the generation prompt.
  ChatPrompt req = render(f, kAsk, with_tools(false, ToolChoice::required));
  EXPECT_FALSE(req.grammar.empty());
  EXPECT_FALSE(req.grammar_lazy);
  EXPECT_TRUE(contains(req.grammar, "get_weather"));

  ChatPrompt round = render(f, tool_round(), with_tools());
  EXPECT_TRUE(contains(round.prompt, "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
                                     "{\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"))
      << round.prompt;
  EXPECT_TRUE(contains(round.prompt, "<|im_start|>user\n<tool_response>\n18 C, sunny\n</tool_response><|im_end|>\n"))
      << round.prompt;
}

TEST(ChatReasoning, Qwen3CompletionsSplitIntoThoughtAnswerAndCalls) {
  Fixture f = load("qwen3-tiny");
  ASSERT_TRUE(f.tmpl);
  ChatPrompt p = render(f, kAsk, with_tools());
  expect_parse(f, p, "<think>\nThe user asks about weather.\n</think>\n\nLet me look.",
               {"Let me look.", "The user asks about weather.", {}});
  expect_parse(f, p,
               "<think>\nI need the tool.\n</think>\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
               "{\"city\": \"Paris\"}}\n</tool_call>",
               {"", "I need the tool.", {{"", "get_weather", R"({"city":"Paris"})"}}});
  // Without tools a <tool_call> is just text; without a thought there is no reasoning.
  expect_parse(f, render(f, kAsk), "Hello, world!\nWhat's up?", {"Hello, world!\nWhat's up?", "", {}});
}

// ---------------------------------------------------------------- Llama 3.1

TEST(ChatReasoning, Llama31PromptWithTools) {
  Fixture f = load("llama31-tiny");
  ASSERT_TRUE(f.tmpl);
  ChatPrompt plain = render(f, kAsk);
  EXPECT_EQ(plain.prompt.rfind("<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
                               "Today Date: ",
                               0),
            0u)
      << plain.prompt;
  EXPECT_FALSE(contains(plain.prompt, "Environment: ipython"));
  ChatPrompt p = render(f, kAsk, with_tools());
  EXPECT_TRUE(contains(p.prompt, "Environment: ipython\nCutting Knowledge Date: December 2023\n")) << p.prompt;
  EXPECT_TRUE(contains(p.prompt,
                       "<|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond "
                       "with a JSON for a function call with its proper arguments that best answers the given prompt."))
      << p.prompt;
  EXPECT_TRUE(contains(p.prompt, "\"name\": \"get_weather\""));
  const std::string tail = "What is the weather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
  EXPECT_EQ(p.prompt.substr(p.prompt.size() - tail.size()), tail);
  ChatPrompt round = render(f, tool_round(), with_tools());
  EXPECT_TRUE(contains(round.prompt, "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", "
                                     "\"parameters\": {\"city\": \"Paris\"}}<|eot_id|>"))
      << round.prompt;
  EXPECT_TRUE(contains(round.prompt, "<|start_header_id|>ipython<|end_header_id|>\n\n\"18 C, sunny\"<|eot_id|>"))
      << round.prompt;
}

TEST(ChatReasoning, Llama31CompletionsAreCallsOrContent) {
  Fixture f = load("llama31-tiny");
  ASSERT_TRUE(f.tmpl);
  ChatPrompt p = render(f, kAsk, with_tools());
  expect_parse(f, p, R"({"name": "get_weather", "parameters": {"city": "Paris"}})",
               {"", "", {{"", "get_weather", R"({"city":"Paris"})"}}});
  expect_parse(f, p, "Hello, world!\nWhat's up?", {"Hello, world!\nWhat's up?", "", {}});
}

// ---------------------------------------------------------------- any template

TEST(ChatReasoning, ARawPromptIsAllContent) {
  ChatPrompt raw;  // no format: /api/generate with raw, /v1/completions
  ParsedMessage m = parse_completion(raw, "<think>not parsed</think> as is");
  EXPECT_EQ(m.content, "<think>not parsed</think> as is");
  EXPECT_TRUE(m.reasoning.empty());
}
