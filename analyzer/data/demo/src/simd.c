/* Unguarded SSE: does not compile for any Windows ARM64 target. */
#include <emmintrin.h>

int sum4(const int *v)
{
    __m128i x = _mm_loadu_si128((const __m128i *)v);
    x = _mm_add_epi32(x, _mm_srli_si128(x, 8));
    x = _mm_add_epi32(x, _mm_srli_si128(x, 4));
    return _mm_cvtsi128_si32(x);
}
