/* "MSVC means x86": __cpuid exists on x86 and x64 only. */
#include "arch.h"
#ifdef _WIN32
#include <intrin.h>
int cpu_features(void) { int info[4]; __cpuid(info, 1); return info[2]; }
#endif
