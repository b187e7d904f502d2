/*
 * interrupt — SIGINT and SIGTERM during a run (see interrupt.h).
 *
 * The handler only counts and writes the signal number into a pipe (async-signal-safe); an
 * event on the pipe's other end calls `first` inside the loop. The loop may be busy for a
 * moment (a large reply being framed), which is why the second signal does not wait for it.
 */
#include "cli/interrupt.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t interrupt_count;
static volatile sig_atomic_t interrupt_wipe;
static int interrupt_pipe[2] = {-1, -1};
static struct event *interrupt_event;
static void (*interrupt_first)(void *arg, int sig);
static void *interrupt_arg;

static void interrupt_handler(int sig)
{
    if (++interrupt_count >= 2) {
        static const char wipe[] = "\r\033[K";
        if (interrupt_wipe)
            (void)!write(STDERR_FILENO, wipe, sizeof wipe - 1);
        _exit(128 + sig);
    }
    unsigned char b = (unsigned char)sig;
    (void)!write(interrupt_pipe[1], &b, 1);
}

static void interrupt_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    (void)arg;
    unsigned char b;
    while (read(fd, &b, 1) == 1)
        if (interrupt_first)
            interrupt_first(interrupt_arg, b);
}

int mc_interrupt_install(struct event_base *base, void (*first)(void *arg, int sig), void *arg,
                         bool wipe_line)
{
    if (pipe(interrupt_pipe) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(interrupt_pipe[i], F_SETFL, fcntl(interrupt_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(interrupt_pipe[i], F_SETFD, FD_CLOEXEC); /* not for a reset command's eyes */
    }
    interrupt_first = first;
    interrupt_arg = arg;
    interrupt_wipe = wipe_line;
    interrupt_count = 0;
    interrupt_event =
        event_new(base, interrupt_pipe[0], EV_READ | EV_PERSIST, interrupt_readable, NULL);
    event_add(interrupt_event, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = interrupt_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return 0;
}

void mc_interrupt_remove(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (interrupt_event)
        event_free(interrupt_event);
    interrupt_event = NULL;
    for (int i = 0; i < 2; i++) {
        if (interrupt_pipe[i] >= 0)
            close(interrupt_pipe[i]);
        interrupt_pipe[i] = -1;
    }
}

const char *mc_interrupt_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}
