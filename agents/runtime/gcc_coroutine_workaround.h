// g++ 12 reports -Wmismatched-new-delete for Asio's coroutine frames, whose operator new and
// operator delete are a matching pair (GCC bug 109224, fixed in GCC 13). Included by the
// files whose coroutines trigger it; the warning stays on everywhere else.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
