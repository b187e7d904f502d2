/*
 * render_html_transcript — a scenario's steps and transcript in the HTML report, in the style
 * of the RFCs' examples: `C:` what the harness sent, `S:` what the server sent, `--` events
 * (connect, TLS, close), each line prefixed by its session when the scenario has several. The
 * transcript is cut at step boundaries (each step's `transcript` range), and each step has a
 * header: outcome, label, session, where it is in the scenario file, what it expected, why it
 * failed, the rationale for learners and its RFC link. Entries no step claims are shown where
 * they happened, between steps.
 *
 * Bytes are shown as the report's `got` is: text as it is, unprintable octets and ill-formed
 * UTF-8 as \xHH (base64 entries decoded first), every character escaped for HTML. A CRLF line
 * end is implied by the line break; a bare LF is marked. The failing step's line (the server
 * line equal to the failure's `got`, else the step's last server line) is highlighted.
 *
 * Bounded (html.h): each entry shows at most MC_HTML_ENTRY_SHOWN_MAX octets, a scenario
 * MC_HTML_SCENARIO_SHOWN_MAX, its failing step MC_HTML_FAILING_STEP_SHOWN_MAX more; what is
 * left out is said where it is left out, and step headers are always shown.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "render/html.h"
#include "render/report_read.h"

struct tview {
    FILE *f;
    const json_t *sc;
    const json_t *entries;
    size_t n_entries;
    bool wire;          /* show the lines, not only the step headers */
    bool many_sessions; /* prefix each line with its session */
    size_t budget;      /* octets (with overhead) the scenario may still show */
    long long failing;  /* position of the failing step, -1 */
    long long marked;   /* entry to highlight, -1 */
};

/* Octets an entry holds, without decoding it. */
static size_t entry_size(const json_t *entry)
{
    const json_t *text = json_object_get(entry, "text");
    if (json_is_string(text))
        return json_string_length(text);
    const char *b64 = mc_rj_str(entry, "base64", "");
    size_t n = strlen(b64), size = n / 4 * 3;
    if (n >= 1 && b64[n - 1] == '=')
        size--;
    if (n >= 2 && b64[n - 2] == '=')
        size--;
    return size;
}

static void line_open(struct tview *tv, const json_t *entry, bool marked)
{
    const char *dir = mc_rj_str(entry, "dir", "?");
    const char *cls = strcmp(dir, "client") == 0 ? "c" : strcmp(dir, "server") == 0 ? "s" : "e";
    const char *prefix = *cls == 'c' ? "C: " : *cls == 's' ? "S: " : "-- ";
    fprintf(tv->f, "<%s class=\"l %s\"", marked ? "mark" : "span", cls);
    if (marked) {
        fputs(" id=\"", tv->f);
        mc_html_id(tv->f, "sc-", mc_rj_str(tv->sc, "id", "?"));
        fputs("/got\" title=\"the line that failed the step\"", tv->f);
    }
    fputs(">", tv->f);
    if (tv->many_sessions) {
        fputs("<span class=\"sess\">[", tv->f);
        mc_html_text(tv->f, mc_rj_str(entry, "session", "fixtures"));
        fputs("]</span> ", tv->f);
    }
    fputs(prefix, tv->f);
}

/* The lines of `bytes` (one entry, maybe cut), each with its prefix. */
static void write_lines(struct tview *tv, const json_t *entry, const char *bytes, size_t len,
                        bool marked)
{
    size_t start = 0;
    do {
        const char *nl = memchr(bytes + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - bytes) : len;
        size_t text_end = end;
        bool bare_lf = false;
        if (nl) {
            if (end > start && bytes[end - 1] == '\r')
                text_end = end - 1;
            else
                bare_lf = true;
        }
        line_open(tv, entry, marked);
        mc_html_wire(tv->f, bytes + start, text_end - start);
        if (bare_lf)
            fputs("<span class=\"eol\" title=\"a line end without CR\">(bare LF)</span>", tv->f);
        fputs(marked ? "</mark>\n" : "</span>\n", tv->f);
        start = nl ? end + 1 : len;
    } while (start < len);
}

static void write_entry(struct tview *tv, size_t index, size_t *budget)
{
    const json_t *entry = json_array_get(tv->entries, index);
    struct mc_buf bytes = {0};
    if (mc_rj_entry_bytes(entry, &bytes) != 0) {
        line_open(tv, entry, false);
        fputs("<span class=\"cut\">(an entry of the report holds no readable bytes)</span>"
              "</span>\n",
              tv->f);
        mc_buf_free(&bytes);
        return;
    }
    size_t room = *budget > MC_HTML_ENTRY_OVERHEAD ? *budget - MC_HTML_ENTRY_OVERHEAD : 0;
    size_t shown = bytes.len;
    if (shown > MC_HTML_ENTRY_SHOWN_MAX)
        shown = MC_HTML_ENTRY_SHOWN_MAX;
    if (shown > room)
        shown = room;
    write_lines(tv, entry, bytes.data ? bytes.data : "", shown, (long long)index == tv->marked);
    if (shown < bytes.len)
        fprintf(tv->f,
                "<span class=\"cut\">… %zu more octet(s) of this entry not shown (the page "
                "shows at most %d KiB of an entry; the JSON report has every byte)</span>",
                bytes.len - shown, MC_HTML_ENTRY_SHOWN_MAX / 1024);
    *budget -= shown + MC_HTML_ENTRY_OVERHEAD < *budget ? shown + MC_HTML_ENTRY_OVERHEAD : *budget;
    mc_buf_free(&bytes);
}

/* Entries [first, end) as a <pre>, within `budget`; what does not fit is counted and said. */
static void write_entries(struct tview *tv, size_t first, size_t end, size_t *budget)
{
    if (first >= end) {
        fputs("<p class=\"note\">No bytes crossed the wire in this step.</p>\n", tv->f);
        return;
    }
    size_t omitted = 0, omitted_octets = 0;
    fputs("<pre class=\"wire\">", tv->f);
    for (size_t i = first; i < end; i++) {
        if (*budget <= MC_HTML_ENTRY_OVERHEAD) {
            omitted++;
            omitted_octets += entry_size(json_array_get(tv->entries, i));
            continue;
        }
        write_entry(tv, i, budget);
    }
    if (omitted)
        fprintf(tv->f,
                "<span class=\"cut\">… %zu further entr%s (%zu octet(s)) not shown: the page "
                "shows at most %d KiB of a scenario's transcript, %d KiB more for its failing "
                "step; the JSON report has every byte</span>",
                omitted, omitted == 1 ? "y" : "ies", omitted_octets,
                MC_HTML_SCENARIO_SHOWN_MAX / 1024, MC_HTML_FAILING_STEP_SHOWN_MAX / 1024);
    fputs("</pre>\n", tv->f);
}

static void step_where(FILE *f, const json_t *step)
{
    fputs(" <span class=\"where\">", f);
    if (mc_rj_str(step, "session", NULL)) {
        fputs("· session ", f);
        mc_html_text(f, mc_rj_str(step, "session", NULL));
        fputs(" ", f);
    }
    long long index = mc_rj_int(step, "index", -1);
    if (index < 0)
        fputs("· implicit step", f);
    else
        fprintf(f, "· step %lld of the scenario, line %lld", index + 1, mc_rj_int(step, "line", 0));
    fprintf(f, " · %.3f s</span>", mc_rj_num(step, "duration_s", 0));
}

static void step_notes(FILE *f, const json_t *step)
{
    const json_t *expected = json_object_get(step, "expected");
    if (json_is_object(expected)) {
        char *text = json_dumps(expected, JSON_COMPACT);
        fputs("<p class=\"step-rfc\">Expects <code>", f);
        mc_html_text(f, text);
        fputs("</code></p>\n", f);
        free(text);
    }
    if (mc_rj_str(step, "why", NULL)) {
        fputs("<p class=\"step-why\"><strong>What went wrong:</strong> ", f);
        mc_html_text(f, mc_rj_str(step, "why", NULL));
        fputs("</p>\n", f);
    }
    if (mc_rj_str(step, "rationale", NULL)) {
        fputs("<p class=\"step-rationale\"><strong>Why this reply is required:</strong> ", f);
        mc_html_text(f, mc_rj_str(step, "rationale", NULL));
        fputs("</p>\n", f);
    }
    fputs("<p class=\"step-rfc\">", f);
    mc_html_text(f, mc_rj_str(step, "level", ""));
    fputs(" per ", f);
    mc_html_rfc_links(f, mc_rj_arr(step, "rfc"));
    fputs("</p>\n", f);
}

/* A step's range [first, first+count) within the transcript. */
static void step_range(const struct tview *tv, const json_t *step, size_t *first, size_t *end)
{
    const json_t *range = mc_rj_arr(step, "transcript");
    json_int_t f0 = json_integer_value(json_array_get(range, 0));
    json_int_t n = json_integer_value(json_array_get(range, 1));
    *first = f0 < 0 ? 0 : (size_t)f0 > tv->n_entries ? tv->n_entries : (size_t)f0;
    *end = n < 0 ? *first : (size_t)n > tv->n_entries - *first ? tv->n_entries : *first + (size_t)n;
}

static void write_step(struct tview *tv, const json_t *step, size_t position)
{
    bool failing = (long long)position == tv->failing;
    const char *outcome = mc_rj_str(step, "outcome", "?");
    fputs(failing ? "<section class=\"step failing\" id=\"" : "<section class=\"step\" id=\"",
          tv->f);
    mc_html_id(tv->f, "sc-", mc_rj_str(tv->sc, "id", "?"));
    fprintf(tv->f, "/step-%zu\">\n<h5 class=\"step-head\">", position);
    mc_html_badge(tv->f, outcome);
    fputs(" ", tv->f);
    mc_html_text(tv->f, mc_rj_str(step, "label", "(unnamed step)"));
    step_where(tv->f, step);
    fputs("</h5>\n", tv->f);
    step_notes(tv->f, step);
    if (strcmp(outcome, "not_run") == 0) {
        fputs("<p class=\"note\">Not run: ", tv->f);
        mc_html_text(tv->f, mc_rj_str(tv->sc, "reason", "steps after a failure are not run."));
        fputs("</p>\n", tv->f);
    } else if (tv->wire) {
        size_t first, end, reserve = MC_HTML_FAILING_STEP_SHOWN_MAX;
        step_range(tv, step, &first, &end);
        write_entries(tv, first, end, failing ? &reserve : &tv->budget);
    }
    if (failing)
        mc_html_compare(tv->f, mc_rj_obj(tv->sc, "failure"));
    fputs("</section>\n", tv->f);
}

static void write_between(struct tview *tv, size_t first, size_t end, const char *where)
{
    fprintf(tv->f, "<section class=\"step\">\n<h5 class=\"step-head\">%s</h5>\n", where);
    write_entries(tv, first, end, &tv->budget);
    fputs("</section>\n", tv->f);
}

/* The entry to highlight in the failing step: the last server line equal to the failure's
   `got` (escaped as the report escapes it), else the step's last server line; -1. */
static long long marked_entry(const struct tview *tv, const json_t *steps)
{
    const json_t *failure = mc_rj_obj(tv->sc, "failure");
    if (!failure || tv->failing < 0)
        return -1;
    const char *got = mc_rj_str(failure, "got", NULL);
    size_t first, end;
    step_range(tv, json_array_get(steps, (size_t)tv->failing), &first, &end);
    long long last_server = -1;
    for (size_t i = end; i > first; i--) {
        const json_t *entry = json_array_get(tv->entries, i - 1);
        if (strcmp(mc_rj_str(entry, "dir", ""), "server") != 0)
            continue;
        if (last_server < 0)
            last_server = (long long)(i - 1);
        struct mc_buf bytes = {0}, shown = {0};
        if (got && mc_rj_entry_bytes(entry, &bytes) == 0) {
            size_t n = bytes.len;
            while (n && (bytes.data[n - 1] == '\n' || bytes.data[n - 1] == '\r'))
                n--;
            mc_escape_append(&shown, bytes.data ? bytes.data : "", n, MC_ESCAPE_KEEP_UTF8);
        }
        bool same = got && shown.data && strcmp(shown.data, got) == 0;
        mc_buf_free(&bytes);
        mc_buf_free(&shown);
        if (same)
            return (long long)(i - 1);
    }
    return last_server;
}

static void write_sessions(FILE *f, const json_t *sc)
{
    const json_t *users = mc_rj_arr(sc, "users");
    size_t i;
    const json_t *session;
    fputs("<p class=\"legend\"><code>C:</code> what the harness sent, <code>S:</code> what the "
          "server sent, <code>--</code> what happened to the connection. Sessions: ",
          f);
    if (json_array_size(mc_rj_arr(sc, "sessions")) == 0)
        fputs("none", f);
    json_array_foreach(mc_rj_arr(sc, "sessions"), i, session)
    {
        fputs(i ? "; <code>" : "<code>", f);
        mc_html_text(f, mc_rj_str(session, "name", "?"));
        fputs("</code> ", f);
        mc_html_text(f, mc_rj_str(session, "protocol", "?"));
        fputs(", TLS ", f);
        mc_html_text(f, mc_rj_str(session, "tls", "?"));
        if (mc_rj_str(session, "endpoint", NULL)) {
            fputs(", endpoint ", f);
            mc_html_text(f, mc_rj_str(session, "endpoint", NULL));
        }
        long long user = mc_rj_int(session, "user", 0);
        const char *login =
            user > 0 ? json_string_value(json_array_get(users, (size_t)user - 1)) : NULL;
        if (login) {
            fputs(", user ", f);
            mc_html_text(f, login);
        }
        if (mc_rj_str(session, "adapted", NULL)) {
            fputs(" (adapted: ", f);
            mc_html_text(f, mc_rj_str(session, "adapted", NULL));
            fputs(")", f);
        }
    }
    fputs(".</p>\n", f);
}

void mc_html_transcript(FILE *f, const json_t *sc, bool wire)
{
    const json_t *steps = mc_rj_arr(sc, "steps");
    const json_t *failure = mc_rj_obj(sc, "failure");
    struct tview tv = {
        .f = f,
        .sc = sc,
        .entries = mc_rj_arr(sc, "transcript"),
        .n_entries = json_array_size(mc_rj_arr(sc, "transcript")),
        .wire = wire,
        .many_sessions = json_array_size(mc_rj_arr(sc, "sessions")) > 1,
        .budget = MC_HTML_SCENARIO_SHOWN_MAX,
        .failing = failure ? mc_rj_int(failure, "position", -1) : -1,
    };
    if (tv.failing >= (long long)json_array_size(steps))
        tv.failing = -1;
    tv.marked = wire ? marked_entry(&tv, steps) : -1;
    fputs(wire ? "<h4>Steps and transcript</h4>\n" : "<h4>Steps</h4>\n", f);
    if (wire)
        write_sessions(f, sc);
    else if (tv.n_entries)
        fputs("<p class=\"note\">The transcript is not shown: this page shows the transcripts "
              "of the scenarios chosen by <code>--transcript</code> (by default those that "
              "failed or had an error); the JSON report has it.</p>\n",
              f);
    if (mc_rj_bool(sc, "transcript_truncated", false))
        fputs("<p class=\"note cut\">The harness stopped recording this transcript at its "
              "budget (16 MiB): later bytes were never recorded, and steps after that have "
              "none.</p>\n",
              f);
    if (json_array_size(steps) == 0)
        fputs("<p class=\"note\">No step ran.</p>\n", f);
    size_t cursor = 0, position;
    const json_t *step;
    json_array_foreach(steps, position, step)
    {
        size_t first, end;
        step_range(&tv, step, &first, &end);
        if (wire && first > cursor)
            write_between(&tv, cursor, first, "Between steps");
        write_step(&tv, step, position);
        if (end > cursor)
            cursor = end;
    }
    if (wire && cursor < tv.n_entries)
        write_between(&tv, cursor, tv.n_entries,
                      json_array_size(steps) ? "After the last step" : "Transcript");
}
