// A topology file as `pinstream validate` reads it: Topology::Parse (JSON with comments, ${VAR}
// substitution, the structure) and Graph::Build (operators, columns, types, the DAG), then the
// errors as validate prints them. Every input must end in a graph or in errors, never a crash.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz/fuzz_check.h"
#include "operators/graph.h"
#include "operators/topology.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // The variables the corpus's topologies substitute; PINSTREAM_CORPUS_UNSET stays unset.
  setenv("PINSTREAM_BROKER", "tcp://127.0.0.1:5555", 1);
  setenv("PINSTREAM_PREFIX", "fuzz_", 1);
  setenv("PINSTREAM_CORPUS_SET", "set", 1);
  setenv("VAR", "value", 1);
  unsetenv("PINSTREAM_CORPUS_UNSET");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pinstream;
  const std::string text(reinterpret_cast<const char*>(data), size);
  BuildErrors errors;
  std::shared_ptr<const Topology> topology = Topology::Parse(text, "fuzz.json", &errors);
  std::unique_ptr<Graph> graph;
  if (topology) graph = Graph::Build(topology, &errors);
  FUZZ_CHECK(graph != nullptr || !errors.empty());
  (void)FormatErrors("fuzz.json", errors);
  return 0;
}
