// g++ reports -Wmismatched-new-delete for the frames of Asio's coroutines, whose operator new
// and operator delete are a matching pair (GCC PR 109224; reported against g++ 12, 13 and 14
// and still open, so the guard has no upper version: only g++ 12.2 is checked here, where the
// files that use these macros fail to build without them). Only those files use them, around
// their coroutines, so the warning stays on everywhere else:
//
//   AGENTD_COROUTINE_FRAMES_BEGIN
//   asio::awaitable<void> run() { ... }
//   AGENTD_COROUTINE_FRAMES_END
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define AGENTD_COROUTINE_FRAMES_BEGIN \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmismatched-new-delete\"")
#define AGENTD_COROUTINE_FRAMES_END _Pragma("GCC diagnostic pop")
#else
#define AGENTD_COROUTINE_FRAMES_BEGIN
#define AGENTD_COROUTINE_FRAMES_END
#endif
