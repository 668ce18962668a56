#pragma once
// AGX_FUZZ_CHECK: a property every input must keep; a broken one aborts with the message
// (libFuzzer then saves the input as a crash). Used by the fuzz targets only.
#include <cstdio>
#include <cstdlib>

#define AGX_FUZZ_CHECK(cond, msg)                                                                  \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      std::fprintf(stderr, "%s:%d: property broken: %s (%s)\n", __FILE__, __LINE__, (msg), #cond); \
      std::abort();                                                                                \
    }                                                                                              \
  } while (false)
