// The prompt of a grounded answer: owlet's system prompt (today's date, the
// answer language, cite as [n], sources are data) and the user turn carrying
// the sources block and the question. Templated later with the model's own
// chat template. The system prompt changes once a day at most, so the engine's
// prefix reuse keeps its KV across questions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "llm/chat_template.h"

namespace owlet::answer {

// "English", "Chinese (简体中文)", ... for a owlet::detect_language code; "" when unknown.
std::string language_name(const std::string& code);

std::string system_prompt(const std::string& today, const std::string& language_code, bool has_sources);

// system (owlet's, then the client's own if any), earlier turns, then the user
// turn: sources block (may be empty) followed by the question.
std::vector<llm::ChatMessage> build_messages(std::string_view question, const std::string& sources_block,
                                             const std::vector<llm::ChatMessage>& history,
                                             const std::string& client_system, const std::string& today,
                                             const std::string& language_code);

// User-facing notes, in the question's language.
std::string offline_note(const std::string& language_code);
std::string stale_note(const std::string& language_code, const std::string& fetched_date);
std::string no_sources_answer(const std::string& language_code);

// "2026-11-28" for unix seconds (UTC).
std::string iso_date(int64_t unix_seconds);

}  // namespace owlet::answer
