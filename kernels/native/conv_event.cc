#include "conv_event.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "elementwise.h"
#include "event.h"
#include "parallel.h"
#include "scratch.h"
#include "simd.h"
#include "window.h"

// The Reg<W> helpers below pass GCC vector types between always-inlined
// functions only; the ABI note GCC prints for them (-Wpsabi) does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace sf {

namespace {

// Inlined into the SF_CLONES functions below, so each instruction-set clone
// compiles its own (vectorized) copy of the row loops; W > 0 fixes a row width
// at compile time (accumulators then live in registers), W = 0 reads it at run time.
#define SF_INLINE inline __attribute__((always_inline))
#define SF_INLINE_LAMBDA __attribute__((always_inline))

// Below this many additions (or multiply-adds) the hand-off to the pool worker costs more than it saves.
constexpr double kParallelMinWork = 2.0e6;

using Mask = std::uint64_t;

// Sizes shared by the three kernels.
struct Dims {
  idx_t N, Cin, Cout, groups, Cg, Og, Kg, taps, P, plane;
};

Dims dimsOf(const Window& g, idx_t N, idx_t Cin, idx_t Cout, idx_t groups) {
  const idx_t Cg = Cin / groups, taps = g.kh * g.kw;
  return {N, Cin, Cout, groups, Cg, Cout / groups, Cg * taps, taps, g.Ho * g.Wo, g.H * g.W};
}

// Along one axis: for input index i, the kernel taps t whose window cell lands
// on it, ascending, each with its output index (i + pad − t·d) / s; the pairs
// (t, out) of input i are pairs[2·start[i] .. 2·start[i + 1]) (axisTaps in the reference).
struct AxisTaps {
  std::vector<idx_t> start, pairs;
};

AxisTaps axisTaps(idx_t size, idx_t k, idx_t s, idx_t pad, idx_t d, idx_t out) {
  AxisTaps a;
  a.start.resize(size + 1);
  for (idx_t i = 0; i < size; i++) {
    a.start[i] = static_cast<idx_t>(a.pairs.size() / 2);
    for (idx_t t = 0; t < k; t++) {
      const idx_t num = i + pad - t * d;
      if (num < 0 || num % s != 0 || num / s >= out) continue;
      a.pairs.push_back(t);
      a.pairs.push_back(num / s);
    }
  }
  a.start[size] = static_cast<idx_t>(a.pairs.size() / 2);
  return a;
}

idx_t countNonzero(const float* x, idx_t n) {
  idx_t c = 0;
  for (idx_t i = 0; i < n; i++) c += x[i] != 0.0f;
  return c;
}

// ---- Bit-mask form: stride 1, dilation 1, padded rows of at most 64 cells, 0/1 inputs ----
//
// A row of the input becomes a 64-bit mask, bit iw + pw set where x != 0; an
// output (oh, ow) then finds the spikes of its window row i as the bits
// [ow, ow + kw) of mask row oh − ph + i, visited in ascending order. Each
// output (forward) or weight (gradient) sums its rows in registers, in the
// reference's order, instead of read-modify-writing memory once per spike and tap.

bool maskable(const Window& g) {
  return g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.W + g.pw <= 64 && g.Wo + g.kw - 1 <= 64;
}

inline Mask lowBits(idx_t n) { return n >= 64 ? ~Mask(0) : (Mask(1) << n) - 1; }

// Masks of `rows` input rows of width W; false when a nonzero is not exactly 1
// (NaN included), since those take the scatter form's multiply. "Nonzero" is
// x != 0 as in the reference (NaN counts, −0 does not).
using MaskFn = bool (*)(const float* x, idx_t rows, idx_t W, idx_t pw, Mask* masks);

bool rowMasksScalar(const float* x, idx_t rows, idx_t W, idx_t pw, Mask* masks) {
  bool ones = true;
  for (idx_t r = 0; r < rows; r++) {
    const float* xr = x + r * W;
    Mask m = 0;
    for (idx_t iw = 0; iw < W; iw++) {
      const float v = xr[iw];
      m |= Mask(v != 0.0f) << (iw + pw);
      ones &= (v == 0.0f) | (v == 1.0f);
    }
    masks[r] = m;
  }
  return ones;
}

#if SF_X86

SF_TARGET_AVX2 bool rowMasksAvx2(const float* x, idx_t rows, idx_t W, idx_t pw, Mask* masks) {
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
  Mask odd = 0;
  for (idx_t r = 0; r < rows; r++) {
    const float* xr = x + r * W;
    Mask m = 0;
    idx_t iw = 0;
    for (; iw + 8 <= W; iw += 8) {
      const __m256 v = _mm256_loadu_ps(xr + iw);
      const Mask nz = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(v, zero, _CMP_NEQ_UQ)));
      odd |= nz & ~Mask(static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(v, one, _CMP_EQ_OQ))));
      m |= nz << (iw + pw);
    }
    for (; iw < W; iw++) {
      const float v = xr[iw];
      m |= Mask(v != 0.0f) << (iw + pw);
      odd |= Mask((v != 0.0f) & (v != 1.0f));
    }
    masks[r] = m;
  }
  return odd == 0;
}

SF_TARGET_AVX512 bool rowMasksAvx512(const float* x, idx_t rows, idx_t W, idx_t pw, Mask* masks) {
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
  Mask odd = 0;
  for (idx_t r = 0; r < rows; r++) {
    const float* xr = x + r * W;
    Mask m = 0;
    for (idx_t iw = 0; iw < W; iw += 16) {
      const idx_t rem = W - iw;
      const __mmask16 live = rem >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << rem) - 1);
      const __m512 v = _mm512_maskz_loadu_ps(live, xr + iw);
      const __mmask16 nz = _mm512_mask_cmp_ps_mask(live, v, zero, _CMP_NEQ_UQ);
      odd |= Mask(nz & ~_mm512_cmp_ps_mask(v, one, _CMP_EQ_OQ));
      m |= Mask(nz) << (iw + pw);
    }
    masks[r] = m;
  }
  return odd == 0;
}

#endif

MaskFn rowMaskKernel() {
#if SF_X86
  switch (activeIsa()) {
    case Isa::avx512: return rowMasksAvx512;
    case Isa::avx2: return rowMasksAvx2;
    default: break;
  }
#endif
  return rowMasksScalar;
}

// Rows of W floats held in vector registers (GCC vector extensions: zmm in
// the AVX-512 clone, pairs of ymm / quads of xmm in the others). Lane-wise
// float additions and multiplies round exactly like the scalar reference.
typedef float V16 __attribute__((vector_size(64)));
typedef float V8 __attribute__((vector_size(32)));

template <int W>
struct Reg {
  static constexpr int kLanes = W % 16 == 0 ? 16 : 8;
  static constexpr int kCount = W / kLanes;
  using V = typename std::conditional<kLanes == 16, V16, V8>::type;
  static_assert(W > 0 && W % 8 == 0, "register rows hold a multiple of 8 floats");
  V v[kCount];
  // Unaligned accesses through memcpy (compiled to plain vector moves).
  static SF_INLINE V at(const float* p) {
    V r;
    __builtin_memcpy(&r, p, sizeof(V));
    return r;
  }
  SF_INLINE void zero() {
    for (int i = 0; i < kCount; i++) v[i] = V{};
  }
  SF_INLINE void load(const float* p) {
    for (int i = 0; i < kCount; i++) v[i] = at(p + i * kLanes);
  }
  SF_INLINE void add(const float* p) {
    for (int i = 0; i < kCount; i++) v[i] += at(p + i * kLanes);
  }
  SF_INLINE void add(const Reg& r) {
    for (int i = 0; i < kCount; i++) v[i] += r.v[i];
  }
  // v += s·p: the product rounded, then the sum (-ffp-contract=off keeps them apart).
  SF_INLINE void addScaled(float s, const float* p) {
    for (int i = 0; i < kCount; i++) v[i] += s * at(p + i * kLanes);
  }
  SF_INLINE void store(float* p) const {
    for (int i = 0; i < kCount; i++) __builtin_memcpy(p + i * kLanes, &v[i], sizeof(V));
  }
};

// dst[0, width) += src[0, width): one float addition per element, as the reference's `+=` on a Float32Array.
template <int W>
SF_INLINE void addRow(float* __restrict dst, const float* __restrict src, idx_t width) {
  if constexpr (W > 0) {
    Reg<W> r;
    r.load(dst);
    r.add(src);
    r.store(dst);
  } else {
    for (idx_t o = 0; o < width; o++) dst[o] += src[o];
  }
}

// Runs f(width tag W, c0, w) over channel chunks [c0, c0 + w) of a row of
// `width`: 64 at a time, then 32, 16 and 8, so sums stay in registers whatever
// the channel count; a last chunk of fewer than 8 gets W = 0 (loops over memory).
template <class F>
SF_INLINE void chunked(idx_t width, F&& f) {
  idx_t c0 = 0;
  for (; c0 + 64 <= width; c0 += 64) f(std::integral_constant<int, 64>{}, c0, idx_t(64));
  if (c0 + 32 <= width) f(std::integral_constant<int, 32>{}, c0, idx_t(32)), c0 += 32;
  if (c0 + 16 <= width) f(std::integral_constant<int, 16>{}, c0, idx_t(16)), c0 += 16;
  if (c0 + 8 <= width) f(std::integral_constant<int, 8>{}, c0, idx_t(8)), c0 += 8;
  if (c0 < width) f(std::integral_constant<int, 0>{}, c0, width - c0);
}

// o[0, width) = the sum, from +0, of the rows visit(add) hands to add, in that
// order: in registers when W > 0, else in memory (one float addition per element either way).
template <int W, class Visit>
SF_INLINE void sumRowsInto(float* o, idx_t width, Visit&& visit) {
  if constexpr (W > 0) {
    Reg<W> acc;
    acc.zero();
    visit([&](const float* r) SF_INLINE_LAMBDA { acc.add(r); });
    acc.store(o);
  } else {
    std::fill(o, o + width, 0.0f);
    visit([&](const float* r) SF_INLINE_LAMBDA { addRow<0>(o, r, width); });
  }
}

// o[0, width) += the rows visit(add) hands to add, in that order: loaded into
// registers, summed and stored back when W > 0, else added in memory.
template <int W, class Visit>
SF_INLINE void addRowsInto(float* o, idx_t width, Visit&& visit) {
  if constexpr (W > 0) {
    Reg<W> acc;
    acc.load(o);
    visit([&](const float* r) SF_INLINE_LAMBDA { acc.add(r); });
    acc.store(o);
  } else {
    visit([&](const float* r) SF_INLINE_LAMBDA { addRow<0>(o, r, width); });
  }
}

// Outputs of a row summed side by side in the mask form: their additions are
// independent chains, so the adds overlap instead of waiting on each other's latency.
constexpr idx_t kLockstep = 4;

// Rows of padded weights per (group, channel, kernel row): kLockstep − 1 zero
// rows on each side of the kw taps, so output ow + r of a lockstep group can
// take tap s − r of every spike s of the group's union window unconditionally
// — a tap outside [0, kw) reads a zero row, and adding +0 to a sum that starts
// at +0 changes no bit (such a sum is never −0).
inline idx_t paddedTaps(const Window& g) { return g.kw + 2 * (kLockstep - 1); }

// One image, every group, channels [c0, c0 + width) of each group:
// out[p][gr·Og + ol] = Σ over the window's spikes, ascending (c, i, j), of the
// weight of tap (c, i, j). wp: padded weights [gr][cl][i][paddedTaps][Og].
template <int W>
SF_INLINE void maskForwardImage(const Window& g, const Dims& d, const Mask* masks, const float* wp, float* out, idx_t c0,
                                idx_t width) {
  const idx_t kwp = paddedTaps(g), skip = (kLockstep - 1) * d.Og + c0;
  const Mask one = lowBits(g.kw), group = lowBits(g.kw + kLockstep - 1);
  for (idx_t oh = 0; oh < g.Ho; oh++) {
    const Span ti = validTaps(oh - g.ph, g.kh, 1, g.H);
    for (idx_t gr = 0; gr < d.groups; gr++) {
      // Mask of input row oh − ph + i of channel cl (inside the image for the taps in ti), and that row's weights.
      const auto rowOf = [&](idx_t cl) SF_INLINE_LAMBDA { return (gr * d.Cg + cl) * g.H + oh - g.ph; };
      const auto weightsOf = [&](idx_t cl, idx_t i) SF_INLINE_LAMBDA {
        return wp + ((gr * d.Cg + cl) * g.kh + i) * kwp * d.Og + skip;
      };
      const auto outAt = [&](idx_t ow) SF_INLINE_LAMBDA { return out + (oh * g.Wo + ow) * d.Cout + gr * d.Og + c0; };
      idx_t ow = 0;
      if constexpr (W > 0) {
        for (; ow + kLockstep <= g.Wo; ow += kLockstep) {
          Reg<W> acc[kLockstep];
#pragma GCC unroll 8
          for (idx_t r = 0; r < kLockstep; r++) acc[r].zero();
          for (idx_t cl = 0; cl < d.Cg; cl++) {
            const idx_t row0 = rowOf(cl);
            for (idx_t i = ti.lo; i < ti.hi; i++) {
              Mask bits = (masks[row0 + i] >> ow) & group;
              const float* wi = weightsOf(cl, i);
              while (bits) {
                const float* ws = wi + __builtin_ctzll(bits) * d.Og;
#pragma GCC unroll 8
                for (idx_t r = 0; r < kLockstep; r++) acc[r].add(ws - r * d.Og);
                bits &= bits - 1;
              }
            }
          }
#pragma GCC unroll 8
          for (idx_t r = 0; r < kLockstep; r++) acc[r].store(outAt(ow + r));
        }
      }
      for (; ow < g.Wo; ow++) {
        float* o = outAt(ow);
        const auto visit = [&](auto&& add) SF_INLINE_LAMBDA {
          for (idx_t cl = 0; cl < d.Cg; cl++) {
            const idx_t row0 = rowOf(cl);
            for (idx_t i = ti.lo; i < ti.hi; i++) {
              Mask bits = (masks[row0 + i] >> ow) & one;
              const float* wi = weightsOf(cl, i);
              while (bits) {
                add(wi + __builtin_ctzll(bits) * d.Og);
                bits &= bits - 1;
              }
            }
          }
        };
        sumRowsInto<W>(o, width, visit);
      }
    }
  }
}

// ---- Scatter form: any geometry and values ----

// A non-binary input: the reference's y + v·w in double, rounded to float.
template <int W>
SF_INLINE void axpyRow(float* __restrict dst, const float* __restrict src, double v, idx_t width) {
  const idx_t n = W > 0 ? W : width;
  for (idx_t o = 0; o < n; o++) dst[o] = static_cast<float>(static_cast<double>(dst[o]) + v * static_cast<double>(src[o]));
}

// One image's nonzero inputs, ascending (c, ih, iw), each through its valid taps.
// Forward: acc[p][gr·width .. + width) += Wt[gr][k][0, width) (acc rows dstLd apart).
// Weight gradient: acc[gr][k][0, width) += dyT[p][gr·width .. + width) (dyT rows srcLd apart).
// Either way every accumulator row receives its terms in the reference's order.
template <int W, bool kForward>
SF_INLINE void scatterImage(const Window& g, const Dims& d, const AxisTaps& rows, const AxisTaps& cols, const float* xn,
                            const float* src, idx_t srcLd, float* acc, idx_t dstLd, idx_t width) {
  for (idx_t c = 0; c < d.Cin; c++) {
    const idx_t gr = c / d.Cg, cl = c - gr * d.Cg;
    const float* xc = xn + c * d.plane;
    for (idx_t ih = 0; ih < g.H; ih++) {
      const float* xr = xc + ih * g.W;
      for (idx_t iw = 0; iw < g.W; iw++) {
        const float v = xr[iw];
        if (v == 0.0f) continue;
        for (idx_t a = rows.start[ih]; a < rows.start[ih + 1]; a++) {
          const idx_t i = rows.pairs[2 * a], oh = rows.pairs[2 * a + 1];
          for (idx_t b = cols.start[iw]; b < cols.start[iw + 1]; b++) {
            const idx_t j = cols.pairs[2 * b], ow = cols.pairs[2 * b + 1];
            const idx_t p = oh * g.Wo + ow, k = gr * d.Kg + (cl * g.kh + i) * g.kw + j;
            float* dst = kForward ? acc + p * dstLd + gr * width : acc + k * dstLd;
            const float* s = kForward ? src + k * srcLd : src + p * srcLd + gr * width;
            if (v == 1.0f) addRow<W>(dst, s, width);
            else axpyRow<W>(dst, s, v, width);
          }
        }
      }
    }
  }
}

template <int W>
SF_INLINE void forwardRun(idx_t n0, idx_t n1, const Window& g, const Dims& d, const AxisTaps& rows,
                          const AxisTaps& cols, MaskFn rowMasks, const float* x, const float* wt, const float* wp,
                          float* y) {
  thread_local Scratch<float> scratch;
  thread_local Scratch<Mask> maskScratch;
  float* acc = scratch.get(d.P * d.Cout);
  Mask* masks = maskScratch.get(d.Cin * g.H);
  for (idx_t n = n0; n < n1; n++) {
    const float* xn = x + n * d.Cin * d.plane;
    if (wp && rowMasks(xn, d.Cin * g.H, g.W, g.pw, masks)) {
      chunked(d.Og, [&](auto wc, idx_t c0, idx_t w) SF_INLINE_LAMBDA {
        maskForwardImage<decltype(wc)::value>(g, d, masks, wp, acc, c0, w);
      });
    } else {
      std::fill(acc, acc + d.P * d.Cout, 0.0f);
      scatterImage<W, true>(g, d, rows, cols, xn, wt, d.Og, acc, d.Cout, d.Og);
    }
    transpose(d.P, d.Cout, acc, y + n * d.Cout * d.P);
  }
}

SF_CLONES void forwardImages(idx_t n0, idx_t n1, const Window& g, const Dims& d, const AxisTaps& rows,
                             const AxisTaps& cols, MaskFn rowMasks, const float* x, const float* wt, const float* wp,
                             float* y) {
  switch (d.Og) {
    case 8: forwardRun<8>(n0, n1, g, d, rows, cols, rowMasks, x, wt, wp, y); break;
    case 16: forwardRun<16>(n0, n1, g, d, rows, cols, rowMasks, x, wt, wp, y); break;
    case 32: forwardRun<32>(n0, n1, g, d, rows, cols, rowMasks, x, wt, wp, y); break;
    case 64: forwardRun<64>(n0, n1, g, d, rows, cols, rowMasks, x, wt, wp, y); break;
    default: forwardRun<0>(n0, n1, g, d, rows, cols, rowMasks, x, wt, wp, y); break;
  }
}

// dyT[n − n0][oh][pad + ow][gr·L + l] = dy[n][gr·Og + l0 + l][oh, ow] for
// images [n0, n1): the channels this call owns, last. Each output row gets
// `pad` zero rows on both sides (the mask form's lockstep reads them).
void transposeGrad(idx_t n0, idx_t n1, idx_t l0, idx_t L, idx_t pad, const Window& g, const Dims& d, const float* dy,
                   float* dyT) {
  thread_local Scratch<float> scratch;
  float* t = scratch.get(d.P * d.Cout);
  const idx_t ld = d.groups * L, rowLen = g.Wo + 2 * pad;
  const idx_t image = g.Ho * rowLen * ld;
  for (idx_t n = n0; n < n1; n++) {
    transpose(d.Cout, d.P, dy + n * d.Cout * d.P, t);  // t[p][o]
    float* out = dyT + (n - n0) * image;
    for (idx_t oh = 0; oh < g.Ho; oh++) {
      float* row = out + oh * rowLen * ld;
      std::fill(row, row + pad * ld, 0.0f);
      std::fill(row + (pad + g.Wo) * ld, row + rowLen * ld, 0.0f);
      for (idx_t ow = 0; ow < g.Wo; ow++) {
        const float* src = t + (oh * g.Wo + ow) * d.Cout + l0;
        float* dst = row + (pad + ow) * ld;
        for (idx_t gr = 0; gr < d.groups; gr++) std::copy(src + gr * d.Og, src + gr * d.Og + L, dst + gr * L);
      }
    }
  }
}

// Weight gradient in the mask form, for channels [l0, l0 + L) of every group:
// each weight row sums, in registers, the dyT rows of the outputs whose window
// cell (i, j) of channel c holds a spike — images ascending, then rows, then
// columns (the reference's (n, p) order). kLockstep taps j0 + r of a kernel row
// run side by side: spike t of the union window adds output t − r to tap
// j0 + r, a zero row when that output is outside the row (exact: see
// paddedTaps). Images go in blocks whose dyT fits in L2.
SF_INLINE void maskGradW(idx_t l0, idx_t L, const Window& g, const Dims& d, const Mask* masks, const float* dy,
                         float* acc) {
  thread_local Scratch<float> dyScratch;
  constexpr idx_t pad = kLockstep - 1;
  const idx_t ld = d.groups * L, rowLen = g.Wo + 2 * pad, image = g.Ho * rowLen * ld;
  const idx_t block = std::max<idx_t>(1, std::min<idx_t>(d.N, (128 * 1024) / (4 * image)));
  float* dyT = dyScratch.get(block * image);
  const Mask one = lowBits(g.Wo), group = lowBits(g.Wo + kLockstep - 1);
  for (idx_t n0 = 0; n0 < d.N; n0 += block) {
    const idx_t n1 = std::min(d.N, n0 + block);
    transposeGrad(n0, n1, l0, L, pad, g, d, dy, dyT);
    for (idx_t gr = 0; gr < d.groups; gr++)
      for (idx_t cl = 0; cl < d.Cg; cl++)
        for (idx_t i = 0; i < g.kh; i++) {
          // Output rows whose input row oh − ph + i lies in the image.
          const idx_t ohLo = std::max<idx_t>(0, g.ph - i), ohHi = std::min(g.Ho, g.H + g.ph - i);
          // Channel chunks [c0, c0 + w) of the L this call owns, each summed in registers.
          chunked(L, [&](auto wc, idx_t c0, idx_t w) SF_INLINE_LAMBDA {
            constexpr int W = decltype(wc)::value;
            float* rows = acc + (gr * d.Kg + (cl * g.kh + i) * g.kw) * L + c0;
            // Calls run(bits, r) for every (image, output row) of taps from j: r is the dyT row of output 0.
            const auto visit = [&](idx_t j, Mask window, auto&& run) SF_INLINE_LAMBDA {
              for (idx_t n = n0; n < n1; n++) {
                const idx_t row0 = (n * d.Cin + gr * d.Cg + cl) * g.H - g.ph + i;
                const float* base = dyT + (n - n0) * image + pad * ld + gr * L + c0;
                for (idx_t oh = ohLo; oh < ohHi; oh++) run((masks[row0 + oh] >> j) & window, base + oh * rowLen * ld);
              }
            };
            idx_t j = 0;
            if constexpr (W > 0) {
              // Groups of kLockstep taps; the last may run past kw (its extra sums are dropped) unless one tap is left.
              for (; j + 1 < g.kw; j += kLockstep) {
                const idx_t live = std::min(kLockstep, g.kw - j);
                Reg<W> a[kLockstep];
#pragma GCC unroll 8
                for (idx_t r = 0; r < kLockstep; r++) {
                  if (r < live) a[r].load(rows + (j + r) * L);
                  else a[r].zero();
                }
                visit(j, group, [&](Mask bits, const float* r0) SF_INLINE_LAMBDA {
                  while (bits) {
                    const float* rt = r0 + __builtin_ctzll(bits) * ld;
#pragma GCC unroll 8
                    for (idx_t r = 0; r < kLockstep; r++) a[r].add(rt - r * ld);
                    bits &= bits - 1;
                  }
                });
#pragma GCC unroll 8
                for (idx_t r = 0; r < kLockstep; r++)
                  if (r < live) a[r].store(rows + (j + r) * L);
              }
            }
            for (; j < g.kw; j++) {
              float* row = rows + j * L;
              const auto each = [&](auto&& add) SF_INLINE_LAMBDA {
                visit(j, one, [&](Mask bits, const float* r0) SF_INLINE_LAMBDA {
                  while (bits) {
                    add(r0 + __builtin_ctzll(bits) * ld);
                    bits &= bits - 1;
                  }
                });
              };
              addRowsInto<W>(row, w, each);
            }
          });
        }
  }
}

// Output channels [l0, l0 + L) of every group: acc[gr][k][0, L) sums over all
// images in order, then is added to dw. Splitting channels (not images) keeps
// each weight's summation order whole, so two threads give the same bits.
template <int W>
SF_INLINE void gradWRun(idx_t l0, idx_t L, const Window& g, const Dims& d, const AxisTaps& rows, const AxisTaps& cols,
                        const Mask* masks, const float* x, const float* dy, float* dw) {
  thread_local Scratch<float> accScratch, dyScratch;
  const idx_t ld = d.groups * L;
  float* acc = accScratch.get(d.groups * d.Kg * L);
  std::fill(acc, acc + d.groups * d.Kg * L, 0.0f);
  if (masks) {
    maskGradW(l0, L, g, d, masks, dy, acc);
  } else {
    float* dyT = dyScratch.get(d.P * ld);
    for (idx_t n = 0; n < d.N; n++) {
      transposeGrad(n, n + 1, l0, L, 0, g, d, dy, dyT);
      scatterImage<W, false>(g, d, rows, cols, x + n * d.Cin * d.plane, dyT, ld, acc, L, L);
    }
  }
  for (idx_t gr = 0; gr < d.groups; gr++)
    for (idx_t l = 0; l < L; l++) {
      float* r = dw + (gr * d.Og + l0 + l) * d.Kg;
      const float* a = acc + gr * d.Kg * L + l;
      for (idx_t k = 0; k < d.Kg; k++) r[k] += a[k * L];
    }
}

SF_CLONES void gradWChannels(idx_t l0, idx_t l1, const Window& g, const Dims& d, const AxisTaps& rows,
                             const AxisTaps& cols, const Mask* masks, const float* x, const float* dy, float* dw) {
  const idx_t L = l1 - l0;
  switch (L) {
    case 8: gradWRun<8>(l0, L, g, d, rows, cols, masks, x, dy, dw); break;
    case 16: gradWRun<16>(l0, L, g, d, rows, cols, masks, x, dy, dw); break;
    case 32: gradWRun<32>(l0, L, g, d, rows, cols, masks, x, dy, dw); break;
    case 64: gradWRun<64>(l0, L, g, d, rows, cols, masks, x, dy, dw); break;
    default: gradWRun<0>(l0, L, g, d, rows, cols, masks, x, dy, dw); break;
  }
}

// Input gradient of images [n0, n1): per output position p (ascending) and
// group, the nonzero dy[o, p] are listed; each window tap's Cg-wide sum over
// them (products rounded, then sums, in o order; -ffp-contract=off keeps them
// unfused) runs in registers and is added once to acc[q][c] (channels last);
// dx is acc transposed. wf holds w in [o][i][j][c] order (a tap's Cg weights contiguous).
SF_INLINE void gradXRun(idx_t n0, idx_t n1, const Window& g, const Dims& d, const Span* rowTaps, const Span* colTaps,
                        const float* wf, const float* dy, float* dx) {
  thread_local Scratch<float> accScratch, dyScratch, valScratch, sumScratch;
  thread_local Scratch<idx_t> idxScratch;
  const idx_t Cg = d.Cg;
  float* acc = accScratch.get(d.plane * d.Cin);
  float* dyT = dyScratch.get(d.P * d.Cout);
  float* vals = valScratch.get(d.Og);
  float* t = sumScratch.get(Cg);
  idx_t* os = idxScratch.get(d.Og);
  for (idx_t n = n0; n < n1; n++) {
    std::fill(acc, acc + d.plane * d.Cin, 0.0f);
    transpose(d.Cout, d.P, dy + n * d.Cout * d.P, dyT);  // dyT[p][o]
    for (idx_t oh = 0; oh < g.Ho; oh++) {
      const Span ti = rowTaps[oh];
      const idx_t hs = oh * g.sh - g.ph;
      for (idx_t ow = 0; ow < g.Wo; ow++) {
        const Span tj = colTaps[ow];
        const idx_t ws = ow * g.sw - g.pw;
        const float* dp = dyT + (oh * g.Wo + ow) * d.Cout;
        for (idx_t gr = 0; gr < d.groups; gr++) {
          idx_t m = 0;
          for (idx_t o = gr * d.Og; o < (gr + 1) * d.Og; o++) {
            const float v = dp[o];
            os[m] = o;
            vals[m] = v;
            m += v != 0.0f;
          }
          if (m == 0) continue;
          float* accG = acc + gr * Cg;
          for (idx_t i = ti.lo; i < ti.hi; i++) {
            const idx_t ih = hs + i * g.dh;
            for (idx_t j = tj.lo; j < tj.hi; j++) {
              const idx_t iw = ws + j * g.dw;
              const float* wt = wf + (i * g.kw + j) * Cg;
              float* a = accG + (ih * g.W + iw) * d.Cin;
              // Chunks of the Cg channels, each summed over the listed o in registers, then added to its cells once.
              chunked(Cg, [&](auto wc, idx_t c0, idx_t w) SF_INLINE_LAMBDA {
                constexpr int W = decltype(wc)::value;
                if constexpr (W > 0) {
                  Reg<W> sum;
                  sum.zero();
                  for (idx_t e = 0; e < m; e++) sum.addScaled(vals[e], wt + os[e] * d.taps * Cg + c0);
                  Reg<W> cell;
                  cell.load(a + c0);
                  cell.add(sum);
                  cell.store(a + c0);
                } else {
                  std::fill(t, t + w, 0.0f);
                  for (idx_t e = 0; e < m; e++) {
                    const float v = vals[e];
                    const float* wr = wt + os[e] * d.taps * Cg + c0;
                    for (idx_t c = 0; c < w; c++) t[c] += v * wr[c];
                  }
                  for (idx_t c = 0; c < w; c++) a[c0 + c] += t[c];
                }
              });
            }
          }
        }
      }
    }
    transpose(d.plane, d.Cin, acc, dx + n * d.Cin * d.plane);
  }
}

SF_CLONES void gradXImages(idx_t n0, idx_t n1, const Window& g, const Dims& d, const Span* rowTaps,
                           const Span* colTaps, const float* wf, const float* dy, float* dx) {
  gradXRun(n0, n1, g, d, rowTaps, colTaps, wf, dy, dx);
}

// A 1×1 window with stride 1 and no padding: output p reads input p only, so
// per group the convolution is an event-driven product of the [N·P, Cg]
// transposed input with the [Cg, Og] transposed weights — eventGemm and
// eventGemmGradW (event.cc) in the reference's order (ascending channel per
// output; ascending (n, p) per weight), with their register-tiled row sums
// over wide channel counts and their thread split.
bool pointwise(const Window& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && g.Ho == g.H && g.Wo == g.W;
}

// ---- Pointwise on 0/1 inputs, without transposed copies ----
//
// The general pointwise path below transposes the whole input (and the
// output, or dy) into [N·P, C] matrices for eventGemm: three passes over
// tensors of megabytes for a product whose event work is small. Here each
// (image, channel) row of x becomes bit masks over its P positions (words of
// 64), read in place; an image's block of sums lives in L1 and is transposed
// there. The additions per output, and per weight, are the reference's
// (eventGemm: ascending channel from +0; eventGemmGradW: ascending (n, p)
// from +0, then added to dw), so the results are the same bits.

// Words of 64 positions per (image, channel) row.
inline idx_t maskWords(idx_t P) { return (P + 63) / 64; }

// cm[(r·words + k)] for rows r < rows of x (each P floats): bit p − 64k set
// where x != 0. False when a nonzero is not exactly 1 (the caller falls back).
bool positionMasks(const float* x, idx_t rows, idx_t P, Mask* cm) {
  const MaskFn fn = rowMaskKernel();
  const idx_t words = maskWords(P), full = P / 64, tail = P - full * 64;
  if (words == 1) return fn(x, rows, P, 0, cm);
  bool ones = true;
  for (idx_t r = 0; r < rows; r++) {
    const float* xr = x + r * P;
    Mask* m = cm + r * words;
    ones &= fn(xr, full, 64, 0, m);
    if (tail > 0) ones &= fn(xr + full * 64, 1, tail, 0, m + full);
  }
  return ones;
}

// Spikes in `count` mask words (the threads' work estimate, without another pass over x).
inline double maskedCount(const Mask* cm, idx_t count) {
  idx_t c = 0;
  for (idx_t i = 0; i < count; i++) c += __builtin_popcountll(cm[i]);
  return double(c);
}

// Images [n0, n1) of group gr: y[n][gr·Og + o][p] = Σ over the channels c
// active at p, ascending, of wT[c][o] (wT: [Cg][Og] of this group).
SF_CLONES void pointwiseForwardImages(idx_t n0, idx_t n1, idx_t gr, const Dims& d, const Mask* cm, const float* wT,
                                      float* y) {
  thread_local Scratch<Mask> pmScratch;
  thread_local Scratch<float> blockScratch;
  const idx_t words = maskWords(d.P), cw = (d.Cg + 63) / 64;
  Mask* pm = pmScratch.get(d.P * cw);
  float* block = blockScratch.get(d.P * d.Og);
  for (idx_t n = n0; n < n1; n++) {
    // Channels per position, from the positions per channel.
    std::fill(pm, pm + d.P * cw, Mask(0));
    const Mask* rows = cm + (n * d.Cin + gr * d.Cg) * words;
    for (idx_t cl = 0; cl < d.Cg; cl++)
      for (idx_t k = 0; k < words; k++)
        for (Mask bits = rows[cl * words + k]; bits; bits &= bits - 1)
          pm[(k * 64 + __builtin_ctzll(bits)) * cw + cl / 64] |= Mask(1) << (cl % 64);
    for (idx_t p = 0; p < d.P; p++) {
      const Mask* at = pm + p * cw;
      chunked(d.Og, [&](auto wc, idx_t c0, idx_t w) SF_INLINE_LAMBDA {
        constexpr int W = decltype(wc)::value;
        float* o = block + p * d.Og + c0;
        const auto visit = [&](auto&& add) SF_INLINE_LAMBDA {
          for (idx_t k = 0; k < cw; k++)
            for (Mask bits = at[k]; bits; bits &= bits - 1) add(wT + (k * 64 + __builtin_ctzll(bits)) * d.Og + c0);
        };
        sumRowsInto<W>(o, w, visit);
      });
    }
    transpose(d.P, d.Og, block, y + (n * d.Cout + gr * d.Og) * d.P);
  }
}

// Output channels [l0, l1) of group gr, every image in order: acc[cl][o] +=
// dy[n][gr·Og + o][p] for each p where channel gr·Cg + cl of image n is active
// (acc: [Cg][Og] of this group, from +0).
SF_CLONES void pointwiseGradWChannels(idx_t l0, idx_t l1, idx_t gr, const Dims& d, const Mask* cm, const float* dy,
                                      float* acc) {
  thread_local Scratch<float> dyScratch;
  const idx_t words = maskWords(d.P), L = l1 - l0;
  float* dyT = dyScratch.get(d.P * L);
  for (idx_t n = 0; n < d.N; n++) {
    const Mask* rows = cm + (n * d.Cin + gr * d.Cg) * words;
    bool any = false;
    for (idx_t k = 0; k < d.Cg * words && !any; k++) any = rows[k] != 0;
    if (!any) continue;
    transpose(L, d.P, dy + (n * d.Cout + gr * d.Og + l0) * d.P, dyT);  // dyT[p][o − l0]
    for (idx_t cl = 0; cl < d.Cg; cl++) {
      const Mask* m = rows + cl * words;
      bool live = false;
      for (idx_t k = 0; k < words; k++) live |= m[k] != 0;
      if (!live) continue;
      chunked(L, [&](auto wc, idx_t c0, idx_t w) SF_INLINE_LAMBDA {
        constexpr int W = decltype(wc)::value;
        float* a = acc + cl * d.Og + l0 + c0;
        const auto visit = [&](auto&& add) SF_INLINE_LAMBDA {
          for (idx_t k = 0; k < words; k++)
            for (Mask bits = m[k]; bits; bits &= bits - 1) add(dyT + (k * 64 + __builtin_ctzll(bits)) * L + c0);
        };
        addRowsInto<W>(a, w, visit);
      });
    }
  }
}

// out[n·P + p][0, rows) = src[n][p] columns: per image, the [rows, P] block at src + n·stride transposed.
void transposeImages(idx_t N, idx_t rows, idx_t P, const float* src, idx_t stride, float* out) {
  for (idx_t n = 0; n < N; n++) transpose(rows, P, src + n * stride, out + n * P * rows);
}

}  // namespace

void eventConv(const Window& g, idx_t N, idx_t Cin, idx_t Cout, idx_t groups, const float* x, const float* w,
               float* y) {
  const Dims d = dimsOf(g, N, Cin, Cout, groups);
  if (N * Cout * d.P == 0) return;
  if (pointwise(g)) {
    thread_local Scratch<Mask> cmScratch;
    thread_local Scratch<float> wScratch;
    Mask* cm = cmScratch.get(N * Cin * maskWords(d.P));
    if (positionMasks(x, N * Cin, d.P, cm)) {
      float* wT = wScratch.get(std::max<idx_t>(1, d.Cg * d.Og));
      const double work = maskedCount(cm, N * Cin * maskWords(d.P)) * double(d.Og);
      for (idx_t gr = 0; gr < groups; gr++) {
        transpose(d.Og, d.Cg, w + gr * d.Og * d.Cg, wT);
        runHalves(work >= kParallelMinWork, N, 1, [&](idx_t n0, idx_t n1) { pointwiseForwardImages(n0, n1, gr, d, cm, wT, y); });
      }
      return;
    }
    thread_local Scratch<float> xs, ws, ys;
    const idx_t M = N * d.P;
    float* xT = xs.get(std::max<idx_t>(1, M * d.Cg));
    float* wT = ws.get(std::max<idx_t>(1, d.Cg * d.Og));
    float* yT = ys.get(M * d.Og);
    for (idx_t gr = 0; gr < groups; gr++) {
      transposeImages(N, d.Cg, d.P, x + gr * d.Cg * d.P, Cin * d.P, xT);
      transpose(d.Og, d.Cg, w + gr * d.Og * d.Cg, wT);
      sf::eventGemm(M, d.Og, d.Cg, xT, wT, 0.0, yT);
      for (idx_t n = 0; n < N; n++) transpose(d.P, d.Og, yT + n * d.P * d.Og, y + (n * Cout + gr * d.Og) * d.P);
    }
    return;
  }
  // Wt[gr][k][ol] = w[gr·Og + ol][k]: a tap's Og weights contiguous, added as one row per input.
  thread_local Scratch<float> scratch;
  float* wt = scratch.get(std::max<idx_t>(1, Cout * d.Kg));
  for (idx_t gr = 0; gr < groups; gr++)
    for (idx_t ol = 0; ol < d.Og; ol++)
      for (idx_t k = 0; k < d.Kg; k++) wt[(gr * d.Kg + k) * d.Og + ol] = w[(gr * d.Og + ol) * d.Kg + k];
  // The mask form's padded copy: Wp[gr][cl][i][kLockstep − 1 + j][ol], zero rows around the kw taps.
  thread_local Scratch<float> padScratch;
  float* wp = nullptr;
  if (maskable(g)) {
    const idx_t kwp = paddedTaps(g), block = kwp * d.Og;
    wp = padScratch.get(groups * d.Cg * g.kh * block);
    std::fill(wp, wp + groups * d.Cg * g.kh * block, 0.0f);
    for (idx_t gr = 0; gr < groups; gr++)
      for (idx_t cl = 0; cl < d.Cg; cl++)
        for (idx_t i = 0; i < g.kh; i++)
          for (idx_t j = 0; j < g.kw; j++) {
            const float* src = wt + (gr * d.Kg + (cl * g.kh + i) * g.kw + j) * d.Og;
            std::copy(src, src + d.Og, wp + ((gr * d.Cg + cl) * g.kh + i) * block + (kLockstep - 1 + j) * d.Og);
          }
  }
  const AxisTaps rows = axisTaps(g.H, g.kh, g.sh, g.ph, g.dh, g.Ho), cols = axisTaps(g.W, g.kw, g.sw, g.pw, g.dw, g.Wo);
  const MaskFn rowMasks = rowMaskKernel();
  const double work = double(countNonzero(x, N * Cin * d.plane)) * double(d.taps) * double(d.Og);
  // Images are independent: each half computes its own.
  runHalves(work >= kParallelMinWork, N, 1,
            [&](idx_t n0, idx_t n1) { forwardImages(n0, n1, g, d, rows, cols, rowMasks, x, wt, wp, y); });
}

void eventConvGradW(const Window& g, idx_t N, idx_t Cin, idx_t Cout, idx_t groups, const float* x,
                    const float* dy, float* dw) {
  const Dims d = dimsOf(g, N, Cin, Cout, groups);
  if (N * d.P == 0 || Cout * d.Kg == 0) return;
  if (pointwise(g)) {
    thread_local Scratch<Mask> cmScratch;
    thread_local Scratch<float> accScratch;
    Mask* cm = cmScratch.get(N * Cin * maskWords(d.P));
    if (positionMasks(x, N * Cin, d.P, cm)) {
      float* acc = accScratch.get(d.Cg * d.Og);
      const double work = maskedCount(cm, N * Cin * maskWords(d.P)) * double(d.Og);
      for (idx_t gr = 0; gr < groups; gr++) {
        std::fill(acc, acc + d.Cg * d.Og, 0.0f);
        // Halves of the group's output channels, cut at a multiple of 8 (vector-width rows).
        runHalves(work >= kParallelMinWork && d.Og >= 16, d.Og, 8,
                  [&](idx_t l0, idx_t l1) { pointwiseGradWChannels(l0, l1, gr, d, cm, dy, acc); });
        float* dwg = dw + gr * d.Og * d.Cg;
        for (idx_t o = 0; o < d.Og; o++)
          for (idx_t cl = 0; cl < d.Cg; cl++) dwg[o * d.Cg + cl] += acc[cl * d.Og + o];
      }
      return;
    }
    thread_local Scratch<float> xs, ys;
    const idx_t M = N * d.P;
    float* xT = xs.get(M * d.Cg);
    float* dyT = ys.get(M * d.Og);
    for (idx_t gr = 0; gr < groups; gr++) {
      transposeImages(N, d.Cg, d.P, x + gr * d.Cg * d.P, Cin * d.P, xT);
      transposeImages(N, d.Og, d.P, dy + gr * d.Og * d.P, Cout * d.P, dyT);
      sf::eventGemmGradW(M, d.Og, d.Cg, dyT, xT, dw + gr * d.Og * d.Cg);
    }
    return;
  }
  const AxisTaps rows = axisTaps(g.H, g.kh, g.sh, g.ph, g.dh, g.Ho), cols = axisTaps(g.W, g.kw, g.sw, g.pw, g.dw, g.Wo);
  // The mask form needs every input of the batch to be 0 or 1 (one summation order for all weights).
  thread_local Scratch<Mask> maskScratch;
  Mask* masks = maskable(g) ? maskScratch.get(N * Cin * g.H) : nullptr;
  if (masks && !rowMaskKernel()(x, N * Cin * g.H, g.W, g.pw, masks)) masks = nullptr;
  const double work = double(countNonzero(x, N * Cin * d.plane)) * double(d.taps) * double(d.Og);
  // Halves of each group's output channels, cut at a multiple of 8 so both keep vector-width rows.
  runHalves(work >= kParallelMinWork && d.Og >= 16, d.Og, 8,
            [&](idx_t l0, idx_t l1) { gradWChannels(l0, l1, g, d, rows, cols, masks, x, dy, dw); });
}

void convGradXSparse(const Window& g, idx_t N, idx_t Cin, idx_t Cout, idx_t groups, const float* dy,
                     const float* w, float* dx) {
  const Dims d = dimsOf(g, N, Cin, Cout, groups);
  if (N * Cin * d.plane == 0) return;
  thread_local Scratch<float> wScratch;
  thread_local Scratch<Span> tapScratch;
  float* wf = wScratch.get(std::max<idx_t>(1, Cout * d.Kg));
  for (idx_t o = 0; o < Cout; o++)
    for (idx_t c = 0; c < d.Cg; c++)
      for (idx_t t = 0; t < d.taps; t++) wf[(o * d.taps + t) * d.Cg + c] = w[(o * d.Cg + c) * d.taps + t];
  Span* spans = tapScratch.get(g.Ho + g.Wo);
  for (idx_t oh = 0; oh < g.Ho; oh++) spans[oh] = validTaps(oh * g.sh - g.ph, g.kh, g.dh, g.H);
  for (idx_t ow = 0; ow < g.Wo; ow++) spans[g.Ho + ow] = validTaps(ow * g.sw - g.pw, g.kw, g.dw, g.W);
  const double work = double(countNonzero(dy, N * Cout * d.P)) * double(d.taps) * double(d.Cg);
  runHalves(work >= kParallelMinWork, N, 1,
            [&](idx_t n0, idx_t n1) { gradXImages(n0, n1, g, d, spans, spans + g.Ho, wf, dy, dx); });
}

}  // namespace sf
