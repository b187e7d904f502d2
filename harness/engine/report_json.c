/*
 * report_json — the JSON values of the report (result.h), the source of truth.
 *
 * Every other rendering (JUnit, TAP, HTML) is made from the report alone, and the reference
 * server can replay the server side of each session from its transcript, so the values keep
 * exact bytes: a transcript entry that is valid UTF-8 without NUL goes out as "text", any other
 * as "base64". Fields meant for people (got, why, greeting, capabilities, ...) are C strings
 * that may still hold invalid UTF-8 from a broken peer; they are written with each ill-formed
 * byte replaced by U+FFFD, since their exact bytes are in the transcript.
 *
 * This file builds the values, one scenario at a time: report_stream.c writes them, so that a
 * scenario's transcript is written (entry by entry) and freed when the scenario finishes, not
 * held until the run ends. The builders check the references inside the model (session and
 * step indexes, transcript ranges and entries, expectations that must be JSON objects) and
 * refuse, naming the scenario and step, a scenario that points nowhere. They never interpret
 * outcomes: the engine decides them, the report only counts them.
 *
 * Format: docs/report-format.md. Schema: reports/schema/report.schema.json.
 */
#include "engine/report.h"
#include "engine/report_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/base64.h"
#include "lib/utf8.h"

#define REPORT_FORMAT "mailconform-report"
#define REPORT_FORMAT_VERSION 1
/* Relative times are rounded to microseconds; 15 significant digits then print them exactly
   ("0.0123", not "0.012299999999999999") for anything below ~30 years. */
#define REPORT_US_PER_S 1000000.0
#define REPORT_SECONDS_MAX 1e9
/* Absolute times are written as 0000-01-01 .. 9999-12-31 (four-digit years, RFC 3339). */
#define REPORT_EPOCH_MAX 253402300799.0

#ifndef MC_VERSION
#define MC_VERSION "unknown"
#endif

/* ---- small jansson helpers: allocation failure aborts, as everywhere in the harness ---- */

static json_t *jx(json_t *v)
{
    if (!v) {
        fputs("mailconform: out of memory (report)\n", stderr);
        abort();
    }
    return v;
}

static void jset(json_t *obj, const char *key, json_t *v)
{
    if (json_object_set_new(obj, key, jx(v)) != 0) {
        fputs("mailconform: out of memory (report)\n", stderr);
        abort();
    }
}

static void jpush(json_t *arr, json_t *v)
{
    if (json_array_append_new(arr, jx(v)) != 0) {
        fputs("mailconform: out of memory (report)\n", stderr);
        abort();
    }
}

int mc_report_error(struct mc_buf *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        mc_buf_vprintf(err, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- text and bytes ---- */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629 section 4), or 0 if ill-formed. */
static size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
    uint32_t cp;
    return mc_utf8_decode((const char *)p, avail, &cp);
}

/* True when the bytes can go out as a JSON string that every reader takes back unchanged:
   well-formed UTF-8 and no NUL (jansson, among others, refuses "\u0000" by default). */
static bool bytes_are_text(const char *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    for (size_t i = 0; i < len;) {
        size_t n = p[i] ? utf8_seq_len(p + i, len - i) : 0;
        if (!n)
            return false;
        i += n;
    }
    return true;
}

/* A string for people: NULL becomes null, ill-formed bytes become U+FFFD. */
static json_t *json_text(const char *s)
{
    if (!s)
        return json_null();
    size_t len = strlen(s);
    if (bytes_are_text(s, len))
        return json_stringn(s, len);

    struct mc_buf b = {0};
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(p + i, len - i);
        if (n) {
            mc_buf_append(&b, p + i, n);
            i += n;
        } else {
            mc_buf_append_str(&b, "\xEF\xBF\xBD");
            i++;
        }
    }
    json_t *v = json_stringn(b.data, b.len);
    mc_buf_free(&b);
    return v;
}

/* Exact bytes: "text" when they are text, otherwise "base64" (exactly one of the two). */
static void set_bytes(json_t *obj, const char *data, size_t len)
{
    if (!data || !len) {
        jset(obj, "text", json_string(""));
        return;
    }
    if (bytes_are_text(data, len)) {
        jset(obj, "text", json_stringn(data, len));
        return;
    }
    struct mc_buf b = {0};
    mc_base64_encode(data, len, &b);
    jset(obj, "base64", json_stringn(b.data ? b.data : "", b.len));
    mc_buf_free(&b);
}

/* ---- times ---- */

/* Seconds relative to something (a scenario's start, a step's start): a number, to 1 us. */
static json_t *json_seconds(double s)
{
    if (!isfinite(s) || s > REPORT_SECONDS_MAX || s < -REPORT_SECONDS_MAX)
        s = 0;
    long long us = (long long)(s * REPORT_US_PER_S + (s >= 0 ? 0.5 : -0.5));
    return json_real(us ? (double)us / REPORT_US_PER_S : 0.0);
}

/* Seconds since the epoch as "2026-11-23T10:00:00.123Z" (UTC, milliseconds). */
static json_t *json_iso_time(double epoch)
{
    if (!isfinite(epoch) || epoch < 0 || epoch > REPORT_EPOCH_MAX)
        epoch = 0;
    long long ms = (long long)(epoch * 1000.0 + 0.5);
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char out[40];

    if (!gmtime_r(&secs, &tm))
        return json_string("1970-01-01T00:00:00.000Z");
    size_t n = strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, sizeof out - n, ".%03dZ", (int)(ms % 1000));
    return json_string(out);
}

/* ---- the report's vocabulary ---- */

/* The scenario module's names, or NULL for a value outside its enum (then the report is
   refused rather than written with a name that does not exist). */
static const char *level_name(int level)
{
    return level >= MC_LEVEL_MUST && level <= MC_LEVEL_MAY ? mc_level_name((enum mc_level)level)
                                                           : NULL;
}
#define REPORT_LEVEL_COUNT 3

static const char *tls_name(enum mc_tls_mode mode)
{
    return mode >= MC_TLS_NONE && mode <= MC_TLS_STARTTLS ? mc_tls_mode_name(mode) : NULL;
}

static const char *dir_name(enum mc_transcript_dir dir)
{
    switch (dir) {
    case MC_DIR_CLIENT:
        return "client";
    case MC_DIR_SERVER:
        return "server";
    case MC_DIR_EVENT:
        return "event";
    }
    return NULL;
}

static bool outcome_valid(enum mc_outcome o)
{
    return (unsigned)o < MC_OUTCOME_COUNT;
}

/* ---- pieces of a scenario ---- */

static json_t *rfc_refs_json(const struct mc_rfc_refs *refs)
{
    json_t *arr = jx(json_array());
    for (size_t i = 0; i < refs->count; i++)
        jpush(arr, json_pack("{s:i, s:o}", "rfc", refs->items[i].rfc, "section",
                             jx(json_text(refs->items[i].section))));
    return arr;
}

static json_t *strings_json(char *const *items, size_t count)
{
    json_t *arr = jx(json_array());
    for (size_t i = 0; i < count; i++)
        jpush(arr, json_text(items[i]));
    return arr;
}

static json_t *strv_json(const struct mc_strv *v)
{
    json_t *arr = jx(json_array());
    for (size_t i = 0; i < v->count; i++)
        jpush(arr, json_text(v->items[i].ptr));
    return arr;
}

/* The session's name, or null for -1 (no session: fixtures, waits); NULL if out of range. */
static json_t *session_ref(const struct mc_scenario *sc, int session)
{
    if (session == -1)
        return json_null();
    if (session < 0 || (size_t)session >= sc->session_count)
        return NULL;
    return json_text(sc->sessions[session].name);
}

/* The sessions as they ran: the TLS mode the transport chose (engine/transport.h). */
static json_t *sessions_json(const struct mc_scenario_result *sr, struct mc_buf *err)
{
    const struct mc_scenario *sc = sr->scenario;
    json_t *arr = jx(json_array());
    for (size_t i = 0; i < sc->session_count; i++) {
        const struct mc_session_spec *ss = &sc->sessions[i];
        const char *tls = tls_name(sr->session_tls ? sr->session_tls[i] : ss->tls);
        if (!ss->proto || !tls) {
            json_decref(arr);
            mc_report_error(err, "report: %s: scenario %s: session %zu has no protocol or TLS mode",
                            sc->file, sc->id, i);
            return NULL;
        }
        json_t *o = jx(json_object());
        jset(o, "name", json_text(ss->name));
        jset(o, "protocol", json_string(ss->proto->name));
        jset(o, "tls", json_string(tls));
        jset(o, "endpoint", json_text(ss->endpoint));
        jset(o, "user", json_integer(ss->user));
        jset(o, "adapted", json_text(sr->session_adapted ? sr->session_adapted[i] : NULL));
        jpush(arr, o);
    }
    return arr;
}

/* Every entry names a direction and a session that exist; 0, or -1 with a message. */
static int transcript_check(const struct mc_scenario_result *sr, struct mc_buf *err)
{
    const struct mc_scenario *sc = sr->scenario;
    if (sr->transcript_released)
        return mc_report_error(err,
                               "report: %s: scenario %s: its transcript was freed before it was "
                               "written (mc_run_options.keep_transcripts)",
                               sc->file, sc->id);
    for (size_t i = 0; i < sr->transcript_count; i++) {
        const struct mc_transcript_entry *e = &sr->transcript[i];
        bool dir_ok = dir_name(e->dir) != NULL;
        bool session_ok =
            e->session == -1 || (e->session >= 0 && (size_t)e->session < sc->session_count);
        if (!dir_ok || !session_ok)
            return mc_report_error(err, "report: %s: scenario %s: transcript entry %zu: bad %s",
                                   sc->file, sc->id, i, dir_ok ? "session index" : "direction");
    }
    return 0;
}

json_t *mc_report_transcript_entry(const struct mc_scenario_result *sr, size_t i)
{
    const struct mc_transcript_entry *e = &sr->transcript[i];
    json_t *o = jx(json_object());
    jset(o, "t", json_seconds(e->t));
    jset(o, "session", session_ref(sr->scenario, e->session));
    jset(o, "dir", json_string(dir_name(e->dir)));
    set_bytes(o, e->data, e->len);
    return o;
}

/* The step at `pos` in sr->steps; checks every reference it makes into the scenario. */
static json_t *step_json(const struct mc_scenario_result *sr, size_t pos, struct mc_buf *err)
{
    const struct mc_scenario *sc = sr->scenario;
    const struct mc_step_result *st = &sr->steps[pos];
    const struct mc_step *spec = NULL;
    const char *problem = NULL;
    json_t *session = NULL, *expected = NULL;
    json_error_t jerr;

    if (st->index >= 0 && (size_t)st->index < sc->step_count)
        spec = &sc->steps[st->index];
    else if (st->index != -1)
        problem = "step index out of range";
    int level = spec && spec->level >= 0 ? spec->level : (int)sc->level;
    const struct mc_rfc_refs *rfc = spec && spec->rfc.count ? &spec->rfc : &sc->rfc;
    struct mc_rfc_ref rule_ref;
    struct mc_rfc_refs rule_refs = {&rule_ref, 1};
    if (st->rule) { /* an implicit step broke a rule of the protocol itself */
        rule_ref = (struct mc_rfc_ref){.rfc = st->rule->rfc, .section = (char *)st->rule->section};
        rfc = &rule_refs;
        level = MC_LEVEL_MUST;
    }

    if (!problem && !outcome_valid(st->outcome))
        problem = "bad outcome";
    if (!problem && !level_name(level))
        problem = "bad level";
    if (!problem && st->transcript_first > sr->transcript_count)
        problem = "transcript range out of bounds";
    if (!problem && st->transcript_count > sr->transcript_count - st->transcript_first)
        problem = "transcript range out of bounds";
    if (!problem && !(session = session_ref(sc, st->session)))
        problem = "session index out of range";
    if (!problem && st->expected) {
        expected = json_loads(st->expected, 0, &jerr);
        if (!json_is_object(expected))
            problem = expected ? "expected is not a JSON object" : jerr.text;
    }
    if (problem) {
        json_decref(session);
        json_decref(expected);
        mc_report_error(err, "report: %s: scenario %s: step %zu (%s): %s", sc->file, sc->id, pos,
                        st->label ? st->label : "?", problem);
        return NULL;
    }

    json_t *o = jx(json_object());
    jset(o, "index", json_integer(st->index));
    jset(o, "label", json_text(st->label));
    jset(o, "line", spec ? json_integer(spec->line) : json_null());
    jset(o, "column", spec ? json_integer(spec->column) : json_null());
    jset(o, "session", session);
    jset(o, "outcome", json_string(mc_outcome_name(st->outcome)));
    jset(o, "start_s", json_seconds(st->start));
    jset(o, "duration_s", json_seconds(st->duration));
    jset(o, "sent", json_text(st->sent));
    jset(o, "expected", expected ? expected : json_null());
    jset(o, "got", json_text(st->got));
    jset(o, "why", json_text(st->why));
    jset(o, "rationale", json_text(spec ? spec->why : NULL));
    jset(o, "rfc", rfc_refs_json(rfc));
    jset(o, "level", json_string(level_name(level)));
    jset(o, "soft", json_boolean(st->soft));
    jset(o, "transcript",
         json_pack("[I, I]", (json_int_t)st->transcript_first, (json_int_t)st->transcript_count));
    return o;
}

static bool outcome_is_failure(enum mc_outcome o)
{
    return o == MC_OUTCOME_FAIL || o == MC_OUTCOME_DEVIATION || o == MC_OUTCOME_ERROR;
}

/* A soft step that failed below level MUST: a warning, which leaves the outcome alone. */
static bool step_is_warning(const struct mc_step_result *st, const json_t *step)
{
    const char *level = json_string_value(json_object_get(step, "level"));
    return st->soft && st->outcome == MC_OUTCOME_FAIL && level && strcmp(level, "MUST") != 0;
}

/* A failed step in the fields a renderer needs, copied from its step object. */
static json_t *failed_step_json(size_t pos, const json_t *step)
{
    static const char *const keys[] = {"label",     "session",  "line", "column",
                                       "outcome",   "expected", "got",  "why",
                                       "rationale", "rfc",      "level"};
    json_t *f = jx(json_object());
    jset(f, "position", json_integer((json_int_t)pos));
    jset(f, "step", json_deep_copy(json_object_get(step, "index")));
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        jset(f, keys[k], json_deep_copy(json_object_get(step, keys[k])));
    return f;
}

/* The first step that failed (fail, deviation or error) and was not a warning; null when no
   step failed. */
static json_t *failure_json(const struct mc_scenario_result *sr, const json_t *steps)
{
    for (size_t pos = 0; pos < sr->step_count; pos++) {
        const json_t *step = json_array_get(steps, pos);
        if (outcome_is_failure(sr->steps[pos].outcome) && !step_is_warning(&sr->steps[pos], step))
            return failed_step_json(pos, step);
    }
    return json_null();
}

/* Every warning (a soft step below MUST that failed), in step order. */
static json_t *warnings_json(const struct mc_scenario_result *sr, const json_t *steps)
{
    json_t *arr = jx(json_array());
    for (size_t pos = 0; pos < sr->step_count; pos++) {
        const json_t *step = json_array_get(steps, pos);
        if (step_is_warning(&sr->steps[pos], step))
            jpush(arr, failed_step_json(pos, step));
    }
    return arr;
}

json_t *mc_report_scenario(const struct mc_scenario_result *sr, size_t pos, struct mc_buf *err)
{
    const struct mc_scenario *sc = sr->scenario;
    if (!sc) {
        mc_report_error(err, "report: scenario result %zu has no scenario", pos);
        return NULL;
    }
    if (!outcome_valid(sr->outcome) || !level_name((int)sc->level)) {
        mc_report_error(err, "report: %s: scenario %s: bad outcome or level", sc->file, sc->id);
        return NULL;
    }
    if (transcript_check(sr, err) != 0)
        return NULL;

    json_t *o = jx(json_object());
    jset(o, "id", json_text(sc->id));
    jset(o, "title", json_text(sc->title));
    jset(o, "file", json_text(sc->file));
    jset(o, "level", json_string(level_name((int)sc->level)));
    jset(o, "rfc", rfc_refs_json(&sc->rfc));
    jset(o, "tags", strings_json(sc->tags, sc->tag_count));
    jset(o, "requires", strings_json(sc->requires, sc->require_count));
    jset(o, "description", json_text(sc->description));
    jset(o, "outcome", json_string(mc_outcome_name(sr->outcome)));
    jset(o, "reason", json_text(sr->reason));
    jset(o, "cause", json_text(mc_cause_name(sr->cause)));
    jset(o, "hint", json_text(sr->hint));
    jset(o, "run_id", json_text(sr->run_id));
    jset(o, "started", json_iso_time(sr->started));
    jset(o, "duration_s", json_seconds(sr->duration));
    jset(o, "users", strings_json(sr->users, sr->user_count));

    json_t *sessions = sessions_json(sr, err);
    if (!sessions)
        goto fail;
    jset(o, "sessions", sessions);

    json_t *steps = jx(json_array());
    jset(o, "steps", steps);
    for (size_t i = 0; i < sr->step_count; i++) {
        json_t *step = step_json(sr, i, err);
        if (!step)
            goto fail;
        jpush(steps, step);
    }
    jset(o, "failure", failure_json(sr, steps));
    jset(o, "warnings", warnings_json(sr, steps));

    jset(o, "transcript_truncated", json_boolean(sr->transcript_truncated));
    jset(o, "transcript", json_array()); /* its entries are written one by one */
    return o;

fail:
    json_decref(o);
    return NULL;
}

json_t *mc_report_scenario_json(const struct mc_scenario_result *sr, struct mc_buf *err)
{
    if (!sr->scenario) {
        mc_report_error(err, "report: a scenario result has no scenario");
        return NULL;
    }
    json_t *o = mc_report_scenario(sr, 0, err); /* 0: the position only names a scenario-less
                                                   result in a message, excluded above */
    if (!o)
        return NULL;
    json_t *entries = json_object_get(o, "transcript");
    for (size_t i = 0; i < sr->transcript_count; i++)
        jpush(entries, mc_report_transcript_entry(sr, i));
    return o;
}

/* ---- summary ---- */

struct counts {
    size_t total;
    size_t n[MC_OUTCOME_COUNT];
};

struct proto_counts {
    const char *name;
    struct counts c;
};

struct rfc_counts {
    int rfc;
    struct counts c;
};

struct summary {
    struct counts all;
    struct counts level[REPORT_LEVEL_COUNT];
    struct proto_counts *protos;
    size_t proto_count;
    struct rfc_counts *rfcs;
    size_t rfc_count;
};

static void counts_add(struct counts *c, enum mc_outcome o)
{
    c->total++;
    c->n[o]++;
}

static json_t *counts_json(const struct counts *c)
{
    json_t *o = jx(json_object());
    jset(o, "total", json_integer((json_int_t)c->total));
    for (int k = 0; k < MC_OUTCOME_COUNT; k++)
        jset(o, mc_outcome_name((enum mc_outcome)k), json_integer((json_int_t)c->n[k]));
    return o;
}

static void summary_add_protocol(struct summary *s, const char *name, enum mc_outcome o)
{
    for (size_t i = 0; i < s->proto_count; i++) {
        if (!strcmp(s->protos[i].name, name)) {
            counts_add(&s->protos[i].c, o);
            return;
        }
    }
    s->protos = mc_xrealloc(s->protos, (s->proto_count + 1) * sizeof *s->protos);
    s->protos[s->proto_count] = (struct proto_counts){.name = name};
    counts_add(&s->protos[s->proto_count++].c, o);
}

static void summary_add_rfc(struct summary *s, int rfc, enum mc_outcome o)
{
    for (size_t i = 0; i < s->rfc_count; i++) {
        if (s->rfcs[i].rfc == rfc) {
            counts_add(&s->rfcs[i].c, o);
            return;
        }
    }
    s->rfcs = mc_xrealloc(s->rfcs, (s->rfc_count + 1) * sizeof *s->rfcs);
    s->rfcs[s->rfc_count] = (struct rfc_counts){.rfc = rfc};
    counts_add(&s->rfcs[s->rfc_count++].c, o);
}

static bool int_seen(const int *v, size_t n, int x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

/* A scenario counts once under each protocol its sessions use and once under each RFC that it
   or one of its steps cites. Called only for scenarios mc_report_scenario accepted. */
static void summary_add(struct summary *s, const struct mc_scenario_result *sr)
{
    const struct mc_scenario *sc = sr->scenario;
    counts_add(&s->all, sr->outcome);
    counts_add(&s->level[sc->level], sr->outcome);

    for (size_t i = 0; i < sc->session_count; i++) {
        const char *name = sc->sessions[i].proto->name;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(sc->sessions[j].proto->name, name);
        if (!seen)
            summary_add_protocol(s, name, sr->outcome);
    }

    size_t cap = sc->rfc.count, n = 0;
    for (size_t i = 0; i < sc->step_count; i++)
        cap += sc->steps[i].rfc.count;
    int *rfcs = mc_xcalloc(cap ? cap : 1, sizeof *rfcs);
    for (size_t i = 0; i < sc->rfc.count; i++)
        if (!int_seen(rfcs, n, sc->rfc.items[i].rfc))
            rfcs[n++] = sc->rfc.items[i].rfc;
    for (size_t i = 0; i < sc->step_count; i++)
        for (size_t j = 0; j < sc->steps[i].rfc.count; j++)
            if (!int_seen(rfcs, n, sc->steps[i].rfc.items[j].rfc))
                rfcs[n++] = sc->steps[i].rfc.items[j].rfc;
    for (size_t i = 0; i < n; i++)
        summary_add_rfc(s, rfcs[i], sr->outcome);
    free(rfcs);
}

static int proto_cmp(const void *a, const void *b)
{
    return strcmp(((const struct proto_counts *)a)->name, ((const struct proto_counts *)b)->name);
}

static int rfc_cmp(const void *a, const void *b)
{
    int x = ((const struct rfc_counts *)a)->rfc, y = ((const struct rfc_counts *)b)->rfc;
    return (x > y) - (x < y);
}

/* Skips grouped by their reason, most frequent first: what the target lacks. */
static json_t *skip_reasons_json(const struct mc_run_result *run)
{
    json_t *counts = jx(json_object());
    for (size_t i = 0; i < run->scenario_count; i++) {
        const struct mc_scenario_result *sr = &run->scenarios[i];
        if (sr->outcome != MC_OUTCOME_SKIP)
            continue;
        const char *key = sr->reason ? sr->reason : "";
        json_t *n = json_object_get(counts, key);
        jset(counts, key, json_integer(n ? json_integer_value(n) + 1 : 1));
    }
    json_t *arr = jx(json_array());
    while (json_object_size(counts)) {
        const char *key, *best = NULL;
        json_t *v;
        json_int_t most = -1;
        json_object_foreach(counts, key, v)
        {
            if (json_integer_value(v) > most) {
                most = json_integer_value(v);
                best = key;
            }
        }
        jpush(arr, json_pack("{s:o, s:I}", "reason", jx(json_text(best)), "count", most));
        json_object_del(counts, best);
    }
    json_decref(counts);
    return arr;
}

/* Errors counted by cause: what the tester must fix. */
static json_t *error_causes_json(const struct mc_run_result *run)
{
    size_t n[MC_CAUSE_COUNT] = {0};
    for (size_t i = 0; i < run->scenario_count; i++)
        if (run->scenarios[i].outcome == MC_OUTCOME_ERROR &&
            (unsigned)run->scenarios[i].cause < MC_CAUSE_COUNT)
            n[run->scenarios[i].cause]++;
    json_t *o = jx(json_object());
    for (int k = 1; k < MC_CAUSE_COUNT; k++)
        if (n[k])
            jset(o, mc_cause_name((enum mc_cause)k), json_integer((json_int_t)n[k]));
    return o;
}

/* Keys are sorted (protocols by name, RFCs by number) so that two runs of different scenario
   selections list them in the same order. */
static json_t *summary_json(const struct mc_run_result *run)
{
    struct summary s = {0};
    for (size_t i = 0; i < run->scenario_count; i++)
        summary_add(&s, &run->scenarios[i]);
    if (s.proto_count)
        qsort(s.protos, s.proto_count, sizeof *s.protos, proto_cmp);
    if (s.rfc_count)
        qsort(s.rfcs, s.rfc_count, sizeof *s.rfcs, rfc_cmp);

    json_t *o = counts_json(&s.all);
    json_t *by_protocol = jx(json_object());
    for (size_t i = 0; i < s.proto_count; i++)
        jset(by_protocol, s.protos[i].name, counts_json(&s.protos[i].c));
    jset(o, "by_protocol", by_protocol);

    json_t *by_level = jx(json_object());
    for (int l = 0; l < REPORT_LEVEL_COUNT; l++)
        jset(by_level, level_name(l), counts_json(&s.level[l]));
    jset(o, "by_level", by_level);

    json_t *by_rfc = jx(json_object());
    for (size_t i = 0; i < s.rfc_count; i++) {
        char key[16];
        snprintf(key, sizeof key, "%d", s.rfcs[i].rfc);
        jset(by_rfc, key, counts_json(&s.rfcs[i].c));
    }
    jset(o, "by_rfc", by_rfc);
    jset(o, "skip_reasons", skip_reasons_json(run));
    jset(o, "error_causes", error_causes_json(run));
    size_t warned = 0;
    for (size_t i = 0; i < run->scenario_count; i++)
        warned += run->scenarios[i].warnings > 0;
    jset(o, "warned", json_integer((json_int_t)warned));

    free(s.protos);
    free(s.rfcs);
    return o;
}

/* ---- the document and its file ---- */

static json_t *capabilities_json(const struct mc_run_result *run)
{
    json_t *arr = jx(json_array());
    for (size_t i = 0; i < run->probe_count; i++) {
        const struct mc_capability_probe *p = &run->probes[i];
        json_t *o = jx(json_object());
        jset(o, "endpoint", json_text(p->endpoint));
        jset(o, "protocol", json_text(p->protocol));
        jset(o, "greeting", json_text(p->greeting));
        jset(o, "plain", strv_json(&p->plain));
        jset(o, "after_tls", strv_json(&p->after_tls));
        jset(o, "after_login", strv_json(&p->after_login));
        jset(o, "error", json_text(p->error));
        jpush(arr, o);
    }
    return arr;
}

static json_t *problem_json(const char *aspect, const struct mc_problem *p)
{
    return json_pack("{s:s, s:s, s:o, s:o}", "aspect", aspect, "cause", mc_cause_name(p->cause),
                     "why", jx(json_text(p->why)), "hint", jx(json_text(p->hint)));
}

/* What each endpoint is, whether it could be used, its TLS as the probe saw it, and the
   probe's dialogue with it. */
static json_t *endpoints_json(const struct mc_run_result *run)
{
    json_t *arr = jx(json_array());
    for (size_t i = 0; i < run->probe_count; i++) {
        const struct mc_capability_probe *p = &run->probes[i];
        json_t *o = jx(json_object());
        jset(o, "name", json_text(p->endpoint));
        jset(o, "protocol", json_text(p->protocol));
        jset(o, "host", json_text(p->host));
        jset(o, "port", json_integer(p->port));
        jset(o, "tls", json_string(p->implicit_tls ? "implicit" : "none"));
        jset(o, "auth_required", json_boolean(p->auth_required));
        jset(o, "promised", strv_json(&p->promised));
        json_t *tls = json_null();
        if (p->tls_checked)
            tls = jx(json_pack(
                "{s:b, s:o, s:o, s:o, s:o}", "verified", p->tls_verified, "version",
                jx(json_text(p->tls_version)), "subject", jx(json_text(p->tls_subject)), "expires",
                jx(json_text(p->tls_expires)), "verify_error", jx(json_text(p->tls_verify_error))));
        jset(o, "tls_seen", tls);
        json_t *problems = jx(json_array());
        if (p->unusable.cause)
            jpush(problems, problem_json("endpoint", &p->unusable));
        if (p->starttls.cause)
            jpush(problems, problem_json("starttls", &p->starttls));
        if (p->login.cause)
            jpush(problems, problem_json("login", &p->login));
        jset(o, "problems", problems);
        /* The probe's dialogue, for a replay to answer the probe as the server did. */
        const struct mc_scenario_result *d = &p->dialogue;
        json_t *dialogue = jx(json_array());
        for (size_t k = 0; k < d->transcript_count; k++)
            jpush(dialogue, mc_report_transcript_entry(d, k));
        jset(o, "transcript_truncated", json_boolean(d->transcript_truncated));
        jset(o, "transcript", dialogue);
        jpush(arr, o);
    }
    return arr;
}

static json_t *retired_json(const struct mc_run_result *run)
{
    json_t *arr = jx(json_array());
    for (size_t i = 0; i < run->retired_count; i++)
        jpush(arr, json_pack("{s:o, s:s, s:o}", "user", jx(json_text(run->retired[i].user)),
                             "cause", mc_cause_name(run->retired[i].cause), "why",
                             jx(json_text(run->retired[i].why))));
    return arr;
}

static json_t *deviations_json(const struct mc_run_result *run)
{
    json_t *arr = jx(json_array());
    for (size_t i = 0; i < run->deviation_count; i++) {
        const struct mc_deviation_use *d = &run->deviations[i];
        jpush(arr, json_pack("{s:o, s:o, s:I, s:I, s:b}", "scenario", jx(json_text(d->scenario)),
                             "reason", jx(json_text(d->reason)), "applied", (json_int_t)d->applied,
                             "passed", (json_int_t)d->passed, "stale",
                             d->passed > 0 && d->applied == 0));
    }
    return arr;
}

/* A JSON object given as text by the command line, or null. */
static json_t *json_object_text(const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    if (v && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v ? v : json_null();
}

static json_t *run_json(const struct mc_run_result *run)
{
    json_t *o = jx(json_object());
    jset(o, "verdict", json_text(run->verdict));
    jset(o, "verdict_text", json_text(run->verdict_text));
    jset(o, "exit_status", run->verdict ? json_integer(run->exit_status) : json_null());
    jset(o, "stopped", json_text(run->stopped));
    jset(o, "signal", run->stop_signal ? json_integer(run->stop_signal) : json_null());
    jset(o, "options", json_object_text(run->options_json));
    jset(o, "scenario_set", json_object_text(run->scenario_set_json));
    return o;
}

json_t *mc_report_header(const struct mc_run_result *run)
{
    json_t *root = jx(json_object());
    jset(root, "format", json_string(REPORT_FORMAT));
    jset(root, "format_version", json_integer(REPORT_FORMAT_VERSION));
    jset(root, "tool",
         json_pack("{s:s, s:o}", "name", "mailconform", "version",
                   jx(json_text(run->tool_version ? run->tool_version : MC_VERSION))));
    jset(root, "target",
         json_pack("{s:o, s:o, s:o}", "name", jx(json_text(run->target_name)), "source",
                   jx(json_text(run->target_source)), "domain", jx(json_text(run->target_domain))));
    jset(root, "started", json_iso_time(run->started));
    jset(root, "finished", json_iso_time(run->finished));
    jset(root, "duration_s", json_seconds(run->finished - run->started));
    jset(root, "jobs", json_integer(run->jobs));
    jset(root, "run", run_json(run));
    jset(root, "summary", summary_json(run));
    jset(root, "endpoints", endpoints_json(run));
    jset(root, "capabilities", capabilities_json(run));
    jset(root, "retired_users", retired_json(run));
    jset(root, "deviations", deviations_json(run));
    jset(root, "scenarios", json_array()); /* written one by one */
    return root;
}
