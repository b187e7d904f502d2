/*
 * report — the JSON report, written as the run goes (docs/report-format.md).
 *
 * A report sink takes each scenario as soon as it finished: its JSON is written to a spool file
 * (beside the report, unlinked at once, so nothing is left behind) and the runner can free its
 * transcript (mc_run_options.report). At the end mc_report_sink_finish writes the report: the
 * run's header (summary, capabilities), then the scenarios copied from the spool in plan order,
 * byte for byte what one jansson dump of the whole document would print, to PATH.tmp, synced
 * and renamed over PATH (or to standard output for "-"). A run's memory no longer grows with
 * its transcripts: only the scenario being written is held as JSON, and its transcript entries
 * one at a time.
 */
#ifndef MC_ENGINE_REPORT_H
#define MC_ENGINE_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "engine/result.h"

struct mc_report_sink;

/* A sink for the report at `path` ("-": standard output). NULL with a message in err when its
   spool file cannot be created (the report's folder does not exist, ...). */
struct mc_report_sink *mc_report_sink_open(const char *path, struct mc_buf *err);
/* Writes the finished scenario at `pos` of the plan; its transcript may be freed afterwards.
   A failure (a model that points nowhere, a full disk) is kept: mc_report_sink_finish reports
   it, and no report is written. */
void mc_report_sink_scenario(struct mc_report_sink *s, const struct mc_scenario_result *sr,
                             size_t pos);
/* Writes the report for `run`: scenarios not written yet are written from `run` first (their
   transcripts must still be there). 0, or -1 with a message (nothing written, or the previous
   report left in place). Frees the sink either way. */
int mc_report_sink_finish(struct mc_report_sink *s, const struct mc_run_result *run,
                          struct mc_buf *err);
/* Drops the sink without writing a report. */
void mc_report_sink_free(struct mc_report_sink *s);

/* One finished scenario as the report holds it: the same object mc_report_sink_scenario
   writes, transcript entries included (secrets masked as they were recorded, engine/redact.h),
   for the renderings of a scenario while the run goes on (render/render_transcript.h: `run
   --transcript`, `explain`). Its transcript must still be there: call it from
   mc_run_options.finished, before the runner frees it. The caller owns the value; NULL with a
   message in err when the model points nowhere or the transcript was freed. */
json_t *mc_report_scenario_json(const struct mc_scenario_result *sr, struct mc_buf *err);

#endif
