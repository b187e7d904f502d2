/*
 * render_transcript — a scenario's transcript from a saved report, as lines for people
 * (report --format text, the JUnit <system-out>, the TAP YAML block; docs/report-format.md
 * "transcript"):
 *
 *   ---- step 2: send STAT [fail]
 *       0.006 a        C: STAT
 *       0.006 a        S: -ERR nope
 *
 * One line per wire line: time, session ("fixture" for the fixture connection), `C:` for what
 * the harness sent, `S:` for the server, `--` for events. A boundary line opens each step (its
 * number in the scenario file, or "implicit", its label and outcome), placed where the step's
 * `transcript` range starts; entries no step claims are shown where they fall. `base64`
 * entries are decoded; every line is escaped like the report's `got` (lib/escape.c: NUL and
 * control characters as \xHH), CRLF line ends dropped and a bare LF marked. A line longer than
 * the width is cut with a mark saying how many octets were left out, and a scenario whose
 * transcript reached the harness's budget ends with a line saying so.
 */
#ifndef MC_RENDER_TRANSCRIPT_H
#define MC_RENDER_TRANSCRIPT_H

#include <jansson.h>

#include "lib/buf.h"

/* Octets of one wire line shown before it is cut (a screenful of a long IMAP line). */
#define MC_TRANSCRIPT_WIDTH_DEFAULT 300

struct mc_transcript_style {
    const char *indent; /* before every line; NULL: none */
    size_t width;       /* octets of a wire line shown; 0: MC_TRANSCRIPT_WIDTH_DEFAULT */
};

/* Appends the scenario's transcript to out, one '\n'-terminated line each. A scenario without
   entries gives one line saying so. */
void mc_render_transcript(const json_t *scenario, const struct mc_transcript_style *style,
                          struct mc_buf *out);

#endif
