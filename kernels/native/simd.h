// Instruction-set selection shared by the kernels. The addon is compiled
// without -march flags so one binary runs on any x86-64 (or other) CPU; the
// SIMD kernels carry per-function target attributes and are chosen at run time.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SF_X86 1
#include <immintrin.h>
#define SF_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define SF_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define SF_X86 0
#endif

// target_clones needs ifunc (glibc ELF); elsewhere loops compile once, portably.
#if SF_X86 && defined(__linux__) && !defined(__clang__)
#define SF_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SF_CLONES
#endif

namespace sf {

enum class Isa { scalar = 0, avx2 = 1, avx512 = 2 };

// The widest instruction set this CPU (and OS) supports.
Isa detectIsa();
// The set the kernels use now (detected, or lowered for tests via setIsa).
Isa activeIsa();
// Lower the active set (never raise it above what the CPU supports); returns the result.
Isa setIsa(Isa wanted);
const char* isaName(Isa isa);

}  // namespace sf
