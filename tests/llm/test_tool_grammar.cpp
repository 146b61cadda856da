// The grammar llama.cpp's chat library derives from a template, applied by the
// engine's sampler on a random-weight fixture: a required tool call comes out
// well formed and is parsed back by the same template's parser.
#include <gtest/gtest.h>
#include <llama.h>

#include <nlohmann/json.hpp>

#include "llm/chat_parser.h"
#include "llm/chat_template.h"
#include "llm/engine.h"
#include "llm/model.h"
#include "support/test_support.h"

using namespace owlet::llm;
using json = nlohmann::json;

namespace {

struct Loaded {
  std::unique_ptr<Model> model;
  std::unique_ptr<ChatTemplate> tmpl;
  std::unique_ptr<Engine> engine;
};

Loaded load(const std::string& name) {
  Loaded l;
  owlet::Error err;
  l.model = Model::load({owlet::test::fixture_model(name), 0, true}, &err);
  EXPECT_NE(l.model, nullptr) << err;
  if (!l.model) return l;
  l.tmpl = ChatTemplate::create(*l.model, "", &err);
  EngineParams ep;
  ep.n_slots = 1;
  ep.n_ctx_slot = 2048;
  ep.n_threads = 2;
  l.engine = Engine::create(*l.model, ep, &err);
  EXPECT_NE(l.engine, nullptr) << err;
  return l;
}

int token_id(const Model& m, const std::string& text) {
  llama_token t[2];
  int n = llama_tokenize(m.vocab(), text.data(), static_cast<int32_t>(text.size()), t, 2, false, true);
  return n == 1 ? t[0] : -1;
}

// A tool whose arguments are a closed set: the grammar leaves the model no free text inside the call.
const ToolSpec kUnits = {"get_weather", "Current weather",
                         R"({"type":"object","properties":{"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["unit"]})"};

}  // namespace

TEST(ToolGrammar, RequiredCallIsWellFormedOnRandomWeights) {
  {
    Loaded l = load("llama31-tiny");
    ASSERT_TRUE(l.tmpl && l.engine);
    ChatOptions o;
    o.tools = {kUnits};
    o.tool_choice = ToolChoice::required;
    o.thinking = false;
    ChatPrompt p;
    owlet::Error err;
    ASSERT_TRUE(l.tmpl->render({{"user", "Weather?"}}, o, &p, &err)) << err;
    ASSERT_FALSE(p.grammar.empty());
    Request r;
    p.configure(&r);
    r.num_predict = 200;
    r.sampling.seed = 7;
    // llama.cpp's grammar allows prose before the call (up to the first "{" for
    // Llama 3.1); a bias on "{" makes the random model start the call at once,
    // and one on end-of-turn makes it stop as soon as the grammar lets it. The
    // call's shape is the grammar's. (Qwen's call starts with "<tool_call>\n"
    // and a lone "<tool_call>" is still prose, so no one-token bias starts it.)
    const int start_id = token_id(*l.model, "{"), eot = llama_vocab_eot(l.model->vocab());
    ASSERT_GE(start_id, 0);
    r.sampling.logit_bias = {{start_id, 50.0f}, {eot >= 0 ? eot : llama_vocab_eos(l.model->vocab()), 100.0f}};
    ChatParser parser(p);
    Completion c = l.engine->generate(r, [&](std::string_view t) {
      parser.push(t);
      return true;
    });
    ASSERT_TRUE(c.ok) << c.error;
    parser.finish();
    const ParsedMessage& m = parser.message();
    EXPECT_EQ(c.finish, FinishReason::stop) << c.text;
    ASSERT_EQ(m.tool_calls.size(), 1u) << c.text;
    EXPECT_EQ(m.tool_calls[0].name, "get_weather");
    json args = json::parse(m.tool_calls[0].arguments, nullptr, false);
    ASSERT_TRUE(args.is_object()) << m.tool_calls[0].arguments;
    ASSERT_TRUE(args.contains("unit"));
    EXPECT_TRUE(args["unit"] == "celsius" || args["unit"] == "fahrenheit") << args;
  }
}
