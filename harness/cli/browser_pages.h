/*
 * browser_pages — the pages of the report browser (report_browser.h): the list of the
 * reports in the folder (each summarised once and remembered while the file is unchanged),
 * a report as the HTML report, the comparison of two, and a page for a problem. The routes,
 * the confinement to the folder and the HTTP side are in report_browser.c.
 */
#ifndef MC_CLI_BROWSER_PAGES_H
#define MC_CLI_BROWSER_PAGES_H

#include <stdbool.h>

#include "lib/buf.h"

#define MC_BROWSER_FILES_MAX 1000 /* reports listed from one folder (the newest are kept) */
#define MC_BROWSER_NAME_MAX 255   /* NAME_MAX: a file name directly in the folder */
/* The largest report the browser parses (to list, show or compare it). Pages are made in the
   one event loop, so while a report is parsed and rendered nobody else is answered; parsing
   takes several times the file's size in memory. A larger report (up to MC_REPORT_FILE_MAX)
   is listed as too large and left to `mailconform report`; /raw/ still sends it. */
#define MC_BROWSER_RENDER_MAX ((long long)256 << 20) /* 256 MiB */
#define MC_BROWSER_TOO_LARGE "too large to render here: use `mailconform report`"

struct mc_report_browser;
struct mc_browser_cache;

/* Is `name` a report's file name the browser may open (a plain *.json name in the folder)? */
bool mc_browser_name_ok(const char *name);
/* Opens report `name` in the browser's folder (no symbolic link, a regular file): a
   descriptor, or -1 with a message. */
int mc_browser_open(const struct mc_report_browser *b, const char *name, struct mc_buf *err);

struct mc_browser_cache *mc_browser_cache_new(void);
void mc_browser_cache_free(struct mc_browser_cache *c);

/* Is the open report `fd` too large to parse here (MC_BROWSER_RENDER_MAX)? Then a message
   naming `name` goes to err. */
bool mc_browser_too_large(int fd, const char *name, struct mc_buf *err);

void mc_browser_page_list(struct mc_buf *out, struct mc_browser_cache *c, int dir_fd,
                          const char *dir);
/* 0, or -1 with a message (not a report; the rendering failed). */
int mc_browser_page_report(struct mc_buf *out, int fd, const char *name, struct mc_buf *err);
int mc_browser_page_diff(struct mc_buf *out, int old_fd, const char *old_name, int new_fd,
                         const char *new_name, struct mc_buf *err);
void mc_browser_page_problem(struct mc_buf *out, int code, const char *reason, const char *message);

#endif
