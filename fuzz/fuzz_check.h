#pragma once

#include <cstdio>
#include <cstdlib>

// A property a fuzz target asserts on every input, in every build type (assert() vanishes in
// release builds, and the replay tests run RelWithDebInfo): a failure aborts, which libFuzzer
// reports as a crash with the input saved.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
