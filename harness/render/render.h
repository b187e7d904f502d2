/*
 * render — the renderings of a saved JSON report (docs/report-format.md, docs/cli.md
 * "report"): text (the console's rendering, to re-read a report later), JUnit XML and TAP 14
 * (for CI systems) and one self-contained HTML page (for people). Each format is one module
 * (render_text.c, render_junit.c, render_tap.c, render_html.c) reading the report through
 * report_read.h only; this header is what the command line calls.
 */
#ifndef MC_RENDER_RENDER_H
#define MC_RENDER_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "lib/buf.h"

enum mc_render_format { MC_RENDER_TEXT, MC_RENDER_JUNIT, MC_RENDER_TAP, MC_RENDER_HTML };

/* Which scenarios' transcripts a rendering shows (where the format shows any). */
enum mc_render_transcripts {
    MC_TRANSCRIPTS_FAILED, /* failed, error and deviation scenarios (the default) */
    MC_TRANSCRIPTS_ALL,
    MC_TRANSCRIPTS_NONE,
};

/* The TAP version the tap rendering declares (render_tap.c, docs/decisions.md). */
#define MC_TAP_VERSION_DEFAULT 14
#define MC_TAP_VERSION_COMPAT 13 /* the same document, for TAP 13 consumers (Perl's prove) */

struct mc_render_options {
    bool color; /* text: ANSI colours */
    enum mc_render_transcripts transcripts;
    int tap_version; /* tap: 14 or 13; 0 means MC_TAP_VERSION_DEFAULT */
};

/* "text", "junit", "tap", "html": 0 and *out set, or -1. */
int mc_render_format_parse(const char *name, enum mc_render_format *out);
/* The names, "text|junit|tap|html", for usage texts and messages. */
const char *mc_render_format_names(void);

/* Writes `report` (from mc_report_read) in format `f` to `out`. 0, or -1 with a message in
   err (a write error; a report the format cannot render). */
int mc_render(FILE *out, const json_t *report, enum mc_render_format f,
              const struct mc_render_options *opts, struct mc_buf *err);

/* One per format, as mc_render. */
int mc_render_text(FILE *out, const json_t *report, const struct mc_render_options *opts,
                   struct mc_buf *err);
int mc_render_junit(FILE *out, const json_t *report, const struct mc_render_options *opts,
                    struct mc_buf *err);
int mc_render_tap(FILE *out, const json_t *report, const struct mc_render_options *opts,
                  struct mc_buf *err);
int mc_render_html(FILE *out, const json_t *report, const struct mc_render_options *opts,
                   struct mc_buf *err);

#endif
