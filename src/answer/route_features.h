// Features of a prompt for the learned router (route_model.h): the same function
// turns training rows into features (owlet-train-router) and live prompts at answer
// time, so the two can never drift apart.
//
// Two views of the same prompt:
//  - words: lower-cased word unigrams and bigrams of the ask (prompt_parts.h), its
//    first word and first two words (English prompts);
//  - concepts: the ask reduced to a fixed English concept vocabulary; Chinese text is
//    segmented against a Chinese lexicon of those concepts (zh_lexicon.h), English
//    text keeps only the words of the vocabulary. There is no Chinese training data:
//    the concept view is trained on English reduced the same way, so a Chinese
//    question and its English counterpart produce the same features.
// Both views add the rule lexicons and date features (router.h cue_features) and the
// prompt's shape: its length, pasted code / quotes / documents, a question mark.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "answer/router.h"

namespace owlet::answer {

enum class FeatureView { words = 0, concepts = 1 };
const char* to_string(FeatureView v);  // "words", "concepts"

// The view a prompt is read in: concepts when CJK characters dominate, else words.
FeatureView view_for(std::string_view prompt);

// Unique feature names of `prompt` ("bias" first). Prefixes: w: word or concept,
// b: bigram, f: / f2: first words, r: rule, d: date, s: shape.
std::vector<std::string> route_features(std::string_view prompt, int64_t now, FeatureView view,
                                        const RouterOptions& options = {});
// The same with the prompt already split (split_prompt(prompt) == parts).
struct PromptParts;
std::vector<std::string> route_features(std::string_view prompt, const PromptParts& parts, int64_t now,
                                        FeatureView view, const RouterOptions& options = {});

// A feature name for people, in a route's reasons: "'current'", "'who is'",
// "starts 'who'", "rule slow office holder", "a past date", "pasted code".
std::string describe_feature(std::string_view name);

}  // namespace owlet::answer
