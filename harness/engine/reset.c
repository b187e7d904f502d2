/*
 * reset — empties the test users' mailboxes before a scenario gets them.
 *
 * Three ways, chosen by the target (docs/target-format.md): the in-process reference server
 * empties a user directly (mc_run_options.reset_user); a profile's `reset` command is run once
 * per user with `${user}` replaced; a profile that declares its users disposable has them
 * emptied over the protocol (reset_account.c). Users are reset one after the other; the first
 * failure ends the job and names the user, with what went wrong (a command's exit status and
 * the first lines of its standard error). Nothing here blocks the event loop: a command is
 * watched with a short timer, so the other scenarios (and an embedded server) go on meanwhile.
 * The job reports its end from the event loop, never from inside mc_reset_start.
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addclosefrom_np (glibc 2.34) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/run_internal.h"
#include "engine/vars.h"

extern char **environ;

/* A reset command empties one mailbox; a healthy one takes milliseconds. */
#define RESET_TIMEOUT_MS 30000
#define RESET_POLL_MS 5       /* how often a running command is looked at */
#define RESET_STDERR_KEEP 600 /* octets of a failing command's stderr quoted in the report */

struct mc_reset_job {
    struct mc_runner *rn;
    const struct mc_user **users;
    size_t count, next;
    mc_reset_done done;
    void *arg;
    bool need_clean;
    /* the command in progress */
    pid_t pid;
    int err_fd;
    struct mc_buf err_text;
    int waited_ms;
    struct event *poll;
    struct mc_account_reset *account; /* reset over the protocol in progress */
    struct event *report;             /* tells the owner, from a fresh event */
    struct mc_reset_outcome outcome;
};

static void reset_next(struct mc_reset_job *j);

static void reset_report(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mc_reset_job *j = arg;
    j->done(j->arg, &j->outcome); /* may free j */
}

/* Ends the job, telling the owner from a fresh event: `failed` is the index of the user that
   could not be reset, or -1. */
static void reset_end(struct mc_reset_job *j, int failed, enum mc_cause cause, const char *why)
{
    j->outcome.failed = failed;
    j->outcome.cause = cause;
    j->outcome.why = why ? mc_xstrdup(why) : NULL;
    j->report = evtimer_new(j->rn->base, reset_report, j);
    struct timeval now = {0, 0};
    evtimer_add(j->report, &now);
}

/* --- a profile's reset command --- */

static char **reset_argv(const struct mc_target *t, const struct mc_user *u, struct mc_buf *why)
{
    size_t argc = 0;
    while (t->reset_command[argc])
        argc++;
    /* The arguments get ${user} by the same rules as scenario strings (vars.c). */
    struct mc_vars *vars = mc_vars_new();
    mc_vars_set(vars, "user", u->name, strlen(u->name));
    char **argv = mc_xcalloc(argc + 1, sizeof(char *));
    int bad = 0;
    for (size_t i = 0; i < argc; i++) {
        struct mc_buf a = {0}, err = {0};
        const char *arg = t->reset_command[i];
        if (mc_vars_expand(vars, NULL, arg, strlen(arg), MC_EXPAND_TEXT, &a, &err) != 0 && !bad++)
            mc_buf_printf(why, "the reset command: %s", err.data ? err.data : "");
        argv[i] = mc_buf_steal(&a);
        mc_buf_free(&err);
    }
    mc_vars_free(vars);
    if (!bad)
        return argv;
    for (size_t i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    return NULL;
}

static void free_argv(char **argv)
{
    for (char **a = argv; a && *a; a++)
        free(*a);
    free(argv);
}

/* Reads what the command wrote to stderr so far; keeps the first RESET_STDERR_KEEP octets and
   drains the rest, so that a chatty command never blocks on a full pipe. */
static void reset_read_stderr(struct mc_reset_job *j)
{
    char buf[4096];
    ssize_t n;
    while (j->err_fd >= 0 && (n = read(j->err_fd, buf, sizeof buf)) > 0) {
        size_t room = j->err_text.len < RESET_STDERR_KEEP ? RESET_STDERR_KEEP - j->err_text.len : 0;
        mc_buf_append(&j->err_text, buf, (size_t)n < room ? (size_t)n : room);
    }
}

static void reset_command_finished(struct mc_reset_job *j, int status, bool timed_out)
{
    const struct mc_user *u = j->users[j->next];
    reset_read_stderr(j);
    close(j->err_fd);
    j->err_fd = -1;
    j->pid = 0;
    if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        mc_buf_free(&j->err_text);
        j->next++;
        reset_next(j);
        return;
    }
    struct mc_buf why = {0};
    const char *cmd = j->rn->target->reset_command[0];
    if (timed_out)
        mc_buf_printf(&why, "the reset command %s for user %s took over %d ms and was killed", cmd,
                      u->name, RESET_TIMEOUT_MS);
    else if (WIFEXITED(status))
        mc_buf_printf(&why, "the reset command %s for user %s exited with status %d", cmd, u->name,
                      WEXITSTATUS(status));
    else
        mc_buf_printf(&why, "the reset command %s for user %s was killed by signal %d", cmd,
                      u->name, WTERMSIG(status));
    while (j->err_text.len && (j->err_text.data[j->err_text.len - 1] == '\n' ||
                               j->err_text.data[j->err_text.len - 1] == '\r'))
        j->err_text.data[--j->err_text.len] = '\0';
    if (j->err_text.len)
        mc_buf_printf(&why, "; its standard error: %s", j->err_text.data);
    else
        mc_buf_append_str(&why, "; it wrote nothing to standard error");
    mc_buf_free(&j->err_text);
    reset_end(j, (int)j->next, MC_CAUSE_RESET, why.data);
    mc_buf_free(&why);
}

static void reset_poll(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mc_reset_job *j = arg;
    int status = 0;
    reset_read_stderr(j);
    pid_t got = waitpid(j->pid, &status, WNOHANG);
    if (got == j->pid) {
        reset_command_finished(j, status, false);
        return;
    }
    j->waited_ms += RESET_POLL_MS;
    if (j->waited_ms >= RESET_TIMEOUT_MS) {
        kill(j->pid, SIGKILL);
        waitpid(j->pid, &status, 0);
        reset_command_finished(j, status, true);
        return;
    }
    struct timeval tv = {0, RESET_POLL_MS * 1000};
    evtimer_add(j->poll, &tv);
}

static void reset_by_command(struct mc_reset_job *j, const struct mc_user *u)
{
    struct mc_buf why = {0};
    char **argv = reset_argv(j->rn->target, u, &why);
    int pipefd[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    int rc = -1;
    if (argv && pipe(pipefd) == 0) {
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        /* Nothing else of ours: a child holding the sockets of running scenarios would keep
           their connections open after we close them (no FIN until it exits). */
        posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
        rc = posix_spawn(&j->pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (rc != 0) {
            mc_buf_printf(&why, "cannot run the reset command %s: %s", argv[0], strerror(rc));
            close(pipefd[0]);
        }
    } else if (argv) {
        mc_buf_printf(&why, "cannot make a pipe for the reset command: %s", strerror(errno));
    }
    free_argv(argv);
    if (rc != 0) {
        reset_end(j, (int)j->next, MC_CAUSE_RESET, why.data);
        mc_buf_free(&why);
        return;
    }
    mc_buf_free(&why);
    j->err_fd = pipefd[0];
    fcntl(j->err_fd, F_SETFL, fcntl(j->err_fd, F_GETFL) | O_NONBLOCK);
    j->waited_ms = 0;
    if (!j->poll)
        j->poll = evtimer_new(j->rn->base, reset_poll, j);
    struct timeval tv = {0, RESET_POLL_MS * 1000};
    evtimer_add(j->poll, &tv);
}

/* --- over the protocol --- */

static void reset_account_done(void *arg, bool ok, enum mc_cause cause, const char *why)
{
    struct mc_reset_job *j = arg;
    struct mc_account_reset *done = j->account; /* `why` lives in it */
    j->account = NULL;
    if (!ok) {
        reset_end(j, (int)j->next, cause, why);
        mc_account_reset_free(done);
        return;
    }
    mc_account_reset_free(done);
    j->next++;
    reset_next(j);
}

/* --- the job --- */

static void reset_next(struct mc_reset_job *j)
{
    const struct mc_run_options *o = j->rn->opts;
    const struct mc_target *t = j->rn->target;
    while (j->next < j->count) {
        const struct mc_user *u = j->users[j->next];
        if (j->rn->user_retired[u - t->users]) {
            j->next++; /* handed out only to a scenario that needs neither its password nor
                          its mailbox: nothing to empty, and emptying failed before */
            continue;
        }
        if (o->reset_user) {
            struct mc_buf why = {0};
            if (o->reset_user(o->reset_arg, u->name, &why) != 0) {
                reset_end(j, (int)j->next, MC_CAUSE_RESET, why.data);
                mc_buf_free(&why);
                return;
            }
            mc_buf_free(&why);
            j->next++;
        } else if (t->reset_command) {
            reset_by_command(j, u);
            return;
        } else if (t->disposable_users && mc_account_reset_possible(j->rn)) {
            j->account = mc_account_reset_start(j->rn, u, false, reset_account_done, j);
            return;
        } else if (j->need_clean && !j->rn->clean_checks_off && mc_account_reset_possible(j->rn)) {
            /* nothing may empty it: at least make sure the scenario starts from nothing */
            j->account = mc_account_reset_start(j->rn, u, true, reset_account_done, j);
            return;
        } else {
            j->next++; /* nothing empties, nor looks into, mailboxes on this target */
        }
    }
    reset_end(j, -1, MC_CAUSE_NONE, NULL);
}

struct mc_reset_job *mc_reset_start(struct mc_runner *rn, const struct mc_user **users,
                                    size_t count, bool need_clean, mc_reset_done done, void *arg)
{
    struct mc_reset_job *j = mc_xcalloc(1, sizeof *j);
    j->need_clean = need_clean;
    j->rn = rn;
    j->users = users;
    j->count = count;
    j->done = done;
    j->arg = arg;
    j->err_fd = -1;
    reset_next(j);
    return j;
}

void mc_reset_free(struct mc_reset_job *j)
{
    if (!j)
        return;
    if (j->pid > 0) {
        kill(j->pid, SIGKILL);
        waitpid(j->pid, NULL, 0);
    }
    if (j->err_fd >= 0)
        close(j->err_fd);
    if (j->poll)
        event_free(j->poll);
    if (j->report)
        event_free(j->report);
    free(j->outcome.why);
    mc_account_reset_free(j->account);
    mc_buf_free(&j->err_text);
    free(j);
}
