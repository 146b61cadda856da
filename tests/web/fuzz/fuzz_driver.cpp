// Stand-in for libFuzzer when the compiler is not clang: feeds the seed corpus,
// then deterministic random mutations of it, to LLVMFuzzerTestOneInput for a
// bounded number of runs / seconds. Accepts libFuzzer's -runs=, -max_total_time=,
// -seed= and corpus directories, so the ctest command line is the same.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string mutate(const std::vector<std::string>& seeds, std::mt19937_64& rng) {
  std::string s = seeds[rng() % seeds.size()];
  int steps = 1 + static_cast<int>(rng() % 8);
  static const char* const kTokens[] = {"<", ">", "\"", "{", "}", "[", "]", ":", ",", "null", "<a href=", "</div>",
                                        "\\u0000", "\xff", "\xe4\xb8", "&#x", "<script>", "\"results\"", "<p>"};
  for (int i = 0; i < steps; ++i) {
    size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 6) {
      case 0:
        if (!s.empty() && pos < s.size()) s[pos] = static_cast<char>(s[pos] ^ (1 << (rng() % 8)));
        break;
      case 1: s.insert(pos, 1, static_cast<char>(rng() % 256)); break;
      case 2:
        if (!s.empty() && pos < s.size()) s.erase(pos, 1 + rng() % std::min<size_t>(16, s.size() - pos));
        break;
      case 3: s.insert(pos, kTokens[rng() % (sizeof kTokens / sizeof *kTokens)]); break;
      case 4: {  // splice with another seed
        const std::string& o = seeds[rng() % seeds.size()];
        if (!o.empty()) s = s.substr(0, pos) + o.substr(rng() % o.size());
        break;
      }
      case 5: s.resize(pos); break;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  long runs = 10000, max_seconds = 10;
  uint64_t seed = 1;
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("-runs=", 0) == 0) runs = std::atol(a.c_str() + 6);
    else if (a.rfind("-max_total_time=", 0) == 0) max_seconds = std::atol(a.c_str() + 16);
    else if (a.rfind("-seed=", 0) == 0) seed = std::strtoull(a.c_str() + 6, nullptr, 10);
    else if (a.rfind("-", 0) == 0) continue;  // other libFuzzer flags: ignored
    else if (std::filesystem::is_directory(a)) {
      for (const auto& e : std::filesystem::directory_iterator(a))
        if (e.is_regular_file()) seeds.push_back(read_file(e.path()));
    } else if (std::filesystem::exists(a)) {
      seeds.push_back(read_file(a));
    }
  }
  seeds.push_back("");
  for (const auto& s : seeds) LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  std::mt19937_64 rng(seed);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(max_seconds);
  long done = 0;
  for (; done < runs && std::chrono::steady_clock::now() < until; ++done) {
    std::string in = mutate(seeds, rng);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(in.data()), in.size());
  }
  std::printf("fuzz driver: %zu seeds, %ld mutated inputs, no crash\n", seeds.size(), done);
  return 0;
}
