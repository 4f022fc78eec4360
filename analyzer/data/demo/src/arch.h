/* An architecture ladder that knows __aarch64__ but not MSVC's _M_ARM64:
   cl.exe for ARM64 falls through to #error. */
#if defined(__aarch64__)
#  define DEMO_ARCH "arm64"
#elif defined(__x86_64__) || defined(_M_X64)
#  define DEMO_ARCH "x64"
#else
#  error "unsupported architecture"
#endif
