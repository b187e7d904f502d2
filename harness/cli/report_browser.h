/*
 * report_browser — `mailconform serve --http ADDR --reports DIR`: a small, read-only web
 * server (libevent's evhttp) over a folder of JSON reports, for a QA team that keeps its runs
 * in one place. It lists the reports in DIR (target, date, verdict, counts), shows each as the
 * HTML report (render/render_html.c, rendered from the file when asked), offers the JSON file
 * itself, and compares any two (render/diff.c).
 *
 * It is confined and bounded: only plain `*.json` file names directly in DIR are served, each
 * opened relative to DIR without following symbolic links; only GET and HEAD; bounded
 * requests and connections (browser_guard.h) and reports (MC_BROWSER_RENDER_MAX, since pages
 * are made in the event loop); answers that forbid every fetch (Content-Security-Policy); bound to
 * a loopback address unless the caller allows another, and then as now it checks the Host header of
 * a loopback listener so that a web page cannot reach it by DNS rebinding.
 */
#ifndef MC_CLI_REPORT_BROWSER_H
#define MC_CLI_REPORT_BROWSER_H

#include <event2/event.h>
#include <stdbool.h>

#include "lib/buf.h"

struct mc_report_browser;

/* Listens on `addr` ("PORT", "HOST:PORT", "[V6]:PORT"; port 0 picks a free one) and serves
   the reports in `dir`. A non-loopback address is refused unless `public_ok`. The URL it
   answers at goes to `url`. NULL with a message in err. */
struct mc_report_browser *mc_report_browser_start(struct event_base *base, const char *addr,
                                                  const char *dir, bool public_ok,
                                                  struct mc_buf *url, struct mc_buf *err);
void mc_report_browser_stop(struct mc_report_browser *b);

#endif
