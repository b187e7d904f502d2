/*
 * render_transcript — a scenario's transcript for people (render_transcript.h).
 *
 * The report holds entries as they arrived: one server line with its line end, a literal,
 * whatever the client wrote at once (a command, a whole message). A "run" here is a sequence
 * of entries from one side of one session; its bytes are cut into lines as a stream, keeping
 * only the first `width` octets of each line, so showing a 16 MiB literal costs one entry's
 * bytes and one line's head, whatever the run holds. A run is read twice: once to count its
 * lines (to know which ones the run-of-lines cut leaves out), once to print them.
 */
#include "render/render_transcript.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "lib/utf8.h"
#include "render/render_common.h"
#include "render/report_read.h"

#define TIME_TEXT_MAX 32    /* "%8.3f" of any double the report holds, and its NUL */
#define UTF8_SEQUENCE_MAX 4 /* octets after the cut that tell whether it splits a character */

struct printer {
    const char *indent;
    size_t width;
    bool times, color;
    mc_transcript_step_fn step;
    void *arg;
    struct mc_buf *out;
    struct mc_buf bytes; /* one entry's bytes, reused from entry to entry */
    char *head;          /* the first width + UTF8_SEQUENCE_MAX octets of the current line */
};

enum line_end { END_CRLF, END_LF, END_NONE };

/* One line being cut out of a run: its first octets, its length, when it started. */
struct line {
    size_t head_len;
    size_t len; /* octets of the line, line end excluded once it is known */
    char last;  /* its last octet so far (a CR before LF belongs to the line end) */
    double t;   /* of the entry its first octet came in */
    bool started;
};

/* A run being printed. */
struct run {
    size_t first, end; /* its entries */
    const char *session, *dir;
    size_t lines;                /* in the run */
    size_t index;                /* of the line being printed */
    size_t cut_lines, cut_bytes; /* left out so far, said before the first line of the tail */
    char shown_time[TIME_TEXT_MAX];
};

static const char *col(const struct printer *p, const char *name)
{
    return mc_render_color(name, p->color);
}

static const char *dir_mark(const char *dir)
{
    if (dir && strcmp(dir, "client") == 0)
        return "C:";
    if (dir && strcmp(dir, "server") == 0)
        return "S:";
    return NULL; /* an event, or a direction this reader does not know: shown as an event */
}

static const char *session_of(const json_t *entry)
{
    return mc_rj_str(entry, "session", "fixture");
}

/* --- the columns before the text --- */

/* Indent, the time (or its blank), the session. */
static void prefix(struct printer *p, const char *time_text, const char *session)
{
    mc_buf_append_str(p->out, p->indent);
    if (p->times && time_text)
        mc_buf_printf(p->out, "%s%8s%s ", col(p, "dim"), time_text, col(p, "reset"));
    else if (p->times)
        mc_buf_printf(p->out, "%9s", "");
    mc_buf_printf(p->out, "%-8.8s ", session);
}

/* --- escaping --- */

/* Appends escaped text (lib/escape.h) with each doubled backslash made single again where what
   follows is neither "x" nor a backslash: IMAP's \Seen reads as itself, and the text still
   reads back without ambiguity ("\\" one backslash, "\xHH" one octet, any other "\" itself). */
static void append_readable(struct mc_buf *out, const char *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (e[i] == '\\' && i + 1 < n && e[i + 1] == '\\') {
            char next = i + 2 < n ? e[i + 2] : '\0';
            if (next == 'x' || next == '\\')
                mc_buf_append_char(out, '\\');
            mc_buf_append_char(out, '\\');
            i++;
        } else if (e[i] == '\\' && i + 3 < n) { /* \xHH as it is */
            mc_buf_append(out, e + i, 4);
            i += 3;
        } else {
            mc_buf_append_char(out, e[i]);
        }
    }
}

/* The shown part of a line: whole characters of its head, escaped. How many octets are left. */
static size_t append_head(struct printer *p, const struct line *l)
{
    size_t n = l->len <= p->width ? l->len : p->width;
    if (n < l->len) /* cut: never in the middle of a UTF-8 sequence */
        while (n > 0 && ((unsigned char)p->head[n] & 0xC0) == 0x80)
            n--;
    struct mc_buf b = {0};
    mc_escape_append(&b, p->head, n, MC_ESCAPE_KEEP_UTF8);
    append_readable(p->out, b.data ? b.data : "", b.len);
    mc_buf_free(&b);
    return l->len - n;
}

/* An event is the harness's own text (it quotes peer bytes already escaped): shown as it is,
   but for controls (C0, DEL, C1) and ill-formed UTF-8 as \xHH, and cut like a line. */
static void append_event_text(struct printer *p, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = mc_utf8_decode(s + i, len - i, &cp);
        if (i + (n ? n : 1) > p->width)
            break;
        if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
            for (size_t k = 0; k < (n ? n : 1); k++)
                mc_buf_printf(p->out, "\\x%02x", (unsigned char)s[i + k]);
            i += n ? n : 1;
            continue;
        }
        mc_buf_append(p->out, s + i, n);
        i += n;
    }
    if (i < len)
        mc_buf_printf(p->out, " [... %zu more octet(s) cut]", len - i);
}

/* --- runs of wire lines --- */

static void time_text(char out[TIME_TEXT_MAX], double t)
{
    snprintf(out, TIME_TEXT_MAX, "%8.3f", t);
}

static size_t line_end_len(enum line_end end)
{
    return end == END_CRLF ? 2 : end == END_LF ? 1 : 0;
}

static void print_line(struct printer *p, struct run *r, const struct line *l, enum line_end end)
{
    size_t i = r->index++;
    if (r->lines > MC_TRANSCRIPT_RUN_LINES && i >= MC_TRANSCRIPT_RUN_HEAD &&
        i < r->lines - MC_TRANSCRIPT_RUN_TAIL) {
        r->cut_lines++;
        r->cut_bytes += l->len + line_end_len(end);
        return;
    }
    if (r->cut_lines) { /* the first line of the tail: say what was left out before it */
        prefix(p, NULL, r->session);
        mc_buf_printf(p->out, "%s %s[... %zu line(s) (%zu octet(s)) left out]%s\n", r->dir,
                      col(p, "yellow"), r->cut_lines, r->cut_bytes, col(p, "reset"));
        r->cut_lines = 0;
    }
    char t[TIME_TEXT_MAX];
    time_text(t, l->t);
    bool show_time = i == 0 || strcmp(t, r->shown_time) != 0;
    if (show_time)
        memcpy(r->shown_time, t, sizeof t);
    prefix(p, show_time ? t : NULL, r->session);
    mc_buf_printf(p->out, "%s%s%s%s", r->dir[0] == 'C' ? col(p, "cyan") : "", r->dir,
                  col(p, "reset"), l->len ? " " : "");
    size_t more = append_head(p, l);
    if (more)
        mc_buf_printf(p->out, " %s[... %zu more octet(s) cut]%s", col(p, "yellow"), more,
                      col(p, "reset"));
    if (end == END_LF)
        mc_buf_printf(p->out, " %s[LF without CR]%s", col(p, "yellow"), col(p, "reset"));
    else if (end == END_NONE)
        mc_buf_printf(p->out, " %s[no line end]%s", col(p, "yellow"), col(p, "reset"));
    mc_buf_append_char(p->out, '\n');
}

static void line_add(struct printer *p, struct line *l, const char *s, size_t n)
{
    if (!n)
        return;
    size_t room = p->width + UTF8_SEQUENCE_MAX - l->head_len;
    size_t take = n < room ? n : room;
    memcpy(p->head + l->head_len, s, take);
    l->head_len += take;
    l->len += n;
    l->last = s[n - 1];
}

/* Cuts one entry's bytes into lines, carrying the unfinished one in *l. */
static void split_entry(struct printer *p, struct run *r, struct line *l, double t)
{
    const char *s = p->bytes.data, *end = s + p->bytes.len;
    while (s < end) {
        if (!l->started)
            *l = (struct line){.t = t, .started = true};
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        line_add(p, l, s, (size_t)((nl ? nl : end) - s));
        if (!nl)
            return;
        enum line_end how = END_LF;
        if (l->len && l->last == '\r') {
            how = END_CRLF;
            l->len--;
            if (l->head_len > l->len)
                l->head_len = l->len;
        }
        print_line(p, r, l, how);
        l->started = false;
        s = nl + 1;
    }
}

static bool entry_bytes(struct printer *p, const json_t *e)
{
    mc_buf_reset(&p->bytes);
    return mc_rj_entry_bytes(e, &p->bytes) == 0;
}

/* Is entry e the next of the run r (same side, same session, readable bytes)? Leaves its bytes
   in p->bytes. */
static bool continues_run(struct printer *p, const struct run *r, const json_t *e)
{
    const char *mark = dir_mark(mc_rj_str(e, "dir", NULL));
    return mark && strcmp(mark, r->dir) == 0 && strcmp(session_of(e), r->session) == 0 &&
           entry_bytes(p, e);
}

/* Lines of the entries [r->first, r->end): each LF ends one, and bytes after the last one make
   one more. */
static size_t count_lines(struct printer *p, const json_t *entries, const struct run *r)
{
    size_t lines = 0;
    char last = '\n';
    for (size_t i = r->first; i < r->end; i++) {
        entry_bytes(p, json_array_get(entries, i));
        for (const char *s = p->bytes.data, *end = s + p->bytes.len;
             s && (s = memchr(s, '\n', (size_t)(end - s))) != NULL; s++)
            lines++;
        if (p->bytes.len)
            last = p->bytes.data[p->bytes.len - 1];
    }
    return lines + (last != '\n');
}

/* The run that starts at entry `first` (a wire entry with readable bytes), printed. The entry
   after it. */
static size_t print_run(struct printer *p, const json_t *entries, size_t first, size_t until)
{
    const json_t *e = json_array_get(entries, first);
    struct run r = {
        .first = first, .session = session_of(e), .dir = dir_mark(mc_rj_str(e, "dir", NULL))};
    r.end = first + 1;
    while (r.end < until && continues_run(p, &r, json_array_get(entries, r.end)))
        r.end++;
    r.lines = count_lines(p, entries, &r);
    struct line l = {0};
    for (size_t i = r.first; i < r.end; i++) {
        e = json_array_get(entries, i);
        entry_bytes(p, e);
        split_entry(p, &r, &l, mc_rj_num(e, "t", 0));
    }
    if (l.started)
        print_line(p, &r, &l, END_NONE);
    return r.end;
}

/* --- entries that are not wire lines --- */

static void print_event(struct printer *p, const json_t *e)
{
    char t[TIME_TEXT_MAX];
    time_text(t, mc_rj_num(e, "t", 0));
    prefix(p, t, session_of(e));
    mc_buf_printf(p->out, "%s-- ", col(p, "dim"));
    if (entry_bytes(p, e))
        append_event_text(p, p->bytes.data ? p->bytes.data : "", p->bytes.len);
    else
        mc_buf_append_str(p->out, "[an entry with no bytes, or bad base64]");
    mc_buf_printf(p->out, "%s\n", col(p, "reset"));
}

static void print_unreadable(struct printer *p, const json_t *e, const char *mark)
{
    char t[TIME_TEXT_MAX];
    time_text(t, mc_rj_num(e, "t", 0));
    prefix(p, t, session_of(e));
    mc_buf_printf(p->out, "%s %s[an entry with no bytes, or bad base64]%s\n", mark,
                  col(p, "yellow"), col(p, "reset"));
}

/* The entries [*cursor, until), run by run. */
static void print_entries(struct printer *p, const json_t *entries, size_t *cursor, size_t until)
{
    while (*cursor < until) {
        const json_t *e = json_array_get(entries, *cursor);
        const char *mark = dir_mark(mc_rj_str(e, "dir", NULL));
        if (!mark) {
            print_event(p, e);
            (*cursor)++;
        } else if (!entry_bytes(p, e)) {
            print_unreadable(p, e, mark);
            (*cursor)++;
        } else {
            *cursor = print_run(p, entries, *cursor, until);
        }
    }
}

/* --- steps --- */

static const char *outcome_color(const char *outcome)
{
    if (strcmp(outcome, "pass") == 0)
        return "green";
    if (strcmp(outcome, "fail") == 0 || strcmp(outcome, "error") == 0)
        return "red";
    return strcmp(outcome, "deviation") == 0 ? "yellow" : "dim";
}

static void boundary(struct printer *p, const json_t *step)
{
    long long index = mc_rj_int(step, "index", -1);
    const char *outcome = mc_rj_str(step, "outcome", "?");
    mc_buf_printf(p->out, "%s%s----%s ", p->indent, col(p, "bold"), col(p, "reset"));
    if (index >= 0)
        mc_buf_printf(p->out, "step %lld: ", index + 1);
    else
        mc_buf_append_str(p->out, "implicit step: ");
    mc_buf_printf(p->out, "%s [%s%s%s]\n", mc_rj_str(step, "label", "?"),
                  col(p, outcome_color(outcome)), outcome, col(p, "reset"));
}

/* Entries no step claims, under a line that says so. */
static void print_unclaimed(struct printer *p, const json_t *entries, size_t *cursor, size_t until,
                            const char *where)
{
    if (*cursor >= until)
        return;
    mc_buf_printf(p->out, "%s%s---- %s%s\n", p->indent, col(p, "dim"), where, col(p, "reset"));
    print_entries(p, entries, cursor, until);
}

/* The step at `pos` and the entries of its range; a range out of order or past the end (a
   hand-edited report) is clamped, and entries already shown are not shown again. */
static void print_step(struct printer *p, const json_t *entries, size_t *cursor, const json_t *step,
                       size_t pos)
{
    size_t n = json_array_size(entries);
    const json_t *range = json_object_get(step, "transcript");
    json_int_t first = json_integer_value(json_array_get(range, 0));
    json_int_t count = json_integer_value(json_array_get(range, 1));
    size_t from = first < 0 ? 0 : (size_t)first > n ? n : (size_t)first;
    size_t to = count < 0 ? from : (size_t)count > n - from ? n : from + (size_t)count;
    print_unclaimed(p, entries, cursor, from, "outside any step");
    if (p->step)
        p->step(p->arg, p->out, step, pos, false);
    else
        boundary(p, step);
    print_entries(p, entries, cursor, to);
    if (p->step)
        p->step(p->arg, p->out, step, pos, true);
}

void mc_render_transcript(const json_t *scenario, const struct mc_transcript_style *style,
                          struct mc_buf *out)
{
    const struct mc_transcript_style none = {0};
    if (!style)
        style = &none;
    struct printer p = {.indent = style->indent ? style->indent : "",
                        .width = style->width ? style->width : MC_TRANSCRIPT_WIDTH_DEFAULT,
                        .times = !style->hide_times,
                        .color = style->color,
                        .step = style->step,
                        .arg = style->arg,
                        .out = out};
    p.head = mc_xmalloc(p.width + UTF8_SEQUENCE_MAX);
    const json_t *entries = mc_rj_arr(scenario, "transcript");
    const json_t *steps = mc_rj_arr(scenario, "steps");
    size_t n = json_array_size(entries), cursor = 0;
    if (n == 0)
        mc_buf_printf(out, "%s(no transcript: nothing crossed the wire)\n", p.indent);
    size_t pos;
    const json_t *step;
    json_array_foreach(steps, pos, step) print_step(&p, entries, &cursor, step, pos);
    if (json_array_size(steps))
        print_unclaimed(&p, entries, &cursor, n, "after the last step");
    else
        print_entries(&p, entries, &cursor, n);
    if (mc_rj_bool(scenario, "transcript_truncated", false))
        mc_buf_printf(out,
                      "%s%s[transcript truncated: it reached the harness's budget (16 MiB); "
                      "later bytes were not recorded]%s\n",
                      p.indent, col(&p, "yellow"), col(&p, "reset"));
    free(p.head);
    mc_buf_free(&p.bytes);
}
