#include "surrogate_eval.h"

#include <cstdint>
#include <cstring>

#include "simd.h"

// Lane helpers pass vectors by value between always-inlined functions only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#include "surrogates.generated.h"

namespace sf {

namespace {

using surrogate::sgExp;
using surrogate::sgExpL;
using surrogate::sgGradL;

// One double: the generated lane code's W == 1 case is the scalar sgGrad.
struct One {
  static constexpr idx_t W = 1;
  using D = double;
};

#if SF_X86
// The lane interface the generated code needs (W, D, Bits, bc, sel, abs), as
// kernels/native/lif.cc's Lanes provide it. The types are spelled out per
// width: GCC drops a vector_size whose size depends on a template parameter.
template <int WIDTH>
struct VecTypes;
template <>
struct VecTypes<4> {
  typedef double D __attribute__((vector_size(32)));
  typedef std::uint64_t Bits __attribute__((vector_size(32)));
};
template <>
struct VecTypes<8> {
  typedef double D __attribute__((vector_size(64)));
  typedef std::uint64_t Bits __attribute__((vector_size(64)));
};
template <int WIDTH>
struct Lanes {
  static constexpr idx_t W = WIDTH;
  using D = typename VecTypes<WIDTH>::D;
  using Bits = typename VecTypes<WIDTH>::Bits;
  using M = decltype(D{} > D{});
  static SF_SG_INLINE D bc(double v) {
    D r;
    for (int i = 0; i < WIDTH; i++) r[i] = v;
    return r;
  }
  static SF_SG_INLINE D sel(M m, D a, D b) { return m ? a : b; }
  static SF_SG_INLINE D abs(D v) { return (D)((Bits)v & (~Bits{} >> 1)); }
};
#endif

// ID < 0: sgExp; else surrogate ID's gradient.
template <class V, int ID>
SF_SG_INLINE typename V::D evalOne(double p0, double p1, typename V::D v) {
  if constexpr (ID < 0) {
    if constexpr (V::W == 1) return sgExp(v);
    else return sgExpL<V>(v);
  } else {
    return sgGradL<V, ID>(p0, p1, v);
  }
}

template <class V, int ID>
SF_SG_INLINE void evalLanes(double p0, double p1, idx_t n, const double* x, double* out) {
  idx_t i = 0;
  if constexpr (V::W > 1) {
    for (; i + V::W <= n; i += V::W) {
      typename V::D v;
      std::memcpy(&v, x + i, sizeof v);
      const typename V::D r = evalOne<V, ID>(p0, p1, v);
      std::memcpy(out + i, &r, sizeof r);
    }
  }
  for (; i < n; i++) out[i] = evalOne<One, ID>(p0, p1, x[i]);
}

template <int ID>
void evalScalar(double p0, double p1, idx_t n, const double* x, double* out) {
  evalLanes<One, ID>(p0, p1, n, x, out);
}
#if SF_X86
template <int ID>
SF_TARGET_AVX2 void evalAvx2(double p0, double p1, idx_t n, const double* x, double* out) {
  evalLanes<Lanes<4>, ID>(p0, p1, n, x, out);
}
template <int ID>
SF_TARGET_AVX512 void evalAvx512(double p0, double p1, idx_t n, const double* x, double* out) {
  evalLanes<Lanes<8>, ID>(p0, p1, n, x, out);
}
#endif

template <int ID>
void eval(double p0, double p1, idx_t n, const double* x, double* out) {
#if SF_X86
  switch (activeIsa()) {
    case Isa::avx512: return evalAvx512<ID>(p0, p1, n, x, out);
    case Isa::avx2: return evalAvx2<ID>(p0, p1, n, x, out);
    default: break;
  }
#endif
  evalScalar<ID>(p0, p1, n, x, out);
}

}  // namespace

void surrogateEval(int sid, double p0, double p1, idx_t n, const double* x, double* out) {
  if (sid < 0) return eval<-1>(p0, p1, n, x, out);
  surrogate::withSurrogate(sid, [&](auto id) { eval<decltype(id)::value>(p0, p1, n, x, out); });
}

}  // namespace sf
