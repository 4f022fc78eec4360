"""The native-code engine: source walk, preprocessor structure, #if evaluation, guard
models and rule matching for C, C++, Cython-generated C and Rust."""
