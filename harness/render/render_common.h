/*
 * render_common — what several renderings of a saved report share: the scenario's protocol
 * group (JUnit suites, summaries), whose transcript a rendering shows, the failure block
 * ("FILE:LINE:COL: step N (LABEL)", expected, got, why, required by, because) that the text
 * and JUnit renderings print alike, escaping for XML 1.0 text and attributes, and the ANSI
 * colours of the text renderings, the filter that keeps a report's or a scenario's text from
 * driving a terminal, and the outcome counts of a report.
 * Everything reads the report leniently (report_read.h): a missing key is an absent line, never
 * a crash.
 */
#ifndef MC_RENDER_COMMON_H
#define MC_RENDER_COMMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "lib/buf.h"
#include "render/render.h"

/* The group of a scenario by its sessions' protocols: the one protocol they all use ("imap"),
   MC_RENDER_CROSS when they use several, MC_RENDER_NO_PROTOCOL when it has no session. */
#define MC_RENDER_CROSS "cross"
#define MC_RENDER_NO_PROTOCOL "none"
const char *mc_render_protocol_group(const json_t *scenario);

/* Does the rendering show this scenario's transcript under `which`? (FAILED: fail, error,
   deviation.) */
bool mc_render_wants_transcript(const json_t *scenario, enum mc_render_transcripts which);

/* The run's verdict when it says the target was not (fully) tested — "untested" (exit 3:
   set-up errors, everything skipped, too many skips) or "interrupted" — else NULL. CI
   renderings add a failing test for it, so a run that tested nothing never reads green. */
const char *mc_render_run_not_tested(const json_t *report);
#define MC_RENDER_RUN_TEST "run-verdict" /* the name of that test */

/* fail, error or deviation: a scenario whose failure (if any) is worth showing. */
bool mc_render_is_bad(const char *outcome);

/* The failing step as lines, each starting with `indent` (the location line) or `indent`
   plus two spaces (the rest):
     FILE:LINE:COL: step N (LABEL)
       expected: {"ok":true}
       got:      -ERR no
       why:      ...
       required by: RFC 1939 section 5 (MUST)
       because:  ...
   Nothing when the scenario has no `failure`. */
void mc_render_failure_block(const json_t *scenario, const char *indent, struct mc_buf *out);
/* The scenario's warnings (soft steps below MUST that failed, docs/report-format.md), each as
   a failure block led by "warning (soft check, LEVEL, not a failure): "; nothing if none. */
void mc_render_warnings_block(const json_t *scenario, const char *indent, struct mc_buf *out);
size_t mc_render_warning_count(const json_t *scenario);

/* "FILE:LINE:COL" of the failing step (FILE alone for an implicit step), appended to out. */
void mc_render_failure_at(const json_t *scenario, struct mc_buf *out);
/* The failure's `expected` as compact JSON (caller frees), NULL when it has none. */
char *mc_render_expected_json(const json_t *failure);

/* Appends s[0..len) as XML 1.0 character data (attribute: also for a double-quoted
   attribute value, with tab, CR and LF as character references so they survive attribute
   normalisation). Characters XML 1.0 forbids (C0 controls other than tab, CR, LF; DEL and C1
   controls, which it discourages; U+FFFE, U+FFFF) and octets that are not well-formed UTF-8
   become the report's escaped form \xHH, so the output is always well-formed UTF-8 XML. */
void mc_render_xml_escape(struct mc_buf *out, const char *s, size_t len, bool attribute);
void mc_render_xml_escape_str(struct mc_buf *out, const char *s, bool attribute);

/* The ANSI colours of the text renderings (the console's: harness/cli/output.c): the sequence
   for "red", "green", "yellow", "cyan", "dim", "bold" or "reset", or "" when `on` is false or
   the name is unknown. */
const char *mc_render_color(const char *name, bool on);
/* The length of the colour sequence s[0..len) starts with (one mc_render_color gives), else 0:
   a filter that escapes every other control sequence lets these pass. */
size_t mc_render_color_at(const char *s, size_t len);

/* Writes s[0..len) for a terminal. A report or a scenario may come from anyone: control
   characters in its strings (an ESC starting a terminal sequence, a CR, a tab, C1 controls
   in UTF-8) are written as \xHH, so showing them never drives the terminal; a newline stays,
   and so do our own colour sequences (mc_render_color) when `color` is on. */
void mc_render_terminal_write(FILE *out, const char *s, size_t len, bool color);

/* The scenarios of a report counted by outcome, as the report lists them. */
struct mc_render_counts {
    long long total, pass, fail, deviation, error, skip, not_run;
};
void mc_render_count_outcomes(const json_t *report, struct mc_render_counts *out);
/* The same counts as the report's own `summary` says them; false when it has none. */
bool mc_render_summary_counts(const json_t *report, struct mc_render_counts *out);

/* A duration or time in seconds as a decimal ("0.005912"); negative, NaN or infinite -> 0. */
void mc_render_seconds(struct mc_buf *out, double s);

#endif
