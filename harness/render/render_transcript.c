/*
 * render_transcript — a saved scenario's transcript for people (render_transcript.h).
 */
#include "render/render_transcript.h"

#include <string.h>

#include "lib/escape.h"
#include "render/report_read.h"

struct printer {
    const json_t *scenario;
    const char *indent;
    size_t width;
    struct mc_buf *out;
};

static const char *dir_mark(const char *dir)
{
    if (dir && strcmp(dir, "client") == 0)
        return "C:";
    if (dir && strcmp(dir, "server") == 0)
        return "S:";
    return "--";
}

/* One wire line (without its line end) escaped, cut at the width with a mark. */
static void wire_line(struct printer *p, const char *s, size_t len, const char *end_mark)
{
    size_t shown = len;
    if (shown > p->width) {
        shown = p->width;
        while (shown > 0 && ((unsigned char)s[shown] & 0xc0) == 0x80)
            shown--; /* do not split a UTF-8 sequence */
    }
    mc_escape_append(p->out, s, shown, MC_ESCAPE_KEEP_UTF8);
    if (shown < len)
        mc_buf_printf(p->out, " [... %zu more octet(s) cut]", len - shown);
    mc_buf_append_str(p->out, end_mark);
    mc_buf_append_char(p->out, '\n');
}

static void entry(struct printer *p, const json_t *e)
{
    const char *session = mc_rj_str(e, "session", "fixture");
    const char *mark = dir_mark(mc_rj_str(e, "dir", NULL));
    struct mc_buf bytes = {0};
    char head[96];
    snprintf(head, sizeof head, "%8.3f %-8.8s %s ", mc_rj_num(e, "t", 0), session, mark);
    if (mc_rj_entry_bytes(e, &bytes) != 0) {
        mc_buf_printf(p->out, "%s%s[an entry with no bytes, or bad base64]\n", p->indent, head);
        mc_buf_free(&bytes);
        return;
    }
    const char *s = bytes.data ? bytes.data : "";
    size_t left = bytes.len;
    bool first = true;
    do {
        const char *lf = memchr(s, '\n', left);
        size_t line = lf ? (size_t)(lf - s) : left;
        const char *end_mark = "";
        if (lf && line > 0 && s[line - 1] == '\r')
            line--;
        else if (lf && strcmp(mark, "--") != 0)
            end_mark = " [LF without CR]";
        mc_buf_printf(p->out, "%s%s", p->indent, head);
        wire_line(p, s, line, end_mark);
        if (first) { /* later lines of one entry: the time and session only once */
            memset(head, ' ', strlen(head) - 3);
            first = false;
        }
        size_t used = lf ? (size_t)(lf - s) + 1 : left;
        s += used;
        left -= used;
    } while (left > 0);
    mc_buf_free(&bytes);
}

static void boundary(struct printer *p, const json_t *step)
{
    long long index = mc_rj_int(step, "index", -1);
    mc_buf_printf(p->out, "%s---- ", p->indent);
    if (index >= 0)
        mc_buf_printf(p->out, "step %lld: ", index + 1);
    else
        mc_buf_append_str(p->out, "implicit step: ");
    mc_buf_printf(p->out, "%s [%s]\n", mc_rj_str(step, "label", "?"),
                  mc_rj_str(step, "outcome", "?"));
}

/* Entries [*cursor, until) as they are, no step boundary. */
static void entries_up_to(struct printer *p, const json_t *entries, size_t *cursor, size_t until)
{
    for (; *cursor < until; (*cursor)++)
        entry(p, json_array_get(entries, *cursor));
}

void mc_render_transcript(const json_t *scenario, const struct mc_transcript_style *style,
                          struct mc_buf *out)
{
    struct printer p = {.scenario = scenario,
                        .indent = style && style->indent ? style->indent : "",
                        .width = style && style->width ? style->width : MC_TRANSCRIPT_WIDTH_DEFAULT,
                        .out = out};
    const json_t *entries = mc_rj_arr(scenario, "transcript");
    size_t n = json_array_size(entries), cursor = 0;
    if (n == 0)
        mc_buf_printf(out, "%s(no transcript: nothing crossed the wire)\n", p.indent);
    size_t i;
    const json_t *step;
    json_array_foreach(mc_rj_arr(scenario, "steps"), i, step)
    {
        /* a range out of order or past the end (a hand-edited report) is clamped */
        const json_t *range = json_object_get(step, "transcript");
        json_int_t first = json_integer_value(json_array_get(range, 0));
        json_int_t count = json_integer_value(json_array_get(range, 1));
        size_t from = first < 0 ? 0 : (size_t)first > n ? n : (size_t)first;
        size_t to = count < 0 ? from : (size_t)count > n - from ? n : from + (size_t)count;
        entries_up_to(&p, entries, &cursor, from);
        boundary(&p, step);
        entries_up_to(&p, entries, &cursor, to);
    }
    entries_up_to(&p, entries, &cursor, n);
    if (mc_rj_bool(scenario, "transcript_truncated", false))
        mc_buf_printf(out,
                      "%s[transcript truncated: it reached the harness's budget (16 MiB); "
                      "later bytes were not recorded]\n",
                      p.indent);
}
