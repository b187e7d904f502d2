/*
 * transcript_view — a scenario's transcript for people (see transcript_view.h).
 *
 * The transcript holds entries as they arrived: one server line with its line end, a literal,
 * whatever the client wrote at once (a command, a whole message). A "run" here is a sequence
 * of entries from one side of one session; its bytes are cut into lines as a stream (a line
 * may span a literal and the line after it), keeping only the first MC_TV_LINE_BYTES octets of
 * each line, so showing a 16 MiB literal costs no more memory than showing a short line.
 */
#include "cli/transcript_view.h"

#include <string.h>

#include "cli/cli.h"
#include "engine/transcript.h"
#include "lib/escape.h"

static const char *c(const char *name)
{
    return mc_cli_color(name);
}

enum tv_end { TV_END_CRLF, TV_END_LF, TV_END_NONE };

/* One line being cut out of a run: its first octets and its length. */
struct tv_line {
    char head[MC_TV_LINE_BYTES + 4]; /* the octets after the cut tell a UTF-8 sequence cut */
    size_t head_len;
    size_t len; /* octets of the line, line end excluded once it is known */
    char last;  /* its last octet so far (a CR before LF belongs to the line end) */
};

typedef void (*tv_line_fn)(void *ctx, const struct tv_line *l, enum tv_end end);

static void line_add(struct tv_line *l, const char *s, size_t n)
{
    if (!n)
        return;
    size_t room = sizeof l->head - l->head_len;
    size_t take = n < room ? n : room;
    memcpy(l->head + l->head_len, s, take);
    l->head_len += take;
    l->len += n;
    l->last = s[n - 1];
}

/* Cuts the bytes of the entries [a, b) (one run) into lines, calling fn for each. */
static void split_run(const struct mc_scenario_result *r, size_t a, size_t b, tv_line_fn fn,
                      void *ctx)
{
    struct tv_line l = {0};
    for (size_t i = a; i < b; i++) {
        const char *p = r->transcript[i].data, *end = p + r->transcript[i].len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            line_add(&l, p, (size_t)((nl ? nl : end) - p));
            if (!nl)
                break;
            enum tv_end how = TV_END_LF;
            if (l.len && l.last == '\r') {
                how = TV_END_CRLF;
                l.len--;
                if (l.head_len > l.len)
                    l.head_len = l.len;
            }
            fn(ctx, &l, how);
            l = (struct tv_line){0};
            p = nl + 1;
        }
    }
    if (l.len)
        fn(ctx, &l, TV_END_NONE);
}

/* --- printing a run --- */

struct tv_printer {
    FILE *out;
    const struct mc_tv_style *style;
    const char *who; /* the session's name, or "fixture" */
    const char *dir; /* "C:", "S:" */
    double t;
    size_t lines;     /* in the run (first pass) */
    size_t index;     /* of the line being printed (second pass) */
    size_t cut_lines; /* left out so far */
    size_t cut_bytes;
};

static void count_line(void *ctx, const struct tv_line *l, enum tv_end end)
{
    (void)l;
    (void)end;
    ((struct tv_printer *)ctx)->lines++;
}

static size_t line_end_len(enum tv_end end)
{
    return end == TV_END_CRLF ? 2 : end == TV_END_LF ? 1 : 0;
}

static void print_prefix(struct tv_printer *p, bool first)
{
    const struct mc_tv_style *s = p->style;
    fputs(s->indent, p->out);
    if (s->times && first)
        fprintf(p->out, "%s%8.3f%s ", c("dim"), p->t, c("reset"));
    else if (s->times)
        fprintf(p->out, "%9s", "");
    fprintf(p->out, "%-8.8s ", p->who);
}

/* Writes escaped text (lib/escape.h) with each doubled backslash made single again where what
   follows is neither "x" nor a backslash: IMAP's \Seen reads as itself, and the text still
   reads back without ambiguity ("\\" one backslash, "\xHH" one octet, any other "\" itself). */
static void write_readable(FILE *out, const char *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (e[i] == '\\' && i + 1 < n && e[i + 1] == '\\') {
            char next = i + 2 < n ? e[i + 2] : '\0';
            if (next == 'x' || next == '\\')
                fputc('\\', out);
            fputc('\\', out);
            i++;
        } else if (e[i] == '\\' && i + 3 < n) { /* \xHH as it is */
            fwrite(e + i, 1, 4, out);
            i += 3;
        } else {
            fputc(e[i], out);
        }
    }
}

/* The shown part of a line: whole characters of its head, escaped. How many octets are left. */
static size_t print_head(FILE *out, const struct tv_line *l)
{
    size_t n = l->len <= MC_TV_LINE_BYTES ? l->len : MC_TV_LINE_BYTES;
    if (n < l->len) /* cut: never in the middle of a UTF-8 sequence */
        while (n > 0 && ((unsigned char)l->head[n] & 0xC0) == 0x80)
            n--;
    struct mc_buf b = {0};
    mc_escape_append(&b, l->head, n, MC_ESCAPE_KEEP_UTF8);
    write_readable(out, b.data ? b.data : "", b.len);
    mc_buf_free(&b);
    return l->len - n;
}

static void print_line(void *ctx, const struct tv_line *l, enum tv_end end)
{
    struct tv_printer *p = ctx;
    size_t i = p->index++;
    bool cut =
        p->lines > MC_TV_BLOCK_LINES && i >= MC_TV_BLOCK_HEAD && i < p->lines - MC_TV_BLOCK_TAIL;
    if (cut) {
        p->cut_lines++;
        p->cut_bytes += l->len + line_end_len(end);
        return;
    }
    if (p->cut_lines) { /* the first line of the tail: say what was left out before it */
        print_prefix(p, false);
        fprintf(p->out, "%s %s[... %zu line(s) (%zu octet(s)) left out]%s\n", p->dir, c("yellow"),
                p->cut_lines, p->cut_bytes, c("reset"));
        p->cut_lines = 0;
    }
    print_prefix(p, i == 0);
    fprintf(p->out, "%s%s%s%s", p->dir[0] == 'C' ? c("cyan") : "", p->dir, c("reset"),
            l->len ? " " : "");
    size_t more = print_head(p->out, l);
    if (more)
        fprintf(p->out, " %s[... %zu more octet(s) cut]%s", c("yellow"), more, c("reset"));
    if (end == TV_END_LF)
        fprintf(p->out, " %s[LF without CR]%s", c("yellow"), c("reset"));
    else if (end == TV_END_NONE)
        fprintf(p->out, " %s[no line end]%s", c("yellow"), c("reset"));
    fputc('\n', p->out);
}

static const char *who_of(const struct mc_scenario_result *r, int session)
{
    return session >= 0 ? r->scenario->sessions[session].name : "fixture";
}

/* An event is the harness's own text (it quotes peer bytes already escaped): shown as it is,
   but for control octets, and cut like a line. */
static void print_event(FILE *out, const struct mc_scenario_result *r,
                        const struct mc_transcript_entry *e, const struct mc_tv_style *s)
{
    struct tv_printer p = {.out = out, .style = s, .t = e->t};
    p.who = who_of(r, e->session);
    print_prefix(&p, true);
    fprintf(out, "%s-- ", c("dim"));
    size_t n = e->len < MC_TV_LINE_BYTES ? e->len : MC_TV_LINE_BYTES;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)e->data[i];
        if (ch < 0x20 || ch == 0x7f)
            fprintf(out, "\\x%02x", ch);
        else
            fputc(ch, out);
    }
    if (n < e->len)
        fprintf(out, " [... %zu more octet(s) cut]", e->len - n);
    fprintf(out, "%s\n", c("reset"));
}

static void print_run(FILE *out, const struct mc_scenario_result *r, size_t a, size_t b,
                      const struct mc_tv_style *s)
{
    const struct mc_transcript_entry *e = &r->transcript[a];
    struct tv_printer p = {.out = out, .style = s, .t = e->t};
    p.who = who_of(r, e->session);
    p.dir = e->dir == MC_DIR_CLIENT ? "C:" : "S:";
    split_run(r, a, b, count_line, &p);
    split_run(r, a, b, print_line, &p);
}

/* The entries [a, b), run by run. */
static void print_range(FILE *out, const struct mc_scenario_result *r, size_t a, size_t b,
                        const struct mc_tv_style *s)
{
    while (a < b) {
        const struct mc_transcript_entry *e = &r->transcript[a];
        if (e->dir == MC_DIR_EVENT) {
            print_event(out, r, e, s);
            a++;
            continue;
        }
        size_t k = a + 1;
        while (k < b && r->transcript[k].dir == e->dir && r->transcript[k].session == e->session)
            k++;
        print_run(out, r, a, k, s);
        a = k;
    }
}

static const char *outcome_color(enum mc_outcome o)
{
    return o == MC_OUTCOME_PASS                            ? "green"
           : o == MC_OUTCOME_FAIL || o == MC_OUTCOME_ERROR ? "red"
           : o == MC_OUTCOME_DEVIATION                     ? "yellow"
                                                           : "dim";
}

void mc_transcript_print_boundary(FILE *out, const struct mc_scenario_result *r, size_t step,
                                  const struct mc_tv_style *style)
{
    const struct mc_step_result *st = &r->steps[step];
    fprintf(out, "%s%s----%s ", style->indent, c("bold"), c("reset"));
    if (st->index >= 0)
        fprintf(out, "step %d: ", st->index + 1);
    else
        fputs("implicit step: ", out);
    fprintf(out, "%s [%s%s%s]\n", st->label, c(outcome_color(st->outcome)),
            mc_outcome_name(st->outcome), c("reset"));
}

static void print_step(FILE *out, const struct mc_scenario_result *r, size_t i, size_t *pos,
                       const struct mc_tv_style *s)
{
    const struct mc_step_result *st = &r->steps[i];
    size_t first = st->transcript_first, end = first + st->transcript_count;
    first = first < *pos ? *pos : first > r->transcript_count ? r->transcript_count : first;
    end = end < first ? first : end > r->transcript_count ? r->transcript_count : end;
    if (first > *pos) { /* what came between steps (unsolicited data), where it came */
        fprintf(out, "%s%s---- outside any step%s\n", s->indent, c("dim"), c("reset"));
        print_range(out, r, *pos, first, s);
    }
    if (s->step)
        s->step(s->arg, out, r, i, false);
    else
        mc_transcript_print_boundary(out, r, i, s);
    print_range(out, r, first, end, s);
    if (s->step)
        s->step(s->arg, out, r, i, true);
    *pos = end;
}

void mc_transcript_print(FILE *out, const struct mc_scenario_result *r,
                         const struct mc_tv_style *style)
{
    if (r->transcript_released) {
        fprintf(out, "%s(the transcript was not kept)\n", style->indent);
        return;
    }
    size_t pos = 0;
    for (size_t i = 0; i < r->step_count; i++)
        print_step(out, r, i, &pos, style);
    if (pos < r->transcript_count) {
        fprintf(out, "%s%s---- after the last step%s\n", style->indent, c("dim"), c("reset"));
        print_range(out, r, pos, r->transcript_count, style);
    }
    if (r->transcript_truncated)
        fprintf(out,
                "%s%s[transcript truncated: it reached the harness's budget (%u MiB); later bytes "
                "were not recorded]%s\n",
                style->indent, c("yellow"), MC_TRANSCRIPT_BYTES_MAX / (1024u * 1024u), c("reset"));
}
