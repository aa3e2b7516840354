# How every target of the project is compiled: ccache when installed, and the precompiled
# headers of base/ reused by each C++ target. Included by the root CMakeLists.txt.

# ccache (installed by scripts/setup.sh) caches compilations across clean builds. Depend mode
# hashes the headers the compiler's own -MD output lists instead of running the preprocessor
# first, which on a cache miss would cost a second pass over every header (the precompiled
# ones included). The sloppiness lets it cache translation units that use the precompiled
# headers: GCC's PCH embeds no timestamps that matter here.
option(AGENTD_CCACHE "Compile through ccache when it is installed" ON)
find_program(AGENTD_CCACHE_PROGRAM ccache)
if(AGENTD_CCACHE AND AGENTD_CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(launcher ${CMAKE_COMMAND} -E env CCACHE_DEPEND=1
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      ${AGENTD_CCACHE_PROGRAM})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${launcher})
  set(CMAKE_C_COMPILER_LAUNCHER ${launcher})
  message(STATUS "agentd: compiling through ${AGENTD_CCACHE_PROGRAM}")
endif()

option(AGENTD_PCH "Use the precompiled headers of base/ (pch_asio.h, pch_beast.h)" ON)

# Every target in `dir` and the directories below it.
function(agentd_targets_below dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    agentd_targets_below(${subdir} below)
    list(APPEND targets ${below})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

# Gives each static library and executable that compiles C++ with the project's own flags a
# precompiled header: pch_beast for targets that set the property AGENTD_PCH to "beast",
# pch_asio for the rest. Shared libraries (position-independent code) and sanitizer builds
# (other flags) compile without one: a PCH built with other flags would be refused.
function(agentd_use_pch_everywhere)
  if(NOT AGENTD_PCH OR AGENTD_FUZZ)
    return()
  endif()
  # GCC 12 does not keep '#pragma GCC diagnostic' state in a precompiled header (fixed in GCC
  # 13), so the three warnings that libstdc++'s char_traits.h turns off around its memcpy
  # (false positives in std::string's operator+, GCC PR 105651) come back as errors. Off for
  # precompiled targets, as libstdc++ itself has them.
  set(pch_warning_fixes)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    set(pch_warning_fixes -Wno-array-bounds -Wno-stringop-overflow -Wno-stringop-overread)
  endif()
  agentd_targets_below(${PROJECT_SOURCE_DIR} targets)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    # base/ compiles Asio and Beast themselves, which a PCH of their headers would preempt.
    if(NOT type MATCHES "^(STATIC_LIBRARY|EXECUTABLE)$" OR target MATCHES "^(pch_|base)")
      continue()
    endif()
    get_target_property(sources ${target} SOURCES)
    list(FILTER sources INCLUDE REGEX "\\.cc$")
    if(NOT sources)
      continue()
    endif()
    # The headers declare what base/asio.cc defines (its error categories among them).
    target_link_libraries(${target} PRIVATE base)
    target_compile_options(${target} PRIVATE ${pch_warning_fixes})
    get_target_property(flavour ${target} AGENTD_PCH)
    if(flavour STREQUAL "beast")
      target_precompile_headers(${target} REUSE_FROM pch_beast)
    else()
      target_precompile_headers(${target} REUSE_FROM pch_asio)
    endif()
  endforeach()
endfunction()
