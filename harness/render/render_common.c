/*
 * render_common — helpers several renderings share (render_common.h).
 */
#include "render/render_common.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"
#include "render/report_read.h"

const char *mc_render_protocol_group(const json_t *scenario)
{
    const char *group = NULL;
    size_t i;
    const json_t *session;
    json_array_foreach(mc_rj_arr(scenario, "sessions"), i, session)
    {
        const char *p = mc_rj_str(session, "protocol", NULL);
        if (!p)
            continue;
        if (group && strcmp(group, p) != 0)
            return MC_RENDER_CROSS;
        group = p;
    }
    return group ? group : MC_RENDER_NO_PROTOCOL;
}

bool mc_render_is_bad(const char *outcome)
{
    return outcome && (strcmp(outcome, "fail") == 0 || strcmp(outcome, "error") == 0 ||
                       strcmp(outcome, "deviation") == 0);
}

bool mc_render_wants_transcript(const json_t *scenario, enum mc_render_transcripts which)
{
    if (which == MC_TRANSCRIPTS_NONE)
        return false;
    if (which == MC_TRANSCRIPTS_ALL)
        return true;
    return mc_render_is_bad(mc_rj_str(scenario, "outcome", NULL));
}

/* FILE:LINE:COLUMN of a failed step object (a failure or a warning). */
static void step_at(const json_t *scenario, const json_t *f, struct mc_buf *out)
{
    mc_buf_append_str(out, mc_rj_str(scenario, "file", "?"));
    long long line = mc_rj_int(f, "line", -1), column = mc_rj_int(f, "column", -1);
    if (line >= 0)
        mc_buf_printf(out, ":%lld", line);
    if (line >= 0 && column >= 0)
        mc_buf_printf(out, ":%lld", column);
}

void mc_render_failure_at(const json_t *scenario, struct mc_buf *out)
{
    step_at(scenario, mc_rj_obj(scenario, "failure"), out);
}

char *mc_render_expected_json(const json_t *failure)
{
    const json_t *e = json_object_get(failure, "expected");
    if (!e || json_is_null(e))
        return NULL;
    return json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* "RFC 1939 section 5 (MUST)" */
static void required_by(const json_t *f, struct mc_buf *out)
{
    const json_t *refs = mc_rj_arr(f, "rfc");
    if (json_array_size(refs))
        mc_rj_rfc_text(refs, out);
    else
        mc_buf_append_str(out, "(no RFC cited)");
    mc_buf_printf(out, " (%s)", mc_rj_str(f, "level", "?"));
}

/* One failed step object: where, what was expected and came, why, and who requires it. */
static void failed_step_block(const json_t *scenario, const json_t *f, const char *indent,
                              const char *lead, struct mc_buf *out)
{
    long long step = mc_rj_int(f, "step", -1);
    const char *label = mc_rj_str(f, "label", "?");
    mc_buf_append_str(out, indent);
    mc_buf_append_str(out, lead);
    step_at(scenario, f, out);
    if (step >= 0)
        mc_buf_printf(out, ": step %lld (%s)\n", step + 1, label);
    else
        mc_buf_printf(out, ": %s\n", label);
    char *expected = mc_render_expected_json(f);
    if (expected)
        mc_buf_printf(out, "%s  expected: %s\n", indent, expected);
    free(expected);
    const char *got = mc_rj_str(f, "got", NULL);
    if (got)
        mc_buf_printf(out, "%s  got:      %s\n", indent, got);
    mc_buf_printf(out, "%s  why:      %s\n", indent, mc_rj_str(f, "why", ""));
    mc_buf_printf(out, "%s  required by: ", indent);
    required_by(f, out);
    mc_buf_append_char(out, '\n');
    const char *because = mc_rj_str(f, "rationale", NULL);
    if (because)
        mc_buf_printf(out, "%s  because:  %s\n", indent, because);
}

void mc_render_failure_block(const json_t *scenario, const char *indent, struct mc_buf *out)
{
    const json_t *f = mc_rj_obj(scenario, "failure");
    if (f)
        failed_step_block(scenario, f, indent, "", out);
}

size_t mc_render_warning_count(const json_t *scenario)
{
    return json_array_size(mc_rj_arr(scenario, "warnings"));
}

void mc_render_warnings_block(const json_t *scenario, const char *indent, struct mc_buf *out)
{
    const json_t *warnings = mc_rj_arr(scenario, "warnings");
    for (size_t i = 0; i < json_array_size(warnings); i++) {
        const json_t *w = json_array_get(warnings, i);
        if (!json_is_object(w))
            continue;
        char lead[64];
        snprintf(lead, sizeof lead,
                 "warning (soft check, %s, not a failure): ", mc_rj_str(w, "level", "?"));
        failed_step_block(scenario, w, indent, lead, out);
    }
}

/* May code point cp stand in XML 1.0 text as it is? (XML 1.0 2.2 Char, less the
   discouraged DEL and C1 controls.) */
static bool xml_char_ok(uint32_t cp)
{
    if (cp < 0x20)
        return cp == '\t' || cp == '\n' || cp == '\r';
    if (cp >= 0x7f && cp <= 0x9f)
        return false;
    return cp != 0xfffe && cp != 0xffff;
}

void mc_render_xml_escape(struct mc_buf *out, const char *s, size_t len, bool attribute)
{
    size_t i = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = mc_utf8_decode(s + i, len - i, &cp);
        if (n == 0 || !xml_char_ok(cp)) {
            size_t bad = n ? n : 1;
            for (size_t k = 0; k < bad; k++)
                mc_buf_printf(out, "\\x%02x", (unsigned char)s[i + k]);
            i += bad;
            continue;
        }
        switch (cp) {
        case '&':
            mc_buf_append_str(out, "&amp;");
            break;
        case '<':
            mc_buf_append_str(out, "&lt;");
            break;
        case '>':
            mc_buf_append_str(out, "&gt;");
            break;
        case '"':
            mc_buf_append_str(out, attribute ? "&quot;" : "\"");
            break;
        case '\t':
        case '\n':
        case '\r':
            if (attribute || cp == '\r')
                mc_buf_printf(out, "&#%u;", (unsigned)cp);
            else
                mc_buf_append_char(out, (char)cp);
            break;
        default:
            mc_buf_append(out, s + i, n);
        }
        i += n;
    }
}

void mc_render_xml_escape_str(struct mc_buf *out, const char *s, bool attribute)
{
    if (s)
        mc_render_xml_escape(out, s, strlen(s), attribute);
}

void mc_render_seconds(struct mc_buf *out, double s)
{
    if (!isfinite(s) || s < 0)
        s = 0;
    mc_buf_printf(out, "%.6f", s);
}

static const struct {
    const char *name, *seq;
} render_colors[] = {{"red", "\033[31m"},  {"green", "\033[32m"}, {"yellow", "\033[33m"},
                     {"cyan", "\033[36m"}, {"dim", "\033[2m"},    {"bold", "\033[1m"},
                     {"reset", "\033[0m"}};
#define RENDER_COLOR_COUNT (sizeof render_colors / sizeof render_colors[0])

const char *mc_render_color(const char *name, bool on)
{
    for (size_t i = 0; on && i < RENDER_COLOR_COUNT; i++)
        if (strcmp(render_colors[i].name, name) == 0)
            return render_colors[i].seq;
    return "";
}

size_t mc_render_color_at(const char *s, size_t len)
{
    for (size_t i = 0; i < RENDER_COLOR_COUNT; i++) {
        size_t n = strlen(render_colors[i].seq);
        if (len >= n && memcmp(s, render_colors[i].seq, n) == 0)
            return n;
    }
    return 0;
}

const char *mc_render_run_not_tested(const json_t *report)
{
    const char *verdict = mc_rj_str(mc_rj_obj(report, "run"), "verdict", "");
    if (strcmp(verdict, "untested") == 0 || strcmp(verdict, "interrupted") == 0)
        return verdict;
    return NULL;
}
void mc_render_terminal_write(FILE *out, const char *s, size_t len, bool color)
{
    for (size_t i = 0; s && i < len;) {
        unsigned char ch = (unsigned char)s[i];
        size_t own = ch == 0x1b && color ? mc_render_color_at(s + i, len - i) : 0;
        bool c1 = ch == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
                  (unsigned char)s[i + 1] <= 0x9f;
        if (own) {
            fwrite(s + i, 1, own, out);
            i += own;
        } else if ((ch < 0x20 && ch != '\n') || ch == 0x7f || c1) {
            fprintf(out, "\\x%02x", ch);
            if (c1)
                fprintf(out, "\\x%02x", (unsigned char)s[i + 1]);
            i += c1 ? 2 : 1;
        } else {
            fputc(ch, out);
            i++;
        }
    }
}

/* The counter of `outcome` in c, NULL for an outcome format version 1 does not have (the
   readers refuse such a report before it is rendered). */
static long long *count_of(struct mc_render_counts *c, const char *outcome)
{
    static const char *const names[] = {"pass", "fail", "deviation", "error", "skip", "not_run"};
    long long *slots[] = {&c->pass, &c->fail, &c->deviation, &c->error, &c->skip, &c->not_run};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (strcmp(names[k], outcome) == 0)
            return slots[k];
    return NULL;
}

void mc_render_count_outcomes(const json_t *report, struct mc_render_counts *out)
{
    *out = (struct mc_render_counts){0};
    size_t i;
    const json_t *sc;
    json_array_foreach(mc_rj_arr(report, "scenarios"), i, sc)
    {
        long long *n = count_of(out, mc_rj_str(sc, "outcome", ""));
        if (n)
            (*n)++;
        out->total++;
    }
}

bool mc_render_summary_counts(const json_t *report, struct mc_render_counts *out)
{
    const json_t *s = mc_rj_obj(report, "summary");
    *out = (struct mc_render_counts){.total = mc_rj_int(s, "total", 0),
                                     .pass = mc_rj_int(s, "pass", 0),
                                     .fail = mc_rj_int(s, "fail", 0),
                                     .deviation = mc_rj_int(s, "deviation", 0),
                                     .error = mc_rj_int(s, "error", 0),
                                     .skip = mc_rj_int(s, "skip", 0),
                                     .not_run = mc_rj_int(s, "not_run", 0)};
    return s != NULL;
}
