// N-API entry points. Every function receives the JavaScript Float32Arrays of
// the tensors' storages and computes in place on their memory (no copies),
// after checking element types and bounds so a wrong call throws instead of
// writing outside an array. Argument lists mirror src/backend/native/addon.ts.
#include <node_api.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string>

#include "conv.h"
#include "elementwise.h"
#include "event.h"
#include "gemm.h"
#include "lif.h"
#include "simd.h"
#include "threads.h"
#include "train.h"

namespace {

using sf::idx_t;

struct EnvData {
  napi_ref errorClass = nullptr;  // spikeflow's BackendError, set from JS
};

std::atomic<int> liveEnvs{0};

void throwBackendError(napi_env env, const std::string& msg) {
  EnvData* d = nullptr;
  napi_get_instance_data(env, reinterpret_cast<void**>(&d));
  napi_value text;
  napi_create_string_utf8(env, msg.c_str(), msg.size(), &text);
  if (d && d->errorClass) {
    napi_value ctor, err;
    if (napi_get_reference_value(env, d->errorClass, &ctor) == napi_ok && ctor &&
        napi_new_instance(env, ctor, 1, &text, &err) == napi_ok) {
      napi_throw(env, err);
      return;
    }
  }
  napi_throw_error(env, "ERR_SPIKEFLOW_NATIVE", msg.c_str());
}

// Argument reader: the first failure throws and turns every later read into a no-op.
class Args {
 public:
  Args(napi_env env, napi_callback_info info, const char* fn) : env_(env), fn_(fn) {
    n_ = kMax;
    if (napi_get_cb_info(env, info, &n_, v_, nullptr, nullptr) != napi_ok) fail("cannot read arguments");
  }
  bool ok() const { return ok_; }
  napi_env env() const { return env_; }

  double num(size_t i, const char* name) {
    double x = 0;
    if (ok_ && (i >= n_ || napi_get_value_double(env_, v_[i], &x) != napi_ok)) fail(std::string(name) + " must be a number");
    return x;
  }
  idx_t dim(size_t i, const char* name) {
    const double x = num(i, name);
    if (ok_ && !(x >= 0 && x <= 9.0e15 && x == static_cast<double>(static_cast<idx_t>(x))))
      fail(std::string(name) + " must be a non-negative integer");
    return static_cast<idx_t>(x);
  }
  bool flag(size_t i, const char* name) {
    bool b = false;
    if (ok_ && (i >= n_ || napi_get_value_bool(env_, v_[i], &b) != napi_ok)) fail(std::string(name) + " must be a boolean");
    return b;
  }
  bool isNull(size_t i) {
    if (i >= n_) return true;
    napi_valuetype t;
    napi_typeof(env_, v_[i], &t);
    return t == napi_null || t == napi_undefined;
  }
  // A typed array of the given type holding at least `need` elements (null allowed when nullable).
  template <typename T>
  T* array(size_t i, const char* name, napi_typedarray_type want, idx_t need, bool nullable = false) {
    if (!ok_) return nullptr;
    if (nullable && isNull(i)) return nullptr;
    bool is = false;
    if (i < n_) napi_is_typedarray(env_, v_[i], &is);
    if (!is) {
      fail(std::string(name) + " must be a typed array");
      return nullptr;
    }
    napi_typedarray_type type;
    size_t len = 0;
    void* data = nullptr;
    napi_get_typedarray_info(env_, v_[i], &type, &len, &data, nullptr, nullptr);
    if (type != want) {
      if (want == napi_float32_array && type == napi_float64_array)
        fail(std::string(name) + " is a Float64Array; the native backend computes in float32 only (use the ts64 backend for float64)");
      else
        fail(std::string(name) + " has the wrong element type");
      return nullptr;
    }
    if (static_cast<idx_t>(len) < need) {
      fail(std::string(name) + " holds " + std::to_string(len) + " elements, needs " + std::to_string(need));
      return nullptr;
    }
    lastLen_ = static_cast<idx_t>(len);
    return static_cast<T*>(data);
  }
  float* f32(size_t i, const char* name, idx_t need, bool nullable = false) {
    return array<float>(i, name, napi_float32_array, need, nullable);
  }
  // Length of the last array read.
  idx_t lastLength() const { return lastLen_; }
  void fail(const std::string& msg) {
    if (!ok_) return;
    ok_ = false;
    throwBackendError(env_, std::string("native ") + fn_ + ": " + msg);
  }

 private:
  static constexpr size_t kMax = 16;
  napi_env env_;
  const char* fn_;
  size_t n_;
  napi_value v_[kMax];
  bool ok_ = true;
  idx_t lastLen_ = 0;
};

napi_value numberValue(napi_env env, double x) {
  napi_value r;
  napi_create_double(env, x, &r);
  return r;
}

napi_value stringValue(napi_env env, const char* s) {
  napi_value r;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &r);
  return r;
}

// gemm(tA, tB, M, N, K, alpha, A, aOff, B, bOff, beta, C, cOff)
napi_value Gemm(napi_env env, napi_callback_info info) {
  Args a(env, info, "gemm");
  const bool tA = a.flag(0, "tA"), tB = a.flag(1, "tB");
  const idx_t M = a.dim(2, "M"), N = a.dim(3, "N"), K = a.dim(4, "K");
  const double alpha = a.num(5, "alpha");
  const idx_t aOff = a.dim(7, "aOff"), bOff = a.dim(9, "bOff"), cOff = a.dim(12, "cOff");
  const double beta = a.num(10, "beta");
  const float* A = a.f32(6, "A", aOff + M * K);
  const float* B = a.f32(8, "B", bOff + K * N);
  float* C = a.f32(11, "C", cOff + M * N);
  if (!a.ok()) return nullptr;
  const idx_t sAi = tA ? 1 : K, sAk = tA ? M : 1;
  const idx_t sBk = tB ? 1 : N, sBj = tB ? K : 1;
  sf::gemm(M, N, K, static_cast<float>(alpha), A + aOff, sAi, sAk, B + bOff, sBk, sBj, static_cast<float>(beta),
           C + cOff, N);
  return nullptr;
}

// eventGemm(M, N, K, X, Wt, beta, Y)
napi_value EventGemm(napi_env env, napi_callback_info info) {
  Args a(env, info, "eventGemm");
  const idx_t M = a.dim(0, "M"), N = a.dim(1, "N"), K = a.dim(2, "K");
  const float* X = a.f32(3, "X", M * K);
  const float* Wt = a.f32(4, "Wt", K * N);
  const double beta = a.num(5, "beta");
  float* Y = a.f32(6, "Y", M * N);
  if (!a.ok()) return nullptr;
  sf::eventGemm(M, N, K, X, Wt, beta, Y);
  return nullptr;
}

// eventGemmGradW(M, N, K, dY, X, dW)
napi_value EventGemmGradW(napi_env env, napi_callback_info info) {
  Args a(env, info, "eventGemmGradW");
  const idx_t M = a.dim(0, "M"), N = a.dim(1, "N"), K = a.dim(2, "K");
  const float* dY = a.f32(3, "dY", M * N);
  const float* X = a.f32(4, "X", M * K);
  float* dW = a.f32(5, "dW", N * K);
  if (!a.ok()) return nullptr;
  sf::eventGemmGradW(M, N, K, dY, X, dW);
  return nullptr;
}

// LIF config travels as one Float64Array (see LIF_CFG_* in src/backend/native/neuron.ts):
// [T, B, F, resetMode, delayedReset, detachReset, inputLeak, vReset, betaPerNeuron, thresholdPerNeuron, surrogate, p0, p1]
bool readLifCfg(Args& a, size_t i, sf::LifCfg& c) {
  const double* v = a.array<double>(i, "cfg", napi_float64_array, 13);
  if (!a.ok()) return false;
  for (int k = 0; k < 3; k++)
    if (!(v[k] >= 0 && v[k] == static_cast<double>(static_cast<idx_t>(v[k])))) {
      a.fail("T, B and F must be non-negative integers");
      return false;
    }
  c.T = static_cast<idx_t>(v[0]);
  c.B = static_cast<idx_t>(v[1]);
  c.F = static_cast<idx_t>(v[2]);
  c.resetMode = static_cast<int>(v[3]);
  c.delayedReset = v[4] != 0;
  c.detachReset = v[5] != 0;
  c.inputLeak = v[6] != 0;
  c.vReset = v[7];
  c.betaPerNeuron = v[8] != 0;
  c.thresholdPerNeuron = v[9] != 0;
  c.surrogate = static_cast<int>(v[10]);
  c.p0 = v[11];
  c.p1 = v[12];
  if (c.resetMode < 0 || c.resetMode > 3) a.fail("unknown reset mode " + std::to_string(c.resetMode));
  else if (!sf::lifSurrogateSupported(c.surrogate)) a.fail("unknown surrogate id " + std::to_string(c.surrogate));
  return a.ok();
}

// Reads the forward arrays at positions i0..i0+7: x, v0, beta, threshold, spikes, mask, h, v.
void readLifForwardIO(Args& a, size_t i0, const sf::LifCfg& c, sf::LifIO& io) {
  const idx_t N = c.B * c.F, TN = c.T * N;
  io.x = a.f32(i0, "x", TN);
  io.v0 = a.f32(i0 + 1, "v0", N);
  io.beta = a.f32(i0 + 2, "beta", c.betaPerNeuron ? c.F : 1);
  io.threshold = a.f32(i0 + 3, "threshold", c.thresholdPerNeuron ? c.F : 1);
  io.spikes = a.f32(i0 + 4, "spikes", TN);
  io.mask = a.array<std::uint8_t>(i0 + 5, "mask", napi_uint8_array, TN);
  io.h = a.f32(i0 + 6, "h", TN);
  io.v = a.f32(i0 + 7, "v", TN, true);
  if (a.ok() && !c.delayedReset && c.resetMode != 0 && !io.v) a.fail("v is required under a same-step reset");
}

// lifForward(cfg, x, v0, beta, threshold, spikes, mask, h, v)
napi_value LifForward(napi_env env, napi_callback_info info) {
  Args a(env, info, "lifForward");
  sf::LifCfg c{};
  sf::LifIO io{};
  if (!readLifCfg(a, 0, c)) return nullptr;
  readLifForwardIO(a, 1, c, io);
  if (!a.ok()) return nullptr;
  sf::lifForward(c, io);
  return nullptr;
}

// lifBackward(cfg, x, v0, beta, threshold, spikes, mask, h, v, gSpikes, gMem, dx, dv0, dBeta, dThreshold)
napi_value LifBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, "lifBackward");
  sf::LifCfg c{};
  sf::LifIO io{};
  if (!readLifCfg(a, 0, c)) return nullptr;
  readLifForwardIO(a, 1, c, io);
  const idx_t N = c.B * c.F, TN = c.T * N;
  io.gSpikes = a.f32(9, "gSpikes", TN, true);
  io.gMem = a.f32(10, "gMem", TN, true);
  io.dx = a.f32(11, "dx", TN, true);
  io.dv0 = a.f32(12, "dv0", N, true);
  io.dBeta = a.f32(13, "dBeta", c.betaPerNeuron ? c.F : 1, true);
  io.dThreshold = a.f32(14, "dThreshold", c.thresholdPerNeuron ? c.F : 1, true);
  if (!a.ok()) return nullptr;
  sf::lifBackward(c, io);
  return nullptr;
}

// sgdStep(param, grad, buf | null, [lr, momentum, dampening, weightDecay, nesterov, initBuf])
napi_value SgdStep(napi_env env, napi_callback_info info) {
  Args a(env, info, "sgdStep");
  float* p = a.f32(0, "param", 0);
  const idx_t n = a.lastLength();
  const float* g = a.f32(1, "grad", n);
  float* buf = a.f32(2, "buf", n, true);
  const double* h = a.array<double>(3, "hyper", napi_float64_array, 6);
  if (!a.ok()) return nullptr;
  const sf::SgdArgs s{h[0], h[1], h[2], h[3], h[4] != 0, h[5] != 0};
  sf::sgdStep(n, p, g, buf, s);
  return nullptr;
}

// adamStep(param, grad, m, v, vMax | null, [beta1, beta2, eps, weightDecay, stepSize, bc2Sqrt, decay, decoupled])
napi_value AdamStep(napi_env env, napi_callback_info info) {
  Args a(env, info, "adamStep");
  float* p = a.f32(0, "param", 0);
  const idx_t n = a.lastLength();
  const float* g = a.f32(1, "grad", n);
  float* m = a.f32(2, "m", n);
  float* v = a.f32(3, "v", n);
  float* vMax = a.f32(4, "vMax", n, true);
  const double* h = a.array<double>(5, "hyper", napi_float64_array, 8);
  if (!a.ok()) return nullptr;
  const sf::AdamArgs s{h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7] != 0};
  sf::adamStep(n, p, g, m, v, vMax, s);
  return nullptr;
}

// add/sub/mul(a, b, out): over out's length.
template <void (*Op)(idx_t, const float*, const float*, float*)>
napi_value Binary(napi_env env, napi_callback_info info) {
  Args a(env, info, "elementwise");
  float* out = a.f32(2, "out", 0);
  const idx_t n = a.lastLength();
  const float* x = a.f32(0, "a", n);
  const float* y = a.f32(1, "b", n);
  if (!a.ok()) return nullptr;
  Op(n, x, y, out);
  return nullptr;
}

// affine(x, alpha, beta, out)
napi_value Affine(napi_env env, napi_callback_info info) {
  Args a(env, info, "affine");
  float* out = a.f32(3, "out", 0);
  const idx_t n = a.lastLength();
  const float* x = a.f32(0, "x", n);
  const double alpha = a.num(1, "alpha"), beta = a.num(2, "beta");
  if (!a.ok()) return nullptr;
  sf::affine(n, x, alpha, beta, out);
  return nullptr;
}

// axpy(alpha, x, y)
napi_value Axpy(napi_env env, napi_callback_info info) {
  Args a(env, info, "axpy");
  float* y = a.f32(2, "y", 0);
  const idx_t n = a.lastLength();
  const double alpha = a.num(0, "alpha");
  const float* x = a.f32(1, "x", n);
  if (!a.ok()) return nullptr;
  sf::axpy(n, alpha, x, y);
  return nullptr;
}

// addRowVector(M, N, Y, b)
napi_value AddRowVector(napi_env env, napi_callback_info info) {
  Args a(env, info, "addRowVector");
  const idx_t M = a.dim(0, "M"), N = a.dim(1, "N");
  float* Y = a.f32(2, "Y", M * N);
  const float* b = a.f32(3, "b", N);
  if (!a.ok()) return nullptr;
  sf::addRowVector(M, N, Y, b);
  return nullptr;
}

// sumRows(M, N, X, beta, out)
napi_value SumRows(napi_env env, napi_callback_info info) {
  Args a(env, info, "sumRows");
  const idx_t M = a.dim(0, "M"), N = a.dim(1, "N");
  const float* X = a.f32(2, "X", M * N);
  const double beta = a.num(3, "beta");
  float* out = a.f32(4, "out", N);
  if (!a.ok()) return nullptr;
  sf::sumRows(M, N, X, beta, out);
  return nullptr;
}

// countNonzero(x) → number
napi_value CountNonzero(napi_env env, napi_callback_info info) {
  Args a(env, info, "countNonzero");
  const float* x = a.f32(0, "x", 0);
  if (!a.ok()) return nullptr;
  return numberValue(env, static_cast<double>(sf::countNonzero(a.lastLength(), x)));
}

// transpose(M, N, A, out)
napi_value Transpose(napi_env env, napi_callback_info info) {
  Args a(env, info, "transpose");
  const idx_t M = a.dim(0, "M"), N = a.dim(1, "N");
  const float* A = a.f32(2, "A", M * N);
  float* out = a.f32(3, "out", M * N);
  if (!a.ok()) return nullptr;
  sf::transpose(M, N, A, out);
  return nullptr;
}

// ---- Convolution family (kernels/native/conv.cc) ----

// Sizes and offsets stay below 2^53 (the largest exact JS integer), so sums of
// a few of them never overflow idx_t.
constexpr idx_t kMaxExact = idx_t(1) << 53;

// Product of sizes; throws (once) when it would pass 2^53.
idx_t product(Args& a, std::initializer_list<idx_t> xs) {
  idx_t p = 1;
  for (const idx_t x : xs) {
    if (x != 0 && p > kMaxExact / x) {
      a.fail("sizes are too large (an index would pass 2^53)");
      return 0;
    }
    p *= x;
  }
  return p;
}

// Elements needed from offset off to hold `count` elements (nothing when count is 0).
idx_t span(idx_t off, idx_t count) { return count > 0 ? off + count : 0; }

// The WindowGeometry packed by src/backend/native/conv.ts:
// [H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo].
bool readWindow(Args& a, size_t i, sf::Window& g) {
  const double* v = a.array<double>(i, "geometry", napi_float64_array, 12);
  if (!a.ok()) return false;
  static const char* const names[12] = {"H", "W", "kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "Ho", "Wo"};
  idx_t f[12];
  for (int k = 0; k < 12; k++) {
    if (!(v[k] >= 0 && v[k] <= static_cast<double>(kMaxExact) && v[k] == std::floor(v[k]))) {
      a.fail(std::string("geometry.") + names[k] + " must be a non-negative integer");
      return false;
    }
    f[k] = static_cast<idx_t>(v[k]);
  }
  g = sf::Window{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11]};
  if (g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1) {
    a.fail("geometry strides and dilations must be at least 1");
    return false;
  }
  // Bounds every intermediate index the kernels form (oh·sh + i·dh − ph, ...).
  product(a, {g.Ho, g.sh});
  product(a, {g.Wo, g.sw});
  product(a, {g.kh, g.dh});
  product(a, {g.kw, g.dw});
  product(a, {g.H, g.W});
  product(a, {g.kh, g.kw});
  return a.ok();
}

// Elements of one image block touched by channels [c0, c0+cg) of n images from off.
struct ImageSpan {
  idx_t cols, images;
};

// Shared argument checks of im2col / col2im: the cols block and the image range.
ImageSpan im2colSpan(Args& a, const sf::Window& g, idx_t C, idx_t c0, idx_t cg, idx_t n, idx_t off) {
  if (a.ok() && (c0 > C || cg > C - c0)) a.fail("channels [c0, c0 + cg) must lie within [0, C)");
  const idx_t plane = product(a, {g.H, g.W});
  const idx_t img = product(a, {C, plane});
  const idx_t cols = product(a, {cg, g.kh, g.kw, n, g.Ho, g.Wo});
  const idx_t images = cols > 0 && plane > 0 ? off + product(a, {n - 1, img}) + (c0 + cg) * plane : 0;
  return {cols, images};
}

// im2col(geometry, C, c0, cg, n, x, xOff, cols)
napi_value Im2col(napi_env env, napi_callback_info info) {
  Args a(env, info, "im2col");
  sf::Window g{};
  if (!readWindow(a, 0, g)) return nullptr;
  const idx_t C = a.dim(1, "C"), c0 = a.dim(2, "c0"), cg = a.dim(3, "cg"), n = a.dim(4, "n"), xOff = a.dim(6, "xOff");
  const ImageSpan need = im2colSpan(a, g, C, c0, cg, n, xOff);
  const float* x = a.f32(5, "x", need.images);
  float* cols = a.f32(7, "cols", need.cols);
  if (!a.ok() || need.cols == 0) return nullptr;  // nothing to do, and x + xOff may lie past an empty array
  sf::im2col(g, C, c0, cg, n, x + xOff, cols);
  return nullptr;
}

// col2im(geometry, C, c0, cg, n, cols, dx, dxOff)
napi_value Col2im(napi_env env, napi_callback_info info) {
  Args a(env, info, "col2im");
  sf::Window g{};
  if (!readWindow(a, 0, g)) return nullptr;
  const idx_t C = a.dim(1, "C"), c0 = a.dim(2, "c0"), cg = a.dim(3, "cg"), n = a.dim(4, "n"), dxOff = a.dim(7, "dxOff");
  const ImageSpan need = im2colSpan(a, g, C, c0, cg, n, dxOff);
  const float* cols = a.f32(5, "cols", need.cols);
  float* dx = a.f32(6, "dx", need.images);
  if (!a.ok() || need.cols == 0) return nullptr;
  sf::col2im(g, C, c0, cg, n, cols, dx + dxOff);
  return nullptr;
}

// swapAxes01(A, B, inner, src, srcOff, dst, dstOff)
napi_value SwapAxes01(napi_env env, napi_callback_info info) {
  Args a(env, info, "swapAxes01");
  const idx_t A = a.dim(0, "A"), B = a.dim(1, "B"), inner = a.dim(2, "inner");
  const idx_t srcOff = a.dim(4, "srcOff"), dstOff = a.dim(6, "dstOff");
  const idx_t total = product(a, {A, B, inner});
  const float* src = a.f32(3, "src", span(srcOff, total));
  float* dst = a.f32(5, "dst", span(dstOff, total));
  if (!a.ok() || total == 0) return nullptr;
  sf::swapAxes01(A, B, inner, src + srcOff, dst + dstOff);
  return nullptr;
}

// Reads N, C, P at positions 0..2; returns N·C·P.
idx_t readNCP(Args& a, idx_t& N, idx_t& C, idx_t& P) {
  N = a.dim(0, "N");
  C = a.dim(1, "C");
  P = a.dim(2, "P");
  return product(a, {N, C, P});
}

// addChannelBias(N, C, P, y, yOff, bias)
napi_value AddChannelBias(napi_env env, napi_callback_info info) {
  Args a(env, info, "addChannelBias");
  idx_t N, C, P;
  const idx_t total = readNCP(a, N, C, P);
  const idx_t yOff = a.dim(4, "yOff");
  float* y = a.f32(3, "y", span(yOff, total));
  const float* bias = a.f32(5, "bias", C);
  if (!a.ok() || total == 0) return nullptr;
  sf::addChannelBias(N, C, P, y + yOff, bias);
  return nullptr;
}

// channelSums(N, C, P, x, out)
napi_value ChannelSums(napi_env env, napi_callback_info info) {
  Args a(env, info, "channelSums");
  idx_t N, C, P;
  const idx_t total = readNCP(a, N, C, P);
  const float* x = a.f32(3, "x", total);
  float* out = a.f32(4, "out", C);
  if (!a.ok()) return nullptr;
  sf::channelSums(N, C, P, x, out);
  return nullptr;
}

// channelMoments(N, C, P, x, mean, variance)
napi_value ChannelMoments(napi_env env, napi_callback_info info) {
  Args a(env, info, "channelMoments");
  idx_t N, C, P;
  const idx_t total = readNCP(a, N, C, P);
  const float* x = a.f32(3, "x", total);
  float* mean = a.f32(4, "mean", C);
  float* variance = a.f32(5, "variance", C);
  if (!a.ok()) return nullptr;
  sf::channelMoments(N, C, P, x, mean, variance);
  return nullptr;
}

// channelCenteredDot(N, C, P, dy, x, mean, sumDy, sumDyXc)
napi_value ChannelCenteredDot(napi_env env, napi_callback_info info) {
  Args a(env, info, "channelCenteredDot");
  idx_t N, C, P;
  const idx_t total = readNCP(a, N, C, P);
  const float* dy = a.f32(3, "dy", total);
  const float* x = a.f32(4, "x", total);
  const float* mean = a.f32(5, "mean", C);
  float* sumDy = a.f32(6, "sumDy", C);
  float* sumDyXc = a.f32(7, "sumDyXc", C);
  if (!a.ok()) return nullptr;
  sf::channelCenteredDot(N, C, P, dy, x, mean, sumDy, sumDyXc);
  return nullptr;
}

// channelAffine(N, C, P, x, a, b, y)
napi_value ChannelAffine(napi_env env, napi_callback_info info) {
  Args a(env, info, "channelAffine");
  idx_t N, C, P;
  const idx_t total = readNCP(a, N, C, P);
  const float* x = a.f32(3, "x", total);
  const float* ca = a.f32(4, "a", C);
  const float* cb = a.f32(5, "b", C);
  float* y = a.f32(6, "y", total);
  if (!a.ok()) return nullptr;
  sf::channelAffine(N, C, P, x, ca, cb, y);
  return nullptr;
}

// channelAffine2(N, C, P, u, v, a, b, k, y)
napi_value ChannelAffine2(napi_env env, napi_callback_info info) {
  Args a(env, info, "channelAffine2");
  idx_t N, C, P;
  const idx_t total = readNCP(a, N, C, P);
  const float* u = a.f32(3, "u", total);
  const float* v = a.f32(4, "v", total);
  const float* ca = a.f32(5, "a", C);
  const float* cb = a.f32(6, "b", C);
  const float* ck = a.f32(7, "k", C);
  float* y = a.f32(8, "y", total);
  if (!a.ok()) return nullptr;
  sf::channelAffine2(N, C, P, u, v, ca, cb, ck, y);
  return nullptr;
}

// mulBroadcast(R, N, x, v, y)
napi_value MulBroadcast(napi_env env, napi_callback_info info) {
  Args a(env, info, "mulBroadcast");
  const idx_t R = a.dim(0, "R"), N = a.dim(1, "N");
  const idx_t total = product(a, {R, N});
  const float* x = a.f32(2, "x", total);
  const float* v = a.f32(3, "v", N);
  float* y = a.f32(4, "y", total);
  if (!a.ok()) return nullptr;
  sf::mulBroadcast(R, N, x, v, y);
  return nullptr;
}

// Mode id (0 max, 1 avg, 2 sum; POOL_MODE_IDS in src/backend/native/conv.ts).
sf::PoolMode readPoolMode(Args& a, size_t i) {
  const idx_t m = a.dim(i, "mode");
  if (a.ok() && m > 2) a.fail("mode must be 0 (max), 1 (avg) or 2 (sum), got " + std::to_string(m));
  return static_cast<sf::PoolMode>(m);
}

struct PoolSizes {
  idx_t planes, in, out;  // planes, and elements of all input / output planes
};

// Shared head of pool2d / pool2dBackward: (mode, geometry, planes, countIncludePad).
bool readPoolHead(Args& a, sf::PoolMode& mode, sf::Window& g, PoolSizes& z, bool& countIncludePad) {
  mode = readPoolMode(a, 0);
  if (!a.ok() || !readWindow(a, 1, g)) return false;
  z.planes = a.dim(2, "planes");
  countIncludePad = a.flag(3, "countIncludePad");
  z.in = product(a, {z.planes, g.H, g.W});
  z.out = product(a, {z.planes, g.Ho, g.Wo});
  return a.ok();
}

// pool2d(mode, geometry, planes, countIncludePad, x, y, argmax | null)
napi_value Pool2d(napi_env env, napi_callback_info info) {
  Args a(env, info, "pool2d");
  sf::PoolMode mode;
  sf::Window g{};
  PoolSizes z{};
  bool cip = false;
  if (!readPoolHead(a, mode, g, z, cip)) return nullptr;
  const float* x = a.f32(4, "x", z.in);
  float* y = a.f32(5, "y", z.out);
  float* argmax = a.f32(6, "argmax", z.out, true);
  if (a.ok() && mode == sf::PoolMode::max && !argmax) a.fail("argmax is required in max mode");
  if (!a.ok()) return nullptr;
  sf::pool2d(mode, g, z.planes, cip, x, y, argmax);
  return nullptr;
}

// pool2dBackward(mode, geometry, planes, countIncludePad, dy, argmax | null, dx)
napi_value Pool2dBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, "pool2dBackward");
  sf::PoolMode mode;
  sf::Window g{};
  PoolSizes z{};
  bool cip = false;
  if (!readPoolHead(a, mode, g, z, cip)) return nullptr;
  const float* dy = a.f32(4, "dy", z.out);
  const float* argmax = a.f32(5, "argmax", z.out, true);
  float* dx = a.f32(6, "dx", z.in);
  if (a.ok() && mode == sf::PoolMode::max) {
    if (!argmax) a.fail("argmax is required in max mode");
    else if (!sf::poolArgmaxValid(g, z.planes, argmax)) a.fail("argmax holds an entry that is not a cell index of its plane");
  }
  if (!a.ok()) return nullptr;
  sf::pool2dBackward(mode, g, z.planes, cip, dy, argmax, dx);
  return nullptr;
}

// info() → { isa, detectedIsa, threads }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "isa", stringValue(env, sf::isaName(sf::activeIsa())));
  napi_set_named_property(env, o, "detectedIsa", stringValue(env, sf::isaName(sf::detectIsa())));
  napi_set_named_property(env, o, "threads", numberValue(env, sf::gemmThreads()));
  return o;
}

// setIsa('avx512' | 'avx2' | 'scalar') → the set now active (never above what the CPU has).
napi_value SetIsa(napi_env env, napi_callback_info info) {
  Args a(env, info, "setIsa");
  char buf[16] = {0};
  size_t len = 0;
  napi_value arg;
  size_t argc = 1;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  if (argc < 1 || napi_get_value_string_utf8(env, arg, buf, sizeof buf, &len) != napi_ok) {
    a.fail("expects 'avx512', 'avx2' or 'scalar'");
    return nullptr;
  }
  const std::string s(buf, len);
  sf::Isa want;
  if (s == "avx512") want = sf::Isa::avx512;
  else if (s == "avx2") want = sf::Isa::avx2;
  else if (s == "scalar") want = sf::Isa::scalar;
  else {
    a.fail("unknown instruction set '" + s + "' (avx512, avx2, scalar)");
    return nullptr;
  }
  return stringValue(env, sf::isaName(sf::setIsa(want)));
}

// setThreads(n) → threads now used by GEMM (1 or 2).
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a(env, info, "setThreads");
  const idx_t n = a.dim(0, "n");
  if (!a.ok()) return nullptr;
  sf::setGemmThreads(static_cast<int>(n > 2 ? 2 : n));
  return numberValue(env, sf::gemmThreads());
}

// setErrorClass(ctor): errors are thrown as `new ctor(message)` from then on.
napi_value SetErrorClass(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value ctor;
  napi_get_cb_info(env, info, &argc, &ctor, nullptr, nullptr);
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, ctor, &t);
  if (t != napi_function) {
    napi_throw_type_error(env, nullptr, "setErrorClass expects a constructor");
    return nullptr;
  }
  EnvData* d = nullptr;
  napi_get_instance_data(env, reinterpret_cast<void**>(&d));
  if (!d) return nullptr;
  if (d->errorClass) napi_delete_reference(env, d->errorClass);
  napi_create_reference(env, ctor, 1, &d->errorClass);
  return nullptr;
}

void finalizeEnvData(napi_env env, void* data, void*) {
  EnvData* d = static_cast<EnvData*>(data);
  if (d->errorClass) napi_delete_reference(env, d->errorClass);
  delete d;
}

// The GEMM worker thread is shared by every environment that loaded the
// addon; the last one to shut down joins it, so process exit never waits on it.
void envCleanup(void*) {
  if (--liveEnvs == 0) sf::stopPool();
}

}  // namespace

NAPI_MODULE_INIT() {
  EnvData* d = new EnvData();
  napi_set_instance_data(env, d, finalizeEnvData, nullptr);
  ++liveEnvs;
  napi_add_env_cleanup_hook(env, envCleanup, nullptr);
  const napi_property_descriptor props[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"eventGemm", nullptr, EventGemm, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"eventGemmGradW", nullptr, EventGemmGradW, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lifForward", nullptr, LifForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lifBackward", nullptr, LifBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sgdStep", nullptr, SgdStep, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"adamStep", nullptr, AdamStep, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"add", nullptr, Binary<sf::add>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sub", nullptr, Binary<sf::sub>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"mul", nullptr, Binary<sf::mul>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"affine", nullptr, Affine, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"axpy", nullptr, Axpy, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"addRowVector", nullptr, AddRowVector, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sumRows", nullptr, SumRows, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"countNonzero", nullptr, CountNonzero, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"transpose", nullptr, Transpose, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"im2col", nullptr, Im2col, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"col2im", nullptr, Col2im, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"swapAxes01", nullptr, SwapAxes01, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"addChannelBias", nullptr, AddChannelBias, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"channelSums", nullptr, ChannelSums, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"channelMoments", nullptr, ChannelMoments, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"channelCenteredDot", nullptr, ChannelCenteredDot, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"channelAffine", nullptr, ChannelAffine, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"channelAffine2", nullptr, ChannelAffine2, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"mulBroadcast", nullptr, MulBroadcast, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"pool2d", nullptr, Pool2d, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"pool2dBackward", nullptr, Pool2dBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setIsa", nullptr, SetIsa, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setErrorClass", nullptr, SetErrorClass, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
