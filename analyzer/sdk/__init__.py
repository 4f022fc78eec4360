"""A Windows CPython SDK for ARM64 (headers, the Windows ``pyconfig.h`` and import
libraries), made from sources this machine can reach; see docs/prove.md."""
