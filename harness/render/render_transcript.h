/*
 * render_transcript — a scenario's transcript for people, in the RFCs' style and step by step:
 * the one transcript printer of mailconform. It reads one scenario object of the JSON report
 * (docs/report-format.md "transcript") and serves every text that shows a transcript: `report
 * --format text`, the JUnit <system-out>, the TAP YAML block, and, live, `run --transcript` and
 * `explain` (harness/cli builds the same object from the finished scenario with
 * mc_report_scenario_json, engine/report.h, and hands it here), so a transcript reads the same
 * live and re-read:
 *
 *   ---- step 2: send STAT [fail]
 *      0.006 a        C: STAT
 *      0.006 a        S: -ERR nope
 *
 * One line per wire line: the time in seconds since the scenario started, the session
 * ("fixture" for the fixtures' connection), `C:` for what the harness sent, `S:` for the
 * server, `--` for events. A boundary line opens each step (its number in the scenario file, or
 * "implicit", its label and outcome), placed where the step's `transcript` range starts;
 * entries no step claims are shown where they fall, under "---- outside any step" (or "----
 * after the last step"). A run of entries from one side of one session is cut into lines as one
 * stream (a line may span an IMAP literal and the line after it); a line shows the time when it
 * opens the run or its entry came at another time than the one shown last.
 *
 * Nothing is cut silently; the report keeps every byte, these texts show a bounded view. Every
 * octet is shown as lib/escape.h writes it (a NUL as \x00), except that a backslash stays single
 * where no `x` or backslash follows (IMAP's \Seen reads as itself); a line longer than the width
 * is cut with "[... N more octet(s) cut]" (never inside a UTF-8 character); a run of more than
 * MC_TRANSCRIPT_RUN_LINES lines (a message body, a long literal, a long reply) keeps its first
 * MC_TRANSCRIPT_RUN_HEAD and last MC_TRANSCRIPT_RUN_TAIL lines with "[... N line(s) (M
 * octet(s)) left out]" between; a bare LF ("[LF without CR]") and a missing line end ("[no line
 * end]") are said; and a scenario whose transcript reached the harness's budget ends with a
 * line saying so.
 */
#ifndef MC_RENDER_TRANSCRIPT_H
#define MC_RENDER_TRANSCRIPT_H

#include <jansson.h>
#include <stdbool.h>

#include "lib/buf.h"

/* Octets of one wire line shown before it is cut: every ordinary command and reply stays whole,
   and a line never wraps twice on a terminal (an SMTP reply line may reach 512, RFC 5321
   4.5.3.1.5, and an IMAP line has no limit). */
#define MC_TRANSCRIPT_WIDTH_DEFAULT 200
/* Lines of one run shown whole: a three-line test message and its headers, a CAPA or EHLO list.
   A longer run keeps its first MC_TRANSCRIPT_RUN_HEAD lines, the mark, and its last
   MC_TRANSCRIPT_RUN_TAIL (they hold the end of the reply: ".", the tagged line, the last
   "250 "). */
#define MC_TRANSCRIPT_RUN_LINES 24
#define MC_TRANSCRIPT_RUN_HEAD 18
#define MC_TRANSCRIPT_RUN_TAIL 4

/* Called for the step at `pos` of the scenario's `steps`, before its lines (after == false) and
   after them (after == true); it may append to out, and may take what out holds so far (write
   it out and reset out) before writing elsewhere. */
typedef void (*mc_transcript_step_fn)(void *arg, struct mc_buf *out, const json_t *step, size_t pos,
                                      bool after);

struct mc_transcript_style {
    const char *indent; /* before every line; NULL: none */
    size_t width;       /* octets of a wire line shown; 0: MC_TRANSCRIPT_WIDTH_DEFAULT */
    bool hide_times;    /* no time column (explain: its steps say when) */
    bool color;         /* ANSI colours (render_common.h's): C: cyan, marks yellow, ... */
    /* NULL: the boundary line before each step, nothing after. Otherwise step() instead. */
    mc_transcript_step_fn step;
    void *arg;
};

/* Appends the scenario's transcript to out, one '\n'-terminated line each. A scenario without
   entries gives one line saying so. style may be NULL (the defaults). */
void mc_render_transcript(const json_t *scenario, const struct mc_transcript_style *style,
                          struct mc_buf *out);

#endif
