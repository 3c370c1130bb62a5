/* The worker's per-job loop, in C: fork standby children, isolate each, report their exits.

Python sets the worker up once (namespaces, Landlock rulesets, the seccomp filter) and then calls
serve(), which never runs Python code again in the worker: between two forks a Python loop writes,
and so copies, about a hundred of the pages the worker shares with its live children (measured:
112 page faults per job in the worker; 7 with this loop). See worker.py for the design. serve()
returns in each forked child, isolated and holding its two pipe ends, which then runs its job in
Python; in the worker it returns None once the parent has gone.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_SETUP_FAILED 121 /* worker.CHILD_SETUP_FAILED */
#define MAX_DIRS 64            /* work dirs, and so children alive at once, per worker */
#define EXIT_INFO_SIZE 20      /* worker.EXIT_INFO: <iiid, pid, signalled, code, CPU seconds */
#define SELF_PID 0x5E1F5E1Fu   /* kernel.SELF_PID: where the job's filter names the job's own pid */
#define MAX_JOB_FILTER 256     /* instructions in the job's filter, copied onto the child's stack */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

enum { FAILED = -1, RAISED = -2, IN_WORKER = 0, IN_CHILD = 1, PARENT_GONE = 2 }; /* what a step returns */

typedef struct {
    int sock;
    Py_ssize_t n_dirs;
    const char **dirs; /* work dirs, one per child: the running job's and each standby's */
    const int *rulesets; /* a Landlock ruleset per work dir, or NULL */
    int uid;             /* job uid, or -1: the invoking user's */
    int pid_ns;          /* fd of the worker's own PID namespace, or -1: no namespace per job */
    struct sock_fprog seccomp; /* what each job adds to the worker's filter; .len 0: no filter */
} Config;

typedef struct {
    int pidfd;
    pid_t pid;
    Py_ssize_t dir; /* index of its work dir */
} Child;

/* Cleanup holds at most three descriptors whatever a job left (a tree deeper than the worker's
   descriptor limit, directories of mode 000): it empties a directory by moving what each of its
   subdirectories holds up into it, under fresh names, and removing what is then empty, until
   nothing is left. Every entry moves at most once, so the work grows with the entries, not the
   depth. Never follows a link. */

/* Move every entry of `top`'s subdirectory `name` up into `top`. */
static int hoist(int top, const char *name, unsigned long *moved) {
    fchmodat(top, name, 0700, 0); /* the job owned it, and may have locked it */
    int sub = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return -1;
    DIR *dir = fdopendir(sub);
    if (!dir) {
        close(sub);
        return -1;
    }
    int failed = 0;
    struct dirent *entry;
    while (!failed && (errno = 0, entry = readdir(dir))) {
        if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
            continue;
        fchmodat(sub, entry->d_name, 0700, 0); /* a directory moves only if it is writable (its "..") */
        char fresh[32];
        do
            snprintf(fresh, sizeof fresh, ".execrl-%lu", ++*moved);
        while ((failed = syscall(SYS_renameat2, sub, entry->d_name, top, fresh, RENAME_NOREPLACE) < 0) &&
               errno == EEXIST);
        if (failed && errno == ENOENT)
            failed = 0;
    }
    if (!entry && errno)
        failed = 1;
    int saved = errno;
    closedir(dir);
    errno = saved;
    return failed ? -1 : 0;
}

/* One pass over `top`: remove each file and empty directory, hoist each non-empty one. */
static int sweep(int top, int *left, unsigned long *moved) {
    int listing = dup(top);
    if (listing < 0)
        return -1;
    DIR *dir = fdopendir(listing);
    if (!dir) {
        close(listing);
        return -1;
    }
    rewinddir(dir); /* the duplicate shares its offset with `top`, at the end after a pass */
    int failed = 0;
    struct dirent *entry;
    *left = 0;
    while (!failed && (errno = 0, entry = readdir(dir))) {
        const char *name = entry->d_name;
        if (!strcmp(name, ".") || !strcmp(name, ".."))
            continue;
        if (unlinkat(top, name, 0) == 0 || errno == ENOENT)
            continue;
        if (errno != EISDIR) {
            failed = 1;
        } else if (unlinkat(top, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
            failed = errno != ENOTEMPTY && errno != EEXIST && errno != EACCES && errno != EPERM;
            if (!failed) {
                failed = hoist(top, name, moved) < 0;
                *left = 1; /* the directory itself goes in the next pass */
            }
        }
    }
    if (!entry && errno)
        failed = 1;
    int saved = errno;
    closedir(dir);
    errno = saved;
    return failed ? -1 : 0;
}

static int remove_entries(int top) {
    unsigned long moved = 0;
    int left = 1;
    while (left)
        if (sweep(top, &left, &moved) < 0)
            return -1;
    return 0;
}

/* Empty a work dir in place: a Landlock rule is bound to this directory, not to its name. */
static int empty_dir(const char *path, int uid) {
    if (chmod(path, 0700) < 0 || (uid >= 0 && chown(path, uid, uid) < 0))
        return -1;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int failed = remove_entries(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return failed;
}

static void close_all_but(int a, int b) {
    int low = a < b ? a : b, high = a < b ? b : a;
    if (low > 3)
        syscall(SYS_close_range, 3, low - 1, 0);
    if (high > low + 1)
        syscall(SYS_close_range, low + 1, high - 1, 0);
    syscall(SYS_close_range, high + 1, ~0U, 0);
}

/* Where the job keeps the worker's uid (as the invoking user, root of the worker's user namespace),
   it keeps no capability in that namespace either: none to signal, renice or read past a file's
   mode. (Switching to another uid, as root, clears them too.) */
static int drop_capabilities(void) {
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = {{0}};
    return syscall(SYS_capset, &header, none);
}

/* The job's filter, with this child's pid where it names the job's own. */
static int install_job_filter(const struct sock_fprog *shared) {
    struct sock_filter own[MAX_JOB_FILTER];
    pid_t self = getpid();
    for (unsigned short i = 0; i < shared->len; i++) {
        own[i] = shared->filter[i];
        if (own[i].k == SELF_PID)
            own[i].k = (uint32_t)self;
    }
    struct sock_fprog prog = {.len = shared->len, .filter = own};
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

/* In the forked child, as root of the worker's namespaces: isolate, or exit CHILD_SETUP_FAILED. */
static void isolate(const Config *cfg, Py_ssize_t index, int job_r, int result_w) {
    if (setsid() < 0 || chdir(cfg->dirs[index]) < 0) /* setsid: kill(0, ...) reaches only the job */
        _exit(CHILD_SETUP_FAILED);
    if (cfg->uid >= 0 ? setgroups(0, NULL) < 0 || setresgid(cfg->uid, cfg->uid, cfg->uid) < 0 ||
                            setresuid(cfg->uid, cfg->uid, cfg->uid) < 0
                      : drop_capabilities() < 0)
        _exit(CHILD_SETUP_FAILED);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) /* fork and setresuid clear it */
        _exit(CHILD_SETUP_FAILED);
    if (cfg->rulesets && syscall(SYS_landlock_restrict_self, cfg->rulesets[index], 0) < 0)
        _exit(CHILD_SETUP_FAILED);
    if (cfg->seccomp.len && install_job_filter(&cfg->seccomp) < 0)
        _exit(CHILD_SETUP_FAILED);
    close_all_but(job_r, result_w); /* the socket, the rulesets, the other pipes, anything inherited */
}

static int send_offer(int sock, pid_t pid, const int fds[3]) {
    int32_t pid_le = pid; /* x86_64 and aarch64 are little-endian, as struct's "<i" */
    struct iovec iov = {.iov_base = &pid_le, .iov_len = sizeof pid_le};
    union {
        char buf[CMSG_SPACE(3 * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(3 * sizeof(int));
    memcpy(CMSG_DATA(cmsg), fds, 3 * sizeof(int));
    return sendmsg(sock, &msg, 0) < 0 ? -1 : 0;
}

/* Fork a standby for work dir `index`. Returns IN_WORKER, IN_CHILD (with its pipe ends in job_fd
   and result_fd), or FAILED with errno set, on which the worker exits (its children die with it)
   and the parent starts another: nothing here is cleaned up. */
static int offer(const Config *cfg, Py_ssize_t index, Child *child, int *job_fd, int *result_fd) {
    int job[2], result[2];
    if (pipe2(job, O_CLOEXEC) < 0 || pipe2(result, O_CLOEXEC) < 0)
        return FAILED;
    if (cfg->pid_ns >= 0 && unshare(CLONE_NEWPID) < 0) /* the next child is PID 1 of a fresh namespace */
        return FAILED;
    pid_t pid = fork();
    if (pid == 0) {
        isolate(cfg, index, job[0], result[1]);
        *job_fd = job[0];
        *result_fd = result[1];
        return IN_CHILD;
    }
    if (pid < 0 || (cfg->pid_ns >= 0 && setns(cfg->pid_ns, CLONE_NEWPID) < 0))
        return FAILED;
    int pidfd = syscall(SYS_pidfd_open, pid, 0);
    int fds[3] = {pidfd, job[1], result[0]};
    /* The parent writes the job without blocking (a job larger than the pipe is fed as it drains). */
    if (pidfd < 0 || fcntl(job[1], F_SETFL, O_NONBLOCK) < 0 || send_offer(cfg->sock, pid, fds) < 0)
        return FAILED;
    close(job[0]);
    close(job[1]);
    close(result[0]);
    close(result[1]);
    child->pidfd = pidfd;
    child->pid = pid;
    child->dir = index;
    return IN_WORKER;
}

/* Reap an exited child and send the parent its pid, how it ended and its CPU time. */
static int reap(const Config *cfg, const Child *child) {
    if (cfg->pid_ns < 0) {
        siginfo_t info;
        waitid(P_PID, child->pid, &info, WEXITED | WNOWAIT);
        killpg(child->pid, SIGKILL); /* the zombie still holds the group id: no other group can be hit */
    }
    int status;
    struct rusage usage;
    if (wait4(child->pid, &status, 0, &usage) < 0)
        return -1;
    int32_t fields[3] = {child->pid, WIFSIGNALED(status) ? 1 : 0,
                         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)};
    double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
                 usage.ru_stime.tv_usec / 1e6;
    char message[EXIT_INFO_SIZE];
    memcpy(message, fields, sizeof fields);
    memcpy(message + sizeof fields, &cpu, sizeof cpu);
    return send(cfg->sock, message, sizeof message, 0) < 0 ? -1 : 0;
}

/* Kill and reap every child, the running job's included, before the worker exits: so that once the
   worker is gone no process of a job is left, whichever of its parent and the job it saw end first. */
static void end_children(const Config *cfg, const Child *children, int n) {
    for (int i = 0; i < n; i++) {
        syscall(SYS_pidfd_send_signal, children[i].pidfd, SIGKILL, NULL, 0);
        if (cfg->pid_ns < 0)
            killpg(children[i].pid, SIGKILL); /* not yet reaped: the group id is still the job's */
    }
    for (int i = 0; i < n; i++)
        waitpid(children[i].pid, NULL, 0);
}

/* The loop: one child per work dir, each offered to the parent as soon as it is forked; when one
   has exited (its job done, or killed), report how, empty its dir and fork the next there. The
   parent takes children in order and tells the worker nothing: a job's end is the child's exit.
   Returns IN_CHILD in each child, PARENT_GONE, FAILED with errno set, or RAISED where a signal's
   Python handler raised. */
static int run_loop(const Config *cfg, Py_ssize_t *index, int *job_fd, int *result_fd) {
    Child children[MAX_DIRS];
    int n = 0;
    Py_ssize_t refill[MAX_DIRS];
    int n_refill = 0;
    for (Py_ssize_t i = 0; i < cfg->n_dirs; i++)
        refill[n_refill++] = i;
    struct pollfd polled[MAX_DIRS + 1];
    for (;;) {
        /* a dir is emptied once its child is reaped: with a PID namespace, once all of the job is dead */
        while (n_refill) {
            Py_ssize_t dir = refill[--n_refill];
            if (empty_dir(cfg->dirs[dir], cfg->uid) < 0)
                return FAILED;
            int forked = offer(cfg, *index = dir, &children[n], job_fd, result_fd);
            if (forked != IN_WORKER)
                return forked;
            n++;
        }
        polled[0] = (struct pollfd){.fd = cfg->sock, .events = POLLIN};
        for (int i = 0; i < n; i++)
            polled[i + 1] = (struct pollfd){.fd = children[i].pidfd, .events = POLLIN};
        if (poll(polled, n + 1, -1) < 0) {
            if (errno != EINTR)
                return FAILED;
            if (PyErr_CheckSignals() < 0) /* SIGINT's KeyboardInterrupt, as the Python loop raised it */
                return RAISED;
            continue;
        }
        for (int i = n - 1; i >= 0; i--) { /* from the end: the last child moves into a slot already seen */
            if (!polled[i + 1].revents)
                continue;
            if (reap(cfg, &children[i]) < 0)
                return FAILED;
            close(children[i].pidfd);
            refill[n_refill++] = children[i].dir;
            children[i] = children[--n];
        }
        char message[16];
        if (polled[0].revents && recv(cfg->sock, message, sizeof message, 0) <= 0) {
            /* the parent sends nothing: the socket is readable once it closes */
            end_children(cfg, children, n);
            return PARENT_GONE;
        }
    }
}

static PyObject *py_serve(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"sock", "workdirs", "uid", "pid_ns", "rulesets", "worker_seccomp", "seccomp", NULL};
    int sock, uid, pid_ns;
    PyObject *dir_list, *ruleset_list;
    Py_buffer worker_filter = {0}, filter = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "iO!iiO!z*z*", keywords, &sock, &PyTuple_Type, &dir_list, &uid,
                                     &pid_ns, &PyTuple_Type, &ruleset_list, &worker_filter, &filter))
        return NULL;
    Py_ssize_t n_dirs = PyTuple_GET_SIZE(dir_list), n_rulesets = PyTuple_GET_SIZE(ruleset_list);
    PyObject *result = NULL;
    const char **dirs = PyMem_Calloc(n_dirs, sizeof *dirs);
    int *rulesets = PyMem_Calloc(n_dirs, sizeof *rulesets);
    if (!dirs || !rulesets) {
        PyErr_NoMemory();
        goto done;
    }
    if (n_dirs < 1 || n_dirs > MAX_DIRS || (n_rulesets && n_rulesets != n_dirs) ||
        worker_filter.len % sizeof(struct sock_filter) || filter.len % sizeof(struct sock_filter) ||
        !worker_filter.len != !filter.len || filter.len > MAX_JOB_FILTER * (Py_ssize_t)sizeof(struct sock_filter)) {
        PyErr_SetString(PyExc_ValueError, "serve: need 1 to 64 work dirs, one ruleset per work dir or none, and "
                                          "both filters or neither, each of whole sock_filter instructions (the "
                                          "job's at most 256)");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_dirs; i++) {
        if (!(dirs[i] = PyUnicode_AsUTF8(PyTuple_GET_ITEM(dir_list, i))))
            goto done;
        if (n_rulesets && (rulesets[i] = PyLong_AsLong(PyTuple_GET_ITEM(ruleset_list, i))) == -1 && PyErr_Occurred())
            goto done;
    }
    Config cfg = {.sock = sock, .n_dirs = n_dirs, .dirs = dirs, .rulesets = n_rulesets ? rulesets : NULL,
                  .uid = uid, .pid_ns = pid_ns,
                  .seccomp = {.len = filter.len / sizeof(struct sock_filter), .filter = filter.buf}};
    /* Once, here: every child inherits the worker's filter, and compiles only its own short one. */
    struct sock_fprog worker_prog = {.len = worker_filter.len / sizeof(struct sock_filter), .filter = worker_filter.buf};
    int job_fd = -1, result_fd = -1;
    Py_ssize_t index = 0;
    int outcome = worker_prog.len && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &worker_prog, 0, 0) < 0
                      ? FAILED
                      : run_loop(&cfg, &index, &job_fd, &result_fd);
    if (outcome == FAILED) {
        PyErr_SetFromErrno(PyExc_OSError);
    } else if (outcome == PARENT_GONE) {
        result = Py_NewRef(Py_None);
    } else if (outcome == IN_CHILD) {
        result = Py_BuildValue("(nii)", index, job_fd, result_fd);
    }
done:
    PyMem_Free(dirs);
    PyMem_Free(rulesets);
    PyBuffer_Release(&worker_filter);
    PyBuffer_Release(&filter);
    return result;
}

static PyObject *py_empty_dir(PyObject *self, PyObject *args) {
    const char *path;
    int uid;
    if (!PyArg_ParseTuple(args, "si", &path, &uid))
        return NULL;
    if (empty_dir(path, uid) < 0)
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"serve", (PyCFunction)(void (*)(void))py_serve, METH_VARARGS | METH_KEYWORDS,
     "serve(sock, workdirs, uid, pid_ns, rulesets, worker_seccomp, seccomp): the worker's loop, under the worker's "
     "filter. Returns None in the worker once the parent has gone; in each forked, isolated child, under both "
     "filters, (work dir index, job fd, result fd)."},
    {"empty_dir", py_empty_dir, METH_VARARGS,
     "empty_dir(path, uid): what the loop does to a child's work dir before the next child: remove everything in "
     "it, never following a link, and chown it to uid (-1: keep). Exposed so that it can be tested on its own."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_forkserver", NULL, 0, methods};

PyMODINIT_FUNC PyInit__forkserver(void) { return PyModule_Create(&module); }
