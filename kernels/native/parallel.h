// Splitting a loop over [0, n) between the caller and the pool worker.
#pragma once
#include <algorithm>

#include "gemm.h"
#include "threads.h"

namespace sf {

// Runs fn(begin, end) on two halves of [0, n) in parallel when two threads are
// enabled and n ≥ minItems (below that the hand-off costs more than it saves),
// else fn(0, n) here. The cut is rounded up to a multiple of align so vector
// loops keep whole vectors. fn must only touch what its range owns.
template <class Fn>
void splitRange(idx_t n, idx_t minItems, idx_t align, Fn&& fn) {
  if (gemmThreads() >= 2 && n >= minItems) {
    const idx_t cut = std::min(n, (n / 2 + align - 1) / align * align);
    struct Ctx {
      Fn* fn;
      idx_t cut, n;
    } ctx{&fn, cut, n};
    const auto part = [](void* p, int which) {
      const Ctx& c = *static_cast<const Ctx*>(p);
      if (which == 0) (*c.fn)(idx_t(0), c.cut);
      else (*c.fn)(c.cut, c.n);
    };
    if (cut > 0 && cut < n && runPair(part, &ctx)) return;
  }
  fn(idx_t(0), n);
}

}  // namespace sf
