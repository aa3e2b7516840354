// The translation unit that compiles the precompiled headers (base/CMakeLists.txt).
