// Shared harness for the hostile programs of the security suite.
//
// Output protocol (read by tests/security/run_case.py), one line each:
//   BLOCKED <attempt>: <errno name or reason>   the attack failed
//   ESCAPED <attempt>: <detail>                 the attack worked: a sandbox bug
//   NOTE <text>                                 context for a human reader
//   RESULT PASS <n> blocked | RESULT FAIL <k> escaped
// A program exits 0 only when every attempt was blocked.
//
// Each attempt runs in a forked child, so a seccomp action that kills (SIGSYS) or a hung call
// blocks only that attempt and the remaining attempts still run and report.
#pragma once

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int hostile_blocked_count;
static int hostile_escaped_count;

// stdout is a pipe to agentbox: line buffering keeps every verdict even if a limit kills us.
__attribute__((constructor)) static void hostile_line_buffered(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline const char* errno_name(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : "E?";
}

__attribute__((format(printf, 2, 3))) static inline void blocked(const char* what, const char* fmt,
                                                                 ...) {
  va_list args;
  va_start(args, fmt);
  printf("BLOCKED %s: ", what);
  vprintf(fmt, args);
  printf("\n");
  va_end(args);
  hostile_blocked_count++;
}

__attribute__((format(printf, 2, 3))) static inline void escaped(const char* what, const char* fmt,
                                                                 ...) {
  va_list args;
  va_start(args, fmt);
  printf("ESCAPED %s: ", what);
  vprintf(fmt, args);
  printf("\n");
  va_end(args);
  hostile_escaped_count++;
}

__attribute__((format(printf, 1, 2))) static inline void note(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  printf("NOTE ");
  vprintf(fmt, args);
  printf("\n");
  va_end(args);
}

static inline int finish(void) {
  if (hostile_escaped_count > 0) {
    printf("RESULT FAIL %d escaped\n", hostile_escaped_count);
    return 1;
  }
  if (hostile_blocked_count == 0) {
    printf("RESULT FAIL nothing was attempted\n");
    return 1;
  }
  printf("RESULT PASS %d blocked\n", hostile_blocked_count);
  return 0;
}

// Host context comes from the runner through --env; a missing one is a runner bug.
static inline const char* need_env(const char* name) {
  const char* value = getenv(name);
  if (!value || !*value) {
    printf("RESULT FAIL environment variable %s not set by the runner\n", name);
    exit(2);
  }
  return value;
}

// How to judge a failed call.
enum attempt_policy {
  ANY_ERROR,         // any failure blocks the attack
  PERMISSION_ERROR,  // only EPERM/EACCES/ENOSYS (or a kill) count: another errno means the
                     // kernel's permission check passed and only the arguments were refused
};

struct attempt_child {
  pid_t pid;
  int result_fd;  // parent: read end; child: write end
};

// Forks; returns 1 in the child (which must call attempt_child_exit) and 0 in the parent.
static inline int attempt_begin(struct attempt_child* child) {
  int fds[2];
  fflush(NULL);
  if (pipe(fds) != 0) {
    printf("RESULT FAIL pipe: %s\n", errno_name(errno));
    exit(2);
  }
  child->pid = fork();
  if (child->pid < 0) {
    printf("RESULT FAIL fork: %s\n", errno_name(errno));
    exit(2);
  }
  if (child->pid == 0) {
    close(fds[0]);
    child->result_fd = fds[1];
    alarm(10);  // a hung call must not hang the whole program
    return 1;
  }
  close(fds[1]);
  child->result_fd = fds[0];
  return 0;
}

// In the child: 0 means the attack succeeded, otherwise the errno that stopped it.
static inline void attempt_child_exit(struct attempt_child* child, int err) {
  ssize_t written = write(child->result_fd, &err, sizeof err);
  _exit(written == (ssize_t)sizeof err ? 0 : 3);
}

static inline int permission_errno(int err) {
  return err == EPERM || err == EACCES || err == ENOSYS;
}

static inline void attempt_end(struct attempt_child* child, const char* what,
                               enum attempt_policy policy) {
  int err = -1;
  int status = 0;
  ssize_t got = read(child->result_fd, &err, sizeof err);
  close(child->result_fd);
  waitpid(child->pid, &status, 0);
  if (got != (ssize_t)sizeof err) {
    if (WIFSIGNALED(status)) {
      blocked(what, "killed by %s", sigabbrev_np(WTERMSIG(status)) ?: "signal");
    } else {
      blocked(what, "attempt died without reporting (status %d)", status);
    }
  } else if (err == 0) {
    escaped(what, "call succeeded");
  } else if (policy == PERMISSION_ERROR && !permission_errno(err)) {
    escaped(what, "permission check passed, failed later with %s", errno_name(err));
  } else {
    blocked(what, "%s", errno_name(err));
  }
}

// ATTEMPT runs `expr` (a call returning -1 with errno on failure) in a child.
#define ATTEMPT_WITH(what, policy, expr)                                            \
  do {                                                                              \
    struct attempt_child attempt_child_;                                            \
    if (attempt_begin(&attempt_child_)) {                                           \
      long attempt_ret_ = (long)(expr);                                             \
      attempt_child_exit(&attempt_child_, attempt_ret_ == -1 ? (errno ?: EIO) : 0); \
    }                                                                               \
    attempt_end(&attempt_child_, (what), (policy));                                 \
  } while (0)

#define ATTEMPT(what, expr) ATTEMPT_WITH(what, ANY_ERROR, expr)
#define ATTEMPT_PERM(what, expr) ATTEMPT_WITH(what, PERMISSION_ERROR, expr)

// ATTEMPT_ERR runs `expr` (returning 0 on success or a positive errno) in a child.
#define ATTEMPT_ERR(what, expr)                      \
  do {                                               \
    struct attempt_child attempt_child_;             \
    if (attempt_begin(&attempt_child_)) {            \
      attempt_child_exit(&attempt_child_, (expr));   \
    }                                                \
    attempt_end(&attempt_child_, (what), ANY_ERROR); \
  } while (0)
