#include "simd.h"

namespace sf {

Isa detectIsa() {
#if SF_X86
  // libgcc's checks include the OS (XGETBV) support for the wider registers.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return Isa::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
#endif
  return Isa::scalar;
}

static Isa g_active = detectIsa();

Isa activeIsa() { return g_active; }

Isa setIsa(Isa wanted) {
  Isa best = detectIsa();
  g_active = static_cast<int>(wanted) <= static_cast<int>(best) ? wanted : best;
  return g_active;
}

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "scalar";
  }
}

}  // namespace sf
