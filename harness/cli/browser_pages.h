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

struct mc_report_browser;
struct mc_browser_cache;

/* Is `name` a report's file name the browser may open (a plain *.json name in the folder)? */
bool mc_browser_name_ok(const char *name);
/* Opens report `name` in the browser's folder (no symbolic link, a regular file): a
   descriptor, or -1 with a message. */
int mc_browser_open(const struct mc_report_browser *b, const char *name, struct mc_buf *err);

struct mc_browser_cache *mc_browser_cache_new(void);
void mc_browser_cache_free(struct mc_browser_cache *c);

void mc_browser_page_list(struct mc_buf *out, struct mc_browser_cache *c, int dir_fd,
                          const char *dir);
/* 0, or -1 with a message (not a report; the rendering failed). */
int mc_browser_page_report(struct mc_buf *out, int fd, const char *name, struct mc_buf *err);
int mc_browser_page_diff(struct mc_buf *out, int old_fd, const char *old_name, int new_fd,
                         const char *new_name, struct mc_buf *err);
void mc_browser_page_problem(struct mc_buf *out, int code, const char *reason, const char *message);

#endif
