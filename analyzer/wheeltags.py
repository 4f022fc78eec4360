"""The wheel platform tags the CI model, its rules and the verdict distinguish: ground
floor (imports nothing), so that naming them loads no CI code."""

WIN_ARM64 = "win_arm64"
WIN_AMD64 = "win_amd64"
WIN32 = "win32"
