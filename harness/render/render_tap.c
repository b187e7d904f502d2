/*
 * render_tap — a saved report as TAP 14 with YAML diagnostics (render.h), one test point per
 * scenario in the report's order:
 *
 *   TAP version 14
 *   1..3
 *   ok 1 - pop3.session.greeting: the greeting is positive
 *   not ok 2 - peer.pop3.stat-ok: STAT answers +OK
 *     ---
 *     message: "expected a positive reply, got '-ERR nope'"
 *     severity: fail
 *     at: "tests/data/scenarios-peer/pop3-stat-ok.json:11:5"
 *     ...
 *   ok 3 - imap.noop.every-state # SKIP the target has no imap endpoint
 *
 * pass is `ok`; fail `not ok` with message, severity, at FILE:LINE:COLUMN, step, expected, got,
 * rfc, level and because; error `not ok` with severity error, cause and hint; skip and not_run
 * `ok ... # SKIP reason`; a known deviation `not ok ... # TODO known deviation: reason` (a
 * failure the harness does not count, as the profile accepts it). The transcript (per
 * --transcript, default: failed) is a `transcript` block in the YAML. Descriptions escape `\`
 * and `#` as TAP 14 says; YAML strings are double-quoted with escapes.
 *
 * Version: the document declares TAP 14 unless the options ask for 13, which changes only the
 * first line: everything else here is also TAP 13 (no subtests, no pragmas), so a TAP 13
 * consumer such as Perl's prove (Test::Harness 3.44 refuses "TAP version 14") reads the same
 * test points (docs/decisions.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"
#include "render/render.h"
#include "render/render_common.h"
#include "render/render_transcript.h"
#include "render/report_read.h"

#define TAP_YAML_INDENT "  "         /* TAP 14: the YAML block is indented by two spaces */
#define TAP_YAML_VALUE_INDENT "    " /* a block scalar's lines, under a key of the block */

/* A description or directive text on one line: controls become spaces; in a description,
   `\` and `#` are escaped (TAP 14, "Escaping"). */
static void tap_text(struct mc_buf *b, const char *s, bool description)
{
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f)
            mc_buf_append_char(b, ' ');
        else if (description && (ch == '\\' || ch == '#'))
            mc_buf_printf(b, "\\%c", ch);
        else
            mc_buf_append_char(b, (char)ch);
    }
}

/* A YAML double-quoted scalar: `"` and `\` escaped, non-printable characters as \xHH / \uHHHH
   (YAML 1.2 5.7), an octet that is not UTF-8 as \xHH (never raw). */
static void yaml_quoted(struct mc_buf *b, const char *s)
{
    mc_buf_append_char(b, '"');
    size_t len = s ? strlen(s) : 0, i = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = mc_utf8_decode(s + i, len - i, &cp);
        if (n == 0) {
            mc_buf_printf(b, "\\x%02x", (unsigned char)s[i++]);
            continue;
        }
        if (cp == '"' || cp == '\\')
            mc_buf_printf(b, "\\%c", (char)cp);
        else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            mc_buf_printf(b, "\\x%02x", (unsigned)cp);
        else if (cp == 0xfeff || cp == 0xfffe || cp == 0xffff)
            mc_buf_printf(b, "\\u%04x", (unsigned)cp);
        else
            mc_buf_append(b, s + i, n);
        i += n;
    }
    mc_buf_append_char(b, '"');
}

static void yaml_key(struct mc_buf *b, const char *key, const char *value)
{
    if (!value)
        return;
    mc_buf_printf(b, TAP_YAML_INDENT "%s: ", key);
    yaml_quoted(b, value);
    mc_buf_append_char(b, '\n');
}

/* A literal block scalar (`|`); its first line never starts with a space, since YAMLish
   readers take the block's indentation from it. Non-printable octets are shown as \xHH. */
static void yaml_block(struct mc_buf *b, const char *key, const char *first, const char *text)
{
    mc_buf_printf(b, TAP_YAML_INDENT "%s: |\n" TAP_YAML_VALUE_INDENT "%s\n", key, first);
    bool line_start = true;
    for (const char *p = text; p && *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (line_start)
            mc_buf_append_str(b, TAP_YAML_VALUE_INDENT);
        line_start = ch == '\n';
        if ((ch < 0x20 && ch != '\n') || ch == 0x7f)
            mc_buf_printf(b, "\\x%02x", ch);
        else
            mc_buf_append_char(b, (char)ch);
    }
    if (!line_start)
        mc_buf_append_char(b, '\n');
}

static void yaml_failure(struct mc_buf *b, const json_t *sc)
{
    const json_t *f = mc_rj_obj(sc, "failure");
    if (!f)
        return;
    struct mc_buf x = {0};
    mc_render_failure_at(sc, &x);
    yaml_key(b, "at", x.data);
    mc_buf_reset(&x);
    long long step = mc_rj_int(f, "step", -1);
    if (step >= 0)
        mc_buf_printf(&x, "%lld (%s)", step + 1, mc_rj_str(f, "label", "?"));
    else
        mc_buf_printf(&x, "implicit (%s)", mc_rj_str(f, "label", "?"));
    yaml_key(b, "step", x.data);
    char *expected = mc_render_expected_json(f);
    yaml_key(b, "expected", expected);
    free(expected);
    yaml_key(b, "got", mc_rj_str(f, "got", NULL));
    mc_buf_reset(&x);
    mc_rj_rfc_text(mc_rj_arr(f, "rfc"), &x);
    yaml_key(b, "rfc", x.len ? x.data : NULL);
    yaml_key(b, "level", mc_rj_str(f, "level", NULL));
    yaml_key(b, "because", mc_rj_str(f, "rationale", NULL));
    mc_buf_free(&x);
}

static void yaml_diagnostics(struct mc_buf *b, const json_t *sc, const char *outcome,
                             const struct mc_render_options *opts)
{
    bool bad = mc_render_is_bad(outcome);
    bool transcript = mc_render_wants_transcript(sc, opts->transcripts);
    size_t warnings = mc_render_warning_count(sc);
    if (!bad && !transcript && !warnings)
        return;
    mc_buf_append_str(b, TAP_YAML_INDENT "---\n");
    const json_t *f = mc_rj_obj(sc, "failure");
    const char *reason = mc_rj_str(sc, "reason", NULL);
    if (bad)
        yaml_key(b, "message",
                 strcmp(outcome, "fail") == 0 && f ? mc_rj_str(f, "why", reason) : reason);
    yaml_key(b, "severity", outcome);
    yaml_key(b, "file", mc_rj_str(sc, "file", NULL));
    if (strcmp(outcome, "error") == 0) {
        yaml_key(b, "cause", mc_rj_str(sc, "cause", NULL));
        yaml_key(b, "hint", mc_rj_str(sc, "hint", NULL));
    }
    if (bad)
        yaml_failure(b, sc);
    if (warnings) { /* soft checks below MUST: visible, but the test point stays ok */
        struct mc_buf w = {0}, first = {0};
        mc_render_warnings_block(sc, "", &w);
        mc_buf_printf(&first, "%zu soft check(s) below MUST failed (not a failure)", warnings);
        yaml_block(b, "warnings", first.data, w.data);
        mc_buf_free(&w);
        mc_buf_free(&first);
    }
    if (transcript) {
        struct mc_buf t = {0}, first = {0};
        mc_render_transcript(sc, NULL, &t);
        mc_buf_printf(&first, "scenario %s (C: the harness, S: the server, --: events)",
                      mc_rj_str(sc, "id", "?"));
        yaml_block(b, "transcript", first.data, t.data);
        mc_buf_free(&t);
        mc_buf_free(&first);
    }
    mc_buf_append_str(b, TAP_YAML_INDENT "...\n");
}

static void test_point(struct mc_buf *b, size_t number, const json_t *sc,
                       const struct mc_render_options *opts)
{
    const char *outcome = mc_rj_str(sc, "outcome", "?");
    const char *reason = mc_rj_str(sc, "reason", NULL);
    bool ok = strcmp(outcome, "pass") == 0 || strcmp(outcome, "skip") == 0 ||
              strcmp(outcome, "not_run") == 0;
    mc_buf_printf(b, "%s %zu - ", ok ? "ok" : "not ok", number);
    tap_text(b, mc_rj_str(sc, "id", "?"), true);
    if (mc_rj_str(sc, "title", NULL)) {
        mc_buf_append_str(b, ": ");
        tap_text(b, mc_rj_str(sc, "title", NULL), true);
    }
    if (strcmp(outcome, "skip") == 0 || strcmp(outcome, "not_run") == 0) {
        mc_buf_printf(b, " # SKIP %s", strcmp(outcome, "not_run") == 0 ? "not run: " : "");
        tap_text(b, reason ? reason : "?", false);
    } else if (strcmp(outcome, "deviation") == 0) {
        mc_buf_append_str(b, " # TODO known deviation: ");
        tap_text(b, reason ? reason : "?", false);
    }
    mc_buf_append_char(b, '\n');
    yaml_diagnostics(b, sc, outcome, opts);
}

/* A run that could not test the target, or was interrupted, is a failing test point of its
   own: the scenarios alone (all skipped or not run) would let a harness read the file as a
   pass. */
static void run_point(struct mc_buf *b, size_t number, const json_t *report)
{
    const char *verdict = mc_render_run_not_tested(report);
    if (!verdict)
        return;
    const json_t *run = mc_rj_obj(report, "run");
    mc_buf_printf(b, "not ok %zu - " MC_RENDER_RUN_TEST ": ", number);
    tap_text(b, mc_rj_str(run, "verdict_text", verdict), true);
    mc_buf_append_str(b, "\n  ---\n");
    yaml_key(b, "message", mc_rj_str(run, "verdict_text", verdict));
    yaml_key(b, "severity", "error");
    yaml_key(b, "verdict", verdict);
    yaml_key(b, "stopped", mc_rj_str(run, "stopped", NULL));
    mc_buf_printf(b, TAP_YAML_INDENT "exit_status: %lld\n" TAP_YAML_INDENT "...\n",
                  mc_rj_int(run, "exit_status", -1));
}

/* The counts are those of the test points above (the scenarios the report lists); a report
   whose own summary says otherwise (hand-edited) gets a comment saying so, never a
   contradiction (docs/decisions.md). */
static void closing_comments(struct mc_buf *b, const json_t *report)
{
    const json_t *run = mc_rj_obj(report, "run"), *target = mc_rj_obj(report, "target");
    struct mc_render_counts n, said;
    mc_render_count_outcomes(report, &n);
    mc_buf_printf(b,
                  "# %lld scenario(s) against %s: %lld passed, %lld failed, %lld known "
                  "deviation(s), %lld error(s), %lld skipped, %lld not run\n",
                  n.total, mc_rj_str(target, "name", mc_rj_str(target, "source", "?")), n.pass,
                  n.fail, n.deviation, n.error, n.skip, n.not_run);
    if (mc_render_summary_counts(report, &said) && memcmp(&said, &n, sizeof n) != 0)
        mc_buf_printf(b,
                      "# note: the report's summary says otherwise (%lld scenario(s): %lld "
                      "passed, %lld failed, %lld known deviation(s), %lld error(s), %lld skipped, "
                      "%lld not run); the counts here are of the test points above\n",
                      said.total, said.pass, said.fail, said.deviation, said.error, said.skip,
                      said.not_run);
    mc_buf_append_str(b, "# ");
    tap_text(b, mc_rj_str(run, "verdict_text", "?"), false);
    mc_buf_printf(b, " (exit %lld)\n", mc_rj_int(run, "exit_status", -1));
}

int mc_render_tap(FILE *out, const json_t *report, const struct mc_render_options *opts,
                  struct mc_buf *err)
{
    const struct mc_render_options fallback = {.transcripts = MC_TRANSCRIPTS_FAILED};
    if (!opts)
        opts = &fallback;
    int version = opts->tap_version ? opts->tap_version : MC_TAP_VERSION_DEFAULT;
    if (version != MC_TAP_VERSION_DEFAULT && version != MC_TAP_VERSION_COMPAT) {
        mc_buf_printf(err, "TAP version %d: this mailconform writes TAP %d or %d", version,
                      MC_TAP_VERSION_DEFAULT, MC_TAP_VERSION_COMPAT);
        return -1;
    }
    const json_t *scenarios = mc_rj_arr(report, "scenarios");
    size_t points = json_array_size(scenarios) + (mc_render_run_not_tested(report) ? 1 : 0);
    struct mc_buf b = {0};
    mc_buf_printf(&b, "TAP version %d\n", version);
    if (points == 0)
        mc_buf_append_str(&b, "1..0 # SKIP the report has no scenario\n");
    else
        mc_buf_printf(&b, "1..%zu\n", points);
    size_t i;
    const json_t *sc;
    json_array_foreach(scenarios, i, sc)
    {
        test_point(&b, i + 1, sc, opts);
        fwrite(b.data, 1, b.len, out); /* one scenario at a time: the buffer stays small */
        mc_buf_reset(&b);
    }
    run_point(&b, points, report);
    closing_comments(&b, report);
    fwrite(b.data, 1, b.len, out);
    mc_buf_free(&b);
    return 0;
}
