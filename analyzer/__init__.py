"""woaport: a native-code compatibility static analyzer for Windows on Arm."""

__version__ = "0.1.0"
