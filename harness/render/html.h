/*
 * html — what the modules of the HTML report share (render_html*.c): text and bytes written
 * safely into HTML, filter tokens, RFC links, outcome badges, count tables, and the limits of
 * what the page shows.
 *
 * Everything that comes from the report is written through mc_html_text (or mc_html_wire for
 * transcript bytes): nothing a server sent, nor any string of the report, reaches the page
 * unescaped. The page's own markup is written with fputs/fprintf.
 */
#ifndef MC_RENDER_HTML_H
#define MC_RENDER_HTML_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "render/render.h"

/* How much of a transcript the page shows; the JSON report has every byte. A page is read in
   a browser, which slows down past some megabytes of text: the whole suite's transcripts
   (108 scenarios, a 4 MiB report) make a 1.5 MiB page, and these budgets keep a scenario whose
   server floods to well under 1 MiB of page, however much the report holds. */
#define MC_HTML_ENTRY_SHOWN_MAX (8 * 1024)      /* octets of one transcript entry (a literal...) */
#define MC_HTML_SCENARIO_SHOWN_MAX (256 * 1024) /* octets of one scenario's transcript */
/* The failing step has a budget of its own, so that a flood earlier in the scenario never
   hides the lines that show the failure. */
#define MC_HTML_FAILING_STEP_SHOWN_MAX (64 * 1024)
/* Markup each shown entry costs, counted against the budgets with its bytes, so that a flood
   of one-octet entries is bounded as well. */
#define MC_HTML_ENTRY_OVERHEAD 64
/* Distinct hints listed per error cause in the summary. */
#define MC_HTML_HINTS_PER_CAUSE 3

/* The outcomes in the report's order (docs/report-format.md "Outcomes"), NULL-terminated. */
extern const char *const mc_html_outcomes[];

/* Text escaped for element content and quoted attribute values (& < > " '); NULL writes
   nothing. */
void mc_html_text(FILE *f, const char *s);
void mc_html_textn(FILE *f, const char *s, size_t n);
/* Bytes from the wire, every octet kept: printable text as it is (a backslash too, so IMAP's
   \Seen reads as on the wire), each unprintable octet or octet of ill-formed UTF-8 as
   <span class="esc">\xHH</span>, set apart by its style so it is never taken for text. */
void mc_html_wire(FILE *f, const char *s, size_t n);
/* A filter token (data-* attributes, option values, the URL fragment): s percent-encoded as
   JavaScript's encodeURIComponent does, so that tokens never hold a space or a comma. */
void mc_html_token(FILE *f, const char *s);
/* An id attribute's value: prefix and s, whitespace turned into '_', escaped. */
void mc_html_id(FILE *f, const char *prefix, const char *s);
/* <span class="badge o-OUTCOME">OUTCOME</span> */
void mc_html_badge(FILE *f, const char *outcome);
/* A link to the RFC (and section) at the RFC Editor; links are never fetched by the page. */
void mc_html_rfc_link(FILE *f, long long rfc, const char *section);
/* The links of an array of {"rfc", "section"}, comma-separated; "none" when empty. */
void mc_html_rfc_links(FILE *f, const json_t *refs);
/* A short name of an RFC the scenarios cite ("POP3", "IMAP4rev1"), or NULL. */
const char *mc_html_rfc_name(long long rfc);
/* The string items of a JSON array as <ul class="caps">; `empty` when there are none. */
void mc_html_list(FILE *f, const json_t *arr, const char *empty);

/* The keys of an object, sorted (strcmp); the caller frees the array, not the keys. */
const char **mc_html_sorted_keys(const json_t *obj, size_t *count);
/* The failing step's expectation (as written in the scenario) beside what came (`got`). */
void mc_html_compare(FILE *f, const json_t *failure);

/* A table of COUNTS objects (docs/report-format.md "summary"): one row per member of `by`,
   its key written by key_cell (mc_html_text when NULL), a column per outcome and the total. */
void mc_html_counts_table(FILE *f, const char *caption, const char *key_head, const json_t *by,
                          void (*key_cell)(FILE *f, const char *key));

/* The sections of the page, one module each. */
void mc_html_summary(FILE *f, const json_t *report);   /* render_html_summary.c */
void mc_html_endpoints(FILE *f, const json_t *report); /* render_html_endpoints.c */
void mc_html_scenarios(FILE *f, const json_t *report,
                       const struct mc_render_options *opts); /* render_html_scenario.c */
/* One scenario's steps, with its transcript when `wire` (render_html_transcript.c). */
void mc_html_transcript(FILE *f, const json_t *scenario, bool wire);

#endif
