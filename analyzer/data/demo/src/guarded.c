/* Correctly guarded: the SSE2 path is only compiled for x86 and x64; ARM64 takes the
   portable loop. Nothing here fails to build on ARM64; woaport only notes (perf) that
   ARM64 has no NEON path. */
#if defined(__x86_64__) || defined(_M_X64) || defined(_M_IX86)
#include <emmintrin.h>
int add4(const int *v) { __m128i x = _mm_loadu_si128((const __m128i *)v); return _mm_cvtsi128_si32(x); }
#else
int add4(const int *v) { return v[0] + v[1] + v[2] + v[3]; }
#endif
