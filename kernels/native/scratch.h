// Grow-only, 64-byte-aligned scratch buffers: kernels keep one per thread and
// reuse it across calls, so a hot loop never allocates.
#pragma once
#include <cstddef>
#include <cstdlib>

namespace sf {

template <typename T>
struct Scratch {
  T* p = nullptr;
  std::size_t n = 0;
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { std::free(p); }
  // At least `want` elements (contents undefined); aborts if memory runs out.
  T* get(std::size_t want) {
    if (want > n || !p) {
      std::free(p);
      const std::size_t bytes = ((want ? want : 1) * sizeof(T) + 63) & ~std::size_t(63);
      p = static_cast<T*>(std::aligned_alloc(64, bytes));
      if (!p) std::abort();
      n = want;
    }
    return p;
  }
};

}  // namespace sf
