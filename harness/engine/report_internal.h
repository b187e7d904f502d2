/*
 * report_internal — what report_json.c (a scenario's values), report_header.c (the run's
 * values) and report_stream.c (writing them) share. Not for use outside those files.
 */
#ifndef MC_ENGINE_REPORT_INTERNAL_H
#define MC_ENGINE_REPORT_INTERNAL_H

#include <jansson.h>

#include "engine/result.h"

/* How every value is printed (docs/report-format.md: indented by 2, keys in order). */
#define MC_REPORT_DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

/* Small jansson helpers shared by report_json.c (a scenario's values) and report_header.c (the
   run's): allocation failure aborts, as everywhere in the harness. */
json_t *mc_report_jx(json_t *v);                              /* v, never NULL */
void mc_report_jset(json_t *obj, const char *key, json_t *v); /* obj[key] = v (stolen) */
void mc_report_jpush(json_t *arr, json_t *v);                 /* append v (stolen) */
/* Text for people: each ill-formed UTF-8 octet as U+FFFD; null for NULL. */
json_t *mc_report_text(const char *s);
json_t *mc_report_seconds(double s);             /* relative seconds, rounded to 1 us */
json_t *mc_report_time(double epoch);            /* "2026-11-23T10:00:00.123Z" */
const char *mc_report_level(int level);          /* "MUST"..., NULL outside the enum */
json_t *mc_report_strv(const struct mc_strv *v); /* an array of texts */

/* Appends a message to err (when non-NULL); returns -1. */
int mc_report_error(struct mc_buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The scenario at `pos` of the plan, every key but the transcript's entries: its last member
   is "transcript": [], to be filled with mc_report_transcript_entry. NULL with a message when
   the model points nowhere (a bad session or step index, transcript range or entry, ...). */
json_t *mc_report_scenario(const struct mc_scenario_result *sr, size_t pos, struct mc_buf *err);
/* Entry i of a transcript mc_report_scenario accepted. */
json_t *mc_report_transcript_entry(const struct mc_scenario_result *sr, size_t i);
/* The document without its scenarios: the last member is "scenarios": []. Every scenario must
   have been accepted by mc_report_scenario (the summary counts their outcomes and levels). */
json_t *mc_report_header(const struct mc_run_result *run);

#endif
