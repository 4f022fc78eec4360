setlocal ENABLEDELAYEDEXPANSION
set CMAKE_GENERATOR="Visual Studio 17 2022"
set PYTHON_VERSION=%1
if "%PYTHON_VERSION%"=="" set PYTHON_VERSION=3.12
FOR %%V IN (32,64) DO (
    set TARGET_PLATFORM="x64"
    if "%%V"=="32" (
        set TARGET_PLATFORM="Win32"
    )
    cmake -G %CMAKE_GENERATOR% -A !TARGET_PLATFORM! -DBUILD_SHARED_LIBS=yes -S google_crc32c -B build
    cmake --build build --config Release --target install
    py -%PYTHON_VERSION%-%%V -m pip wheel . --wheel-dir wheels/
)
