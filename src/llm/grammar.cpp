#include "llm/grammar.h"

#include <json-schema-to-grammar.h>

namespace owlet::llm {

bool grammar_from_json_schema(const std::string& schema_json, std::string* gbnf, Error* err) {
  try {
    common_json schema = common_json::parse(schema_json);
    *gbnf = json_schema_to_grammar(schema, /*force_gbnf=*/true);
  } catch (const std::exception& e) {
    *err = Error(ErrorKind::bad_request, std::string("invalid JSON schema: ") + e.what());
    return false;
  }
  if (gbnf->empty()) {
    *err = Error(ErrorKind::bad_request, "invalid JSON schema: it produced no grammar");
    return false;
  }
  return true;
}

std::string json_object_grammar() {
  static const std::string g = [] {
    std::string out;
    Error err;
    grammar_from_json_schema(R"({"type":"object"})", &out, &err);
    return out;
  }();
  return g;
}

}  // namespace owlet::llm
