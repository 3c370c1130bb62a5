/* What installing a seccomp filter and entering a Landlock ruleset costs in a freshly forked child,
   by the filter's length and the ruleset's number of rules: why the sandbox keeps each job's filter
   short and reads the standard library by one rule. For developers changing the sandbox; the
   workflow does not use it.

       gcc -O2 -o /tmp/isolation_cost tools/isolation_cost.c
       /tmp/isolation_cost "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')"

   Prints the mean microseconds of each step over 400 children, timed inside the child. The filters
   are chains of one compare and one return per denied call, the shape of a single filter before
   they were split (execrl/sandbox/kernel.py); the rulesets allow reading every entry of the given
   directory, or just 3 of them. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILDREN 400

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* A ruleset that allows reading up to `limit` entries of `dir`; the number of rules in *added. */
static int ruleset(const char *dir, int limit, int *added) {
    struct landlock_ruleset_attr attr = {.handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR};
    int fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    DIR *listing = opendir(dir);
    if (fd < 0 || !listing) {
        perror("landlock ruleset");
        exit(1);
    }
    struct dirent *entry;
    *added = 0;
    while (*added < limit && (entry = readdir(listing))) {
        if (entry->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        struct landlock_path_beneath_attr rule = {
            .allowed_access = LANDLOCK_ACCESS_FS_READ_FILE | (entry->d_type == DT_DIR ? LANDLOCK_ACCESS_FS_READ_DIR : 0),
            .parent_fd = open(path, O_PATH | O_CLOEXEC)};
        if (rule.parent_fd >= 0 && syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) == 0)
            (*added)++;
        close(rule.parent_fd);
    }
    closedir(listing);
    return fd;
}

/* A filter of `calls` compare-and-return pairs around a load and a final allow. */
static struct sock_fprog filter(int calls) {
    struct sock_filter *program = calloc(2 * calls + 2, sizeof *program);
    int n = 0;
    program[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);
    for (int i = 0; i < calls; i++) {
        program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1000 + i, 0, 1);
        program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1);
    }
    program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    return (struct sock_fprog){.len = n, .filter = program};
}

enum step { NOTHING, LANDLOCK, SECCOMP };

/* Mean microseconds of one step, each in a child of its own. */
static double cost(enum step step, int ruleset_fd, const struct sock_fprog *prog) {
    int pipe_fds[2];
    if (pipe(pipe_fds) < 0)
        exit(1);
    double total = 0;
    for (int k = 0; k < CHILDREN; k++) {
        pid_t pid = fork();
        if (pid == 0) {
            double start = now();
            int failed = step == LANDLOCK  ? syscall(SYS_landlock_restrict_self, ruleset_fd, 0)
                         : step == SECCOMP ? prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0)
                                           : 0;
            double seconds = failed ? -1 : now() - start;
            _exit(write(pipe_fds[1], &seconds, sizeof seconds) == sizeof seconds ? 0 : 1);
        }
        double seconds;
        if (read(pipe_fds[0], &seconds, sizeof seconds) != sizeof seconds || seconds < 0) {
            fprintf(stderr, "the step failed in the child\n");
            exit(1);
        }
        total += seconds;
        waitpid(pid, NULL, 0);
    }
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return total / CHILDREN * 1e6;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIRECTORY (the standard library's)\n", argv[0]);
        return 2;
    }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    printf("nothing: %.1f us\n", cost(NOTHING, -1, NULL));
    int many, few;
    int many_fd = ruleset(argv[1], 1 << 20, &many), few_fd = ruleset(argv[1], 3, &few);
    printf("landlock_restrict_self, %d rules: %.1f us\n", many, cost(LANDLOCK, many_fd, NULL));
    printf("landlock_restrict_self, %d rules: %.1f us\n", few, cost(LANDLOCK, few_fd, NULL));
    int calls[] = {52, 23, 8, 0}; /* 106 instructions: about the single filter of old; 48, 18: the worker's and each job's now */
    for (int i = 0; i < 4; i++) {
        struct sock_fprog prog = filter(calls[i]);
        printf("seccomp filter, %d instructions: %.1f us\n", prog.len, cost(SECCOMP, -1, &prog));
        free(prog.filter);
    }
    return 0;
}
