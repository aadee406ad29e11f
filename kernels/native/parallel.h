// Splitting a loop over [0, n) between the caller and the pool worker.
#pragma once
#include <algorithm>
#include <type_traits>

#include "gemm.h"
#include "threads.h"

namespace sf {

// Runs fn(begin, end) over [0, n): as two halves in parallel (here and on the
// pool worker) when `split` holds, two threads are enabled and the cut — n/2
// rounded up to a multiple of align, so vector loops and register tiles keep
// whole blocks — leaves both halves non-empty; else fn(0, n) here. If the pool
// is busy (another thread is in a parallel region) the work runs serially.
// fn must only touch what its range owns.
template <class Fn>
void runHalves(bool split, idx_t n, idx_t align, Fn&& fn) {
  if (split && gemmThreads() >= 2) {
    const idx_t cut = std::min(n, (n / 2 + align - 1) / align * align);
    struct Ctx {
      std::remove_reference_t<Fn>* fn;
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

// runHalves for memory-bound loops: split from minItems elements on (below
// that the hand-off costs more than it saves).
template <class Fn>
void splitRange(idx_t n, idx_t minItems, idx_t align, Fn&& fn) {
  runHalves(n >= minItems, n, align, fn);
}

}  // namespace sf
