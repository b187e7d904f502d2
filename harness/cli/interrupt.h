/*
 * interrupt — SIGINT and SIGTERM during a run.
 *
 * The first signal asks the run to stop (through `first`, called from the event loop, so that
 * it may do anything): the run finishes or ends its scenarios within a second, writes its
 * report and exits 130 (SIGINT) or 143 (SIGTERM). A second signal exits at once, from the
 * signal handler: it wipes the progress line on a terminal and _exit()s with the same status,
 * so a user who presses Ctrl-C twice is never held by a run that does not stop.
 */
#ifndef MC_CLI_INTERRUPT_H
#define MC_CLI_INTERRUPT_H

#include <event2/event.h>
#include <stdbool.h>

/* Installs the handlers; 0, or -1 when they cannot be installed. `wipe_line`: the progress
   line is on standard error (a terminal) and must be cleared on a hard exit. */
int mc_interrupt_install(struct event_base *base, void (*first)(void *arg, int sig), void *arg,
                         bool wipe_line);
/* Restores the default handlers and frees what install made. */
void mc_interrupt_remove(void);
/* "SIGINT", "SIGTERM" */
const char *mc_interrupt_name(int sig);

#endif
