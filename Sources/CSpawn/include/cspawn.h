// CSpawn: spawning a script for the agent, in C because the child between fork and execve may only make
// async-signal-safe calls, which Swift cannot promise. No logic beyond that.
#ifndef SC_CSPAWN_H
#define SC_CSPAWN_H

#include <sys/types.h>

/// Forks and, in the child: moves it into its own process group (`setpgid(0, 0)`), clears ambient
/// capabilities (`PR_CAP_AMBIENT_CLEAR_ALL`), asks for SIGTERM when the parent thread dies
/// (`PR_SET_PDEATHSIG`), resets signal dispositions and the signal mask, reads stdin from /dev/null, sends
/// stdout and stderr into one pipe, closes every other descriptor, then `execve(path, argv, envp)`.
///
/// `argv` and `envp` are NULL-terminated. On success returns 0 with `*pid` set and `*output_fd` the
/// non-blocking, close-on-exec read end of the pipe (the caller closes it). On failure returns `-errno`,
/// including the errno of a failed `execve` or child set-up step (the child is reaped before returning).
int cspawn_spawn(const char *path, char *const argv[], char *const envp[], pid_t *pid, int *output_fd);

/// `pidfd_open(pid, 0)`: a descriptor that polls readable once `pid` exits, or `-errno`.
int cspawn_pidfd_open(pid_t pid);

/// Whether `pid` (a child) has exited, without reaping it (`waitid(WEXITED | WNOHANG | WNOWAIT)`): 1, 0, or
/// `-errno`. While unreaped the pid, and so its process group id, cannot be reused.
int cspawn_has_exited(pid_t pid);

/// Reaps `pid` (`waitpid`, retrying EINTR): `*exit_code` is the exit status or -1, `*signal` the terminating
/// signal or 0. Returns 0 or `-errno`.
int cspawn_reap(pid_t pid, int *exit_code, int *signal);

#endif
