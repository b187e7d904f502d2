/*
 * transcript — a scenario's transcript, kept within a byte budget.
 *
 * Every byte each side sends is appended to the scenario result's transcript as it happens
 * (run_scenario.c's `record` hook), until the transcript holds MC_TRANSCRIPT_BYTES_MAX: from
 * then on nothing more is stored, and one event entry says how many octets were left out. A
 * single entry that would cross the budget (a long literal) is cut there. The result says the
 * transcript was truncated (`transcript_truncated`, written in the report), so a reader knows
 * the rest of the dialogue is missing, not absent. Each entry counts with what storing it costs
 * beyond its octets, so the budget bounds memory, not just payload.
 */
#ifndef MC_ENGINE_TRANSCRIPT_H
#define MC_ENGINE_TRANSCRIPT_H

#include <stddef.h>

#include "engine/result.h"

/* Harness safety limit on what one scenario's transcript holds; no RFC is involved. A
   conformance scenario's whole transcript is a few kilobytes; 16 MiB still keeps the start of
   a 60 MiB literal, and a server that floods -j sessions at once cannot make the harness (or
   its report) grow without bound. */
#define MC_TRANSCRIPT_BYTES_MAX (16u * 1024u * 1024u)
/* What storing one entry costs beyond its octets: its slot (32 octets, up to twice that while
   the array grows), the allocation header and rounding, the NUL. */
#define MC_TRANSCRIPT_ENTRY_OVERHEAD 96u

/* The budget of one scenario's transcript. Zeroed before the first entry. */
struct mc_transcript_budget {
    size_t bytes;   /* held by the transcript, overhead included */
    size_t dropped; /* octets not stored once it was full */
    size_t marker;  /* the event entry that says so */
};

/* Appends one entry (t: seconds since the scenario started), or what fits of it. */
void mc_transcript_add(struct mc_scenario_result *res, struct mc_transcript_budget *b, double t,
                       int session, enum mc_transcript_dir dir, const char *data, size_t len);
/* The scenario is over: the truncation event (if any) says the final count. */
void mc_transcript_close(struct mc_scenario_result *res, struct mc_transcript_budget *b);

#endif
