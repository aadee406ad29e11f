// N-API entry points. Every function receives the JavaScript Float32Arrays of
// the tensors' storages and computes in place on their memory (no copies),
// after checking element types and bounds so a wrong call throws instead of
// writing outside an array. The kernel wrappers are generated from
// kernels/manifest.mjs into addon.generated.h (as is the TypeScript side,
// src/backend/native/addon.generated.ts); this file keeps the argument reader,
// the error plumbing, the helpers the manifest's checks call, the control
// functions and the module registration.
#include <node_api.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string>

#include "attention.h"
#include "conv.h"
#include "conv_event.h"
#include "delay.h"
#include "elementwise.h"
#include "event.h"
#include "gemm.h"
#include "lif.h"
#include "multilevel.h"
#include "rwkv.h"
#include "rwkv_mix.h"
#include "simd.h"
#include "surrogate_eval.h"
#include "surrogates.generated.h"
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

// ---- Readers of structured arguments (the generated read<Struct> call them) ----

// A struct field that must be a size: the same rule as Args::dim, named `arg.field`.
idx_t fieldDim(Args& a, double x, const char* arg, const char* field) {
  if (a.ok() && !(x >= 0 && x <= 9.0e15 && x == static_cast<double>(static_cast<idx_t>(x))))
    a.fail(std::string(arg) + "." + field + " must be a non-negative integer");
  return a.ok() ? static_cast<idx_t>(x) : 0;
}

// A struct field that is an id in [0, below): "unknown <what> <x>" otherwise.
int fieldId(Args& a, double x, int below, const char* what) {
  if (a.ok() && !(x >= 0 && x < below && x == std::floor(x))) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", x);
    a.fail(std::string("unknown ") + what + " " + text);
  }
  return a.ok() ? static_cast<int>(x) : 0;
}

// An enum argument: an integer in [0, count), `choices` spelling them out.
idx_t enumValue(Args& a, size_t i, const char* name, idx_t count, const char* choices) {
  const idx_t m = a.dim(i, name);
  if (a.ok() && m >= count) a.fail(std::string(name) + " must be " + choices + ", got " + std::to_string(m));
  return m;
}

// ---- Convolution family helpers (kernels/native/conv.cc) ----

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

// Synapse lists of the integer-delay path: rowPtr rises from 0 within cols, every col is below O
// (so the kernel's scatter stays inside its accumulator).
bool validSynapses(const std::int32_t* rowPtr, idx_t rows, const std::int32_t* cols, idx_t nSyn, idx_t O) {
  if (rowPtr[0] != 0) return false;
  for (idx_t r = 0; r < rows; r++)
    if (rowPtr[r + 1] < rowPtr[r]) return false;
  if (rowPtr[rows] > nSyn) return false;
  for (idx_t j = 0; j < rowPtr[rows]; j++)
    if (cols[j] < 0 || cols[j] >= O) return false;
  return true;
}

// What the fields of a Window must satisfy together (called by the generated readWindow).
bool validWindow(Args& a, const sf::Window& g) {
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

// Element counts of a whole-batch convolution's x [N, Cin, H, W], w [Cout, Cin/groups, kh, kw]
// and y [N, Cout, Ho, Wo], after checking that groups divides both channel counts.
struct ConvSizes {
  idx_t in, w, out;
};

ConvSizes convSizes(Args& a, const sf::Window& g, idx_t N, idx_t Cin, idx_t Cout, idx_t groups) {
  if (a.ok() && (groups < 1 || Cin % groups != 0 || Cout % groups != 0))
    a.fail("groups must be at least 1 and divide Cin and Cout");
  if (!a.ok()) return {0, 0, 0};
  return {product(a, {N, Cin, g.H, g.W}), product(a, {Cout, Cin / groups, g.kh, g.kw}), product(a, {N, Cout, g.Ho, g.Wo})};
}

// ---- Control functions (hand-written: no arrays to check) ----

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

// ---- The kernels: wrappers generated from kernels/manifest.mjs ----
#include "addon.generated.h"

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
  napi_define_properties(env, exports, sizeof(kFunctions) / sizeof(kFunctions[0]), kFunctions);
  return exports;
}
