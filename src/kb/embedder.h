// The warm tier's embedding function, injected by the app (llm's engine) so kb
// never depends on llm. Vectors are L2-normalized by kb; the index uses inner
// product, i.e. cosine similarity.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace owlet::kb {

struct Embedder {
  // Identity of the model (e.g. "bge-small-en-v1.5.Q8_0"); stored vectors and the
  // index are rebuilt when it changes.
  std::string id;
  int dim = 0;
  // One vector of `dim` floats per input text, in order. An empty result or a
  // wrong shape is treated as a failure of the call. Called from concurrent
  // searches (query embedding) and from the writer: it must be thread-safe.
  std::function<std::vector<std::vector<float>>(const std::vector<std::string>&)> embed;
  int batch_size = 32;

  bool enabled() const { return dim > 0 && static_cast<bool>(embed); }
};

}  // namespace owlet::kb
