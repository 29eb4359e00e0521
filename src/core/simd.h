/*
 * simd.h - QF_WIDE marks a loop over whole arrays to be compiled for AVX-512
 * and AVX2 as well and picked at run time (gcc's target_clones, x86-64).
 *
 * The clones run the same IEEE operations in the same order, only wider,
 * and contraction into fused multiply-adds is off in ISO C mode (-std=c17),
 * so every width gives the same bits: batch kernels built this way still
 * match their scalar streaming twins. The -O2 vectorizer's "very cheap" cost
 * model vectorizes none of these loops (their lengths are not known
 * multiples of the vector width), so CMakeLists.txt compiles the files that
 * use QF_WIDE with -fvect-cost-model=dynamic.
 */
#ifndef QF_CORE_SIMD_H
#define QF_CORE_SIMD_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__STRICT_ANSI__)
#define QF_WIDE __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define QF_WIDE
#endif

#endif
