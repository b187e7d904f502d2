/*
 * transcript_view — a scenario's transcript for people, in RFC style and step by step.
 *
 * It prints the transcript of one finished scenario (the engine's struct mc_scenario_result,
 * before its transcript is freed) as `C:` / `S:` lines, each naming its session ("fixture" for
 * the fixtures' connection), grouped by step: a boundary line per step with its number, label
 * and outcome, then the lines that crossed the wire while it ran. Bytes the transcript holds
 * outside every step (unsolicited data between steps) are shown where they came. `run
 * --transcript` and `explain` use it; explain puts its own words around each step through the
 * `step` hook. The layout is the one render/render_transcript.c gives a saved report (`report
 * --format text`), so a transcript reads the same live and re-read; the two differ in what they
 * read (this one the engine's memory, that one the JSON) and in the run-of-lines cut below,
 * which a saved report leaves to its reader.
 *
 * Nothing is cut silently. Every octet is shown as lib/escape.h writes it (a NUL as \x00); a
 * line longer than MC_TV_LINE_BYTES octets is cut with "[... N more octet(s) cut]"; a run of more
 * than MC_TV_BLOCK_LINES lines from one side of one session (a message body, a long literal, a
 * multi-line reply) keeps its head and tail with "[... N line(s) (M octet(s)) left out]"
 * between; a line that ends in a bare LF ("[LF without CR]"), or does not end, says so; and a
 * transcript the harness cut at its budget (the report's transcript_truncated) ends with a line
 * that says so.
 */
#ifndef MC_CLI_TRANSCRIPT_VIEW_H
#define MC_CLI_TRANSCRIPT_VIEW_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/result.h"

/* Octets of one line shown before it is cut: a whole SMTP reply line (RFC 5321 4.5.3.1.5: 512)
   would not fit a terminal anyway; 200 keeps every ordinary command and reply whole. */
#define MC_TV_LINE_BYTES 200
/* Lines of one run from one side shown whole: a three-line test message and its headers, a
   CAPA or EHLO list; longer runs keep MC_TV_BLOCK_HEAD lines, the mark, MC_TV_BLOCK_TAIL lines
   (the tail holds the end of the reply: ".", the tagged line, the last "250 "). */
#define MC_TV_BLOCK_LINES 24
#define MC_TV_BLOCK_HEAD 18
#define MC_TV_BLOCK_TAIL 4

struct mc_tv_style {
    const char *indent; /* before every line */
    bool times;         /* seconds since the scenario started, before the first line of a run */
    /* Called for each step result (index into r->steps): before its lines (after == false) and
       after them (after == true). NULL: the default boundary line before, nothing after. */
    void (*step)(void *arg, FILE *out, const struct mc_scenario_result *r, size_t step, bool after);
    void *arg;
};

/* The whole transcript, step by step. Prints one line saying so when it was not kept. */
void mc_transcript_print(FILE *out, const struct mc_scenario_result *r,
                         const struct mc_tv_style *style);
/* The default boundary line of step result `step`: "--- step 2 (send STAT): pass". */
void mc_transcript_print_boundary(FILE *out, const struct mc_scenario_result *r, size_t step,
                                  const struct mc_tv_style *style);

#endif
