#define _GNU_SOURCE
#include "cspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

// Child side: report errno on the status pipe and exit. Async-signal-safe only.
static void child_fail(int status_fd, int error) {
    ssize_t ignored = write(status_fd, &error, sizeof error);
    (void)ignored;
    _exit(127);
}

// Marks every descriptor from 3 up close-on-exec: close_range when the kernel has it, else a loop.
static void child_close_others(void) {
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    struct rlimit limit;
    long max = 65536;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && (long)limit.rlim_cur < max)
        max = (long)limit.rlim_cur;
    for (long fd = 3; fd < max; fd++) {
        int flags = fcntl((int)fd, F_GETFD);
        if (flags >= 0) fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

static void child(const char *path, char *const argv[], char *const envp[], int out_fd, int status_fd,
                  pid_t parent) {
    if (setpgid(0, 0) != 0) child_fail(status_fd, errno);
    // EINVAL: a kernel before 4.3, which has no ambient capabilities to clear.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        child_fail(status_fd, errno);
    if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0) child_fail(status_fd, errno);
    if (getppid() != parent) _exit(127);  // the parent died before PDEATHSIG was armed

    struct sigaction dfl = {0};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);  // fails harmlessly for KILL, STOP and glibc's internal signals
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0) child_fail(status_fd, errno);
    // out_fd and status_fd are >= 3 (moved by the parent), so these dup2s cannot clobber them.
    if (devnull != 0 && dup2(devnull, 0) < 0) child_fail(status_fd, errno);
    if (dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0) child_fail(status_fd, errno);
    child_close_others();  // status_fd stays open until execve succeeds, then closes
    execve(path, argv, envp);
    child_fail(status_fd, errno);
}

// Moves a descriptor to 3 or above, close-on-exec, so the child's dup2 onto 0..2 cannot clobber it.
static int high_cloexec(int fd) {
    if (fd >= 3) return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int saved = errno;
    close(fd);
    errno = saved;
    return moved;
}

int cspawn_spawn(const char *path, char *const argv[], char *const envp[], pid_t *pid, int *output_fd) {
    int out[2], status[2];
    if (pipe2(out, O_CLOEXEC) != 0) return -errno;
    if (pipe2(status, O_CLOEXEC) != 0) {
        int saved = errno;
        close(out[0]);
        close(out[1]);
        return -saved;
    }
    out[1] = high_cloexec(out[1]);
    status[1] = high_cloexec(status[1]);
    if (out[1] < 0 || status[1] < 0) {
        int saved = errno;
        close(out[0]); if (out[1] >= 0) close(out[1]);
        close(status[0]); if (status[1] >= 0) close(status[1]);
        return -saved;
    }
    pid_t parent = getpid();
    pid_t child_pid = fork();
    if (child_pid == 0) child(path, argv, envp, out[1], status[1], parent);
    int fork_errno = errno;
    close(out[1]);
    close(status[1]);
    if (child_pid < 0) {
        close(out[0]);
        close(status[0]);
        return -fork_errno;
    }
    // Also set the group from the parent: a timeout may signal the group before the child ran setpgid.
    setpgid(child_pid, child_pid);

    // The status pipe closes on a successful execve (EOF) or carries the child's errno.
    int child_errno = 0;
    ssize_t n;
    do { n = read(status[0], &child_errno, sizeof child_errno); } while (n < 0 && errno == EINTR);
    int read_errno = errno;
    close(status[0]);
    if (n != 0) {
        if (n < 0) {
            kill(child_pid, SIGKILL);
            child_errno = read_errno;
        }
        while (waitpid(child_pid, NULL, 0) < 0 && errno == EINTR) {}
        close(out[0]);
        return -(child_errno != 0 ? child_errno : EIO);
    }
    int flags = fcntl(out[0], F_GETFL);
    if (flags >= 0) fcntl(out[0], F_SETFL, flags | O_NONBLOCK);
    *pid = child_pid;
    *output_fd = out[0];
    return 0;
}

int cspawn_pidfd_open(pid_t pid) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
}

int cspawn_has_exited(pid_t pid) {
    siginfo_t info = {0};
    int rc;
    do { rc = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT); } while (rc < 0 && errno == EINTR);
    if (rc < 0) return -errno;
    return info.si_pid == pid ? 1 : 0;
}

int cspawn_reap(pid_t pid, int *exit_code, int *signal) {
    int status = 0;
    pid_t rc;
    do { rc = waitpid(pid, &status, 0); } while (rc < 0 && errno == EINTR);
    if (rc < 0) return -errno;
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    *signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return 0;
}
