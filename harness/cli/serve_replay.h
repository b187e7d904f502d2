/*
 * serve_replay — `mailconform serve --replay REPORT` (see serve_replay.c).
 */
#ifndef MC_CLI_SERVE_REPLAY_H
#define MC_CLI_SERVE_REPLAY_H

struct mc_serve_replay {
    const char *report;     /* the JSON report to replay */
    const char *dir;        /* receives target.json (and cert.pem, key.pem) */
    const char *cert, *key; /* PEM certificate and key; NULL: a self-signed one in dir */
    const char *host;       /* IPv4 address to listen on; NULL: 127.0.0.1 */
};

/* Serves until SIGINT or SIGTERM; the exit status (docs/cli.md). */
int mc_serve_replay(const struct mc_serve_replay *cfg);

#endif
