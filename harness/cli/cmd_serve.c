/*
 * cmd_serve — `mailconform serve`: the reference server as a process of its own, for real
 * clients (curl, fetchmail, Python) and for servers-under-test/reference/start. It starts every
 * listener on free loopback ports, writes the target profile (the same format as the other
 * servers' start scripts write) and serves until SIGINT or SIGTERM.
 */
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/embedded.h"
#include "cli/report_browser.h"
#include "cli/serve_replay.h"
#include "engine/target.h"

/* The usage text, around the list of listener names (the schemes of the protocol tables). */
#define SERVE_USAGE_INDENT 20
static const char serve_usage_head[] =
    "usage: mailconform serve --dir DIR [--users N | --users-file FILE] [--maildir MDIR]\n"
    "                         [--cert PEM --key PEM] [--host ADDR] [--port NAME=PORT]...\n"
    "       mailconform serve --http ADDR --reports RDIR [--http-public] [--dir DIR ...]\n"
    "       mailconform serve --dir DIR --replay REPORT [--cert PEM --key PEM] [--host ADDR]\n"
    "\n"
    "Runs the reference mail server (every listener named below) on free loopback ports\n"
    "until SIGINT or SIGTERM. DIR receives the self-signed certificate (cert.pem, also the CA\n"
    "file for clients), its key and target.json, the target profile (ports, test users and\n"
    "passwords) for `mailconform run --target DIR/target.json` or any client. The mailstore\n"
    "lives in memory unless --maildir is given.\n"
    "\n"
    "With --replay, it plays the server side of a JSON report instead: one listener per\n"
    "recorded endpoint, each recorded dialogue (the probe's, then each scenario's) answered as\n"
    "the server answered it, as long as the client sends what the transcript holds. A client\n"
    "that deviates gets the protocol's goodbye; standard error says where and how.\n"
    "\n"
    "  -r, --replay REPORT  replay REPORT (run the client with -j1, see docs/cli.md)\n"
    "  -d, --dir DIR     where to write the certificate and target.json (created if needed)\n"
    "  -u, --users N     test users mc01..mcNN with random passwords (default 24, at most 999)\n"
    "  -f, --users-file FILE  users from FILE instead: one name:password a line, # comments\n"
    "  -m, --maildir MDIR     keep the mailstore in MDIR (Maildir folders): mail survives a\n"
    "                    restart, and is acknowledged only once it is on disk (fsync)\n"
    "  -c, --cert PEM    certificate (chain) to serve TLS with, instead of a self-signed one\n"
    "  -k, --key PEM     its private key\n"
    "  -H, --host ADDR   IPv4 address to listen on (default 127.0.0.1)\n"
    "  -p, --port NAME=PORT  a fixed port for listener NAME (repeatable; the others get free\n"
    "                    ports), NAME one of\n";
static const char serve_usage_tail[] =
    "report browser (without --dir, only the browser runs):\n"
    "      --http ADDR   serve the reports in RDIR over HTTP at ADDR: PORT, HOST:PORT or\n"
    "                    [V6]:PORT, numeric (port 0: a free one; the URL is printed); read-only,\n"
    "                    lists RDIR's *.json reports, shows each as the HTML report, compares\n"
    "                    any two\n"
    "      --reports RDIR  the folder of reports it serves (nothing outside it)\n"
    "      --http-public allow a non-loopback ADDR (the reports show whatever they recorded)\n"
    "  -h, --help        this text\n"
    "\n"
    "exit status: 0 stopped by a signal, 2 usage or setup error\n";

static void serve_usage(FILE *f)
{
    struct mc_buf names = {0};
    mc_embedded_listener_names(&names, " ");
    fputs(serve_usage_head, f);
    mc_cli_print_words(f, names.data, SERVE_USAGE_INDENT);
    fputs(serve_usage_tail, f);
    mc_buf_free(&names);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopexit(arg, NULL);
}

struct web_config {
    const char *addr, *reports;
    bool public_ok;
};

/* Starts the reference server and writes DIR/target.json; NULL after saying why. */
static struct mc_embedded *start_mail(struct event_base *base, const struct mc_embedded_config *cfg)
{
    const char *dir = cfg->dir;
    struct mc_buf err = {0}, path = {0};
    struct mc_target *target = NULL;
    mkdir(dir, 0755);
    struct mc_embedded *e = mc_embedded_start(base, cfg, &target, &err);
    if (target) { /* a process of its own, not embedded in a run */
        free(target->name);
        target->name = mc_xstrdup("mailconform-reference-" MC_VERSION);
        free(target->source);
        target->source = mc_xstrdup(dir);
        /* A test server: its accounts hold nothing of value, so a run may empty them over
           IMAP or POP3 between scenarios (docs/target-format.md). */
        target->disposable_users = true;
    }
    mc_buf_printf(&path, "%s/target.json", dir);
    if (e && mc_target_write_profile(target, path.data, &err) == 0) {
        printf("mailconform serve: ready; target %s\n", path.data);
    } else {
        fprintf(stderr, "mailconform serve: %s\n", err.data ? err.data : "cannot start");
        mc_embedded_stop(e);
        e = NULL;
    }
    mc_target_free(target);
    mc_buf_free(&err);
    mc_buf_free(&path);
    return e;
}

static struct mc_report_browser *start_web(struct event_base *base, const struct web_config *web)
{
    struct mc_buf err = {0}, url = {0};
    struct mc_report_browser *b =
        mc_report_browser_start(base, web->addr, web->reports, web->public_ok, &url, &err);
    if (b)
        printf("mailconform serve: report browser at %s (reports in %s)\n", url.data, web->reports);
    else
        fprintf(stderr, "mailconform serve: %s\n", err.data ? err.data : "cannot start");
    mc_buf_free(&err);
    mc_buf_free(&url);
    return b;
}

static int serve(const struct mc_embedded_config *cfg, const struct web_config *web)
{
    struct event_base *base = event_base_new();
    struct mc_embedded *e = NULL;
    struct mc_report_browser *b = NULL;
    int rc = MC_EXIT_USAGE;
    if ((!cfg->dir || (e = start_mail(base, cfg))) && (!web->addr || (b = start_web(base, web)))) {
        struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
        struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
        event_add(sigint, NULL);
        event_add(sigterm, NULL);
        fflush(stdout);
        event_base_dispatch(base);
        event_free(sigint);
        event_free(sigterm);
        rc = MC_EXIT_OK;
    }
    mc_report_browser_stop(b);
    mc_embedded_stop(e);
    event_base_free(base);
    return rc;
}

int mc_cmd_serve(int argc, char **argv)
{
    static const struct option longopts[] = {{"dir", required_argument, NULL, 'd'},
                                             {"users", required_argument, NULL, 'u'},
                                             {"users-file", required_argument, NULL, 'f'},
                                             {"maildir", required_argument, NULL, 'm'},
                                             {"cert", required_argument, NULL, 'c'},
                                             {"key", required_argument, NULL, 'k'},
                                             {"host", required_argument, NULL, 'H'},
                                             {"port", required_argument, NULL, 'p'},
                                             {"http", required_argument, NULL, 'W'},
                                             {"reports", required_argument, NULL, 'R'},
                                             {"http-public", no_argument, NULL, 'P'},
                                             {"replay", required_argument, NULL, 'r'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0, 0, 0, 0}};
    struct web_config web = {0};
    const char *replay = NULL;
    struct mc_strv ports = {0};
    struct mc_buf err = {0};
    struct mc_embedded_config cfg = {.users = 24, .ports = &ports};
    long users = 24;
    bool ok = true;
    int ch;
    optind = 1;
    while (ok && (ch = getopt_long(argc, argv, "d:u:f:m:c:k:H:p:r:h", longopts, NULL)) != -1) {
        if (ch == 'c')
            cfg.cert = optarg;
        else if (ch == 'k')
            cfg.key = optarg;
        else if (ch == 'H')
            cfg.host = optarg;
        else if (ch == 'p') {
            ok = mc_embedded_check_port(optarg, &err) == 0;
            mc_strv_push_str(&ports, optarg);
        } else if (ch == 'd')
            cfg.dir = optarg;
        else if (ch == 'f')
            cfg.users_file = optarg;
        else if (ch == 'm')
            cfg.maildir = optarg;
        else if (ch == 'r')
            replay = optarg;
        else if (ch == 'u')
            users = mc_cli_number(optarg, 1, 999, &ok);
        else if (ch == 'W')
            web.addr = optarg;
        else if (ch == 'R')
            web.reports = optarg;
        else if (ch == 'P')
            web.public_ok = true;
        else if (ch == 'h') {
            serve_usage(stdout);
            return MC_EXIT_OK;
        } else
            ok = false;
    }
    int rc = MC_EXIT_USAGE;
    if (ok && optind == argc && !cfg.dir && !web.addr)
        mc_buf_printf(&err, "give --dir (the mail server), --http (the report browser) or both");
    else if (ok && optind == argc && !web.addr != !web.reports)
        mc_buf_printf(&err, "--http and --reports go together");
    if (!ok || optind != argc || err.len) {
        if (err.len)
            fprintf(stderr, "mailconform serve: %s\n", err.data);
        fputs("\n", stderr);
        serve_usage(stderr);
    } else if (replay && (ports.count || cfg.maildir || cfg.users_file || users != 24 || web.addr ||
                          !cfg.dir)) {
        fputs("mailconform serve: --replay serves the recorded endpoints and users into --dir: it "
              "takes no --users, --users-file, --maildir, --port or --http (run the report "
              "browser as a serve of its own)\n",
              stderr);
    } else if (replay) {
        struct mc_serve_replay rc_cfg = {
            .report = replay, .dir = cfg.dir, .cert = cfg.cert, .key = cfg.key, .host = cfg.host};
        rc = mc_serve_replay(&rc_cfg);
    } else {
        cfg.users = (int)users;
        rc = serve(&cfg, &web);
    }
    mc_strv_free(&ports);
    mc_buf_free(&err);
    return rc;
}
