"""The wheel platform tags the CI model, its rules and the verdict distinguish, and the
PEP 508 marker values of CPython on Windows ARM64: ground floor (imports nothing), so that
naming them loads no CI or index code."""

WIN_ARM64 = "win_arm64"
WIN_AMD64 = "win_amd64"
WIN32 = "win32"


def windows_arm64_markers(python: str) -> dict[str, str]:
    """PEP 508 marker values as CPython ``python`` (X.Y, or X.Yt free-threaded) on Windows
    ARM64 sees them: for the requirements a build there installs."""
    version = python.rstrip("t")
    return {
        "os_name": "nt",
        "sys_platform": "win32",
        "platform_system": "Windows",
        "platform_machine": "ARM64",
        "platform_release": "11",
        "platform_version": "10.0.26100",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "python_version": version,
        "python_full_version": f"{version}.0",
        "implementation_version": f"{version}.0",
        "extra": "",
    }
