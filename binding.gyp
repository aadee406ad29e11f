{
  # The native backend's addon (src/backend/native). Built portable: no -march
  # flag; the AVX2/AVX-512 kernels carry per-function target attributes and are
  # picked at run time. -ffp-contract=off keeps the compiler from fusing a·b + c
  # in the kernels that must round exactly like the TypeScript reference.
  "targets": [
    {
      "target_name": "spikeflow_native",
      "sources": [
        "kernels/native/addon.cc",
        "kernels/native/simd.cc",
        "kernels/native/threads.cc",
        "kernels/native/gemm.cc",
        "kernels/native/gemm_kernels.cc",
        "kernels/native/gemm_small.cc",
        "kernels/native/event.cc",
        "kernels/native/lif.cc",
        "kernels/native/multilevel.cc",
        "kernels/native/train.cc",
        "kernels/native/elementwise.cc",
        "kernels/native/conv.cc",
        "kernels/native/conv_event.cc",
        "kernels/native/delay.cc",
        "kernels/native/attention.cc",
        "kernels/native/rwkv.cc",
        "kernels/native/rwkv_mix.cc",
        "kernels/native/surrogate_eval.cc"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-pthread"],
      "cflags_cc": ["-std=gnu++17"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-O3", "-ffp-contract=off", "-fno-math-errno"],
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17"
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "AdditionalOptions": ["/std:c++17", "/O2", "/fp:precise"] }
      }
    }
  ]
}
