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

/* Relative times are rounded to microseconds; 15 significant digits then print them exactly
   ("0.0123", not "0.012299999999999999") for anything below ~30 years. */
#define REPORT_US_PER_S 1000000.0
#define REPORT_SECONDS_MAX 1e9
/* Absolute times are written as 0000-01-01 .. 9999-12-31 (four-digit years, RFC 3339). */
#define REPORT_EPOCH_MAX 253402300799.0

/* ---- small jansson helpers: allocation failure aborts, as everywhere in the harness ---- */

json_t *mc_report_jx(json_t *v)
{
    if (!v) {
        fputs("mailconform: out of memory (report)\n", stderr);
        abort();
    }
    return v;
}

void mc_report_jset(json_t *obj, const char *key, json_t *v)
{
    if (json_object_set_new(obj, key, mc_report_jx(v)) != 0) {
        fputs("mailconform: out of memory (report)\n", stderr);
        abort();
    }
}

void mc_report_jpush(json_t *arr, json_t *v)
{
    if (json_array_append_new(arr, mc_report_jx(v)) != 0) {
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
json_t *mc_report_text(const char *s)
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
        mc_report_jset(obj, "text", json_string(""));
        return;
    }
    if (bytes_are_text(data, len)) {
        mc_report_jset(obj, "text", json_stringn(data, len));
        return;
    }
    struct mc_buf b = {0};
    mc_base64_encode(data, len, &b);
    mc_report_jset(obj, "base64", json_stringn(b.data ? b.data : "", b.len));
    mc_buf_free(&b);
}

/* ---- times ---- */

/* Seconds relative to something (a scenario's start, a step's start): a number, to 1 us. */
json_t *mc_report_seconds(double s)
{
    if (!isfinite(s) || s > REPORT_SECONDS_MAX || s < -REPORT_SECONDS_MAX)
        s = 0;
    long long us = (long long)(s * REPORT_US_PER_S + (s >= 0 ? 0.5 : -0.5));
    return json_real(us ? (double)us / REPORT_US_PER_S : 0.0);
}

/* Seconds since the epoch as "2026-11-23T10:00:00.123Z" (UTC, milliseconds). */
json_t *mc_report_time(double epoch)
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
const char *mc_report_level(int level)
{
    return level >= MC_LEVEL_MUST && level <= MC_LEVEL_MAY ? mc_level_name((enum mc_level)level)
                                                           : NULL;
}

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
    json_t *arr = mc_report_jx(json_array());
    for (size_t i = 0; i < refs->count; i++)
        mc_report_jpush(arr, json_pack("{s:i, s:o}", "rfc", refs->items[i].rfc, "section",
                                       mc_report_jx(mc_report_text(refs->items[i].section))));
    return arr;
}

static json_t *strings_json(char *const *items, size_t count)
{
    json_t *arr = mc_report_jx(json_array());
    for (size_t i = 0; i < count; i++)
        mc_report_jpush(arr, mc_report_text(items[i]));
    return arr;
}

json_t *mc_report_strv(const struct mc_strv *v)
{
    json_t *arr = mc_report_jx(json_array());
    for (size_t i = 0; i < v->count; i++)
        mc_report_jpush(arr, mc_report_text(v->items[i].ptr));
    return arr;
}

/* The session's name, or null for -1 (no session: fixtures, waits); NULL if out of range. */
static json_t *session_ref(const struct mc_scenario *sc, int session)
{
    if (session == -1)
        return json_null();
    if (session < 0 || (size_t)session >= sc->session_count)
        return NULL;
    return mc_report_text(sc->sessions[session].name);
}

/* The sessions as they ran: the TLS mode the transport chose (engine/transport.h). */
static json_t *sessions_json(const struct mc_scenario_result *sr, struct mc_buf *err)
{
    const struct mc_scenario *sc = sr->scenario;
    json_t *arr = mc_report_jx(json_array());
    for (size_t i = 0; i < sc->session_count; i++) {
        const struct mc_session_spec *ss = &sc->sessions[i];
        const char *tls = tls_name(sr->session_tls ? sr->session_tls[i] : ss->tls);
        if (!ss->proto || !tls) {
            json_decref(arr);
            mc_report_error(err, "report: %s: scenario %s: session %zu has no protocol or TLS mode",
                            sc->file, sc->id, i);
            return NULL;
        }
        json_t *o = mc_report_jx(json_object());
        mc_report_jset(o, "name", mc_report_text(ss->name));
        mc_report_jset(o, "protocol", json_string(ss->proto->name));
        mc_report_jset(o, "tls", json_string(tls));
        mc_report_jset(o, "endpoint", mc_report_text(ss->endpoint));
        mc_report_jset(o, "user", json_integer(ss->user));
        mc_report_jset(o, "adapted",
                       mc_report_text(sr->session_adapted ? sr->session_adapted[i] : NULL));
        mc_report_jpush(arr, o);
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
    json_t *o = mc_report_jx(json_object());
    mc_report_jset(o, "t", mc_report_seconds(e->t));
    mc_report_jset(o, "session", session_ref(sr->scenario, e->session));
    mc_report_jset(o, "dir", json_string(dir_name(e->dir)));
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
    if (!problem && !mc_report_level(level))
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

    json_t *o = mc_report_jx(json_object());
    mc_report_jset(o, "index", json_integer(st->index));
    mc_report_jset(o, "label", mc_report_text(st->label));
    mc_report_jset(o, "line", spec ? json_integer(spec->line) : json_null());
    mc_report_jset(o, "column", spec ? json_integer(spec->column) : json_null());
    mc_report_jset(o, "session", session);
    mc_report_jset(o, "outcome", json_string(mc_outcome_name(st->outcome)));
    mc_report_jset(o, "start_s", mc_report_seconds(st->start));
    mc_report_jset(o, "duration_s", mc_report_seconds(st->duration));
    mc_report_jset(o, "sent", mc_report_text(st->sent));
    mc_report_jset(o, "expected", expected ? expected : json_null());
    mc_report_jset(o, "got", mc_report_text(st->got));
    mc_report_jset(o, "why", mc_report_text(st->why));
    mc_report_jset(o, "rationale", mc_report_text(spec ? spec->why : NULL));
    mc_report_jset(o, "rfc", rfc_refs_json(rfc));
    mc_report_jset(o, "level", json_string(mc_report_level(level)));
    mc_report_jset(o, "soft", json_boolean(st->soft));
    mc_report_jset(
        o, "transcript",
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
    json_t *f = mc_report_jx(json_object());
    mc_report_jset(f, "position", json_integer((json_int_t)pos));
    mc_report_jset(f, "step", json_deep_copy(json_object_get(step, "index")));
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        mc_report_jset(f, keys[k], json_deep_copy(json_object_get(step, keys[k])));
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
    json_t *arr = mc_report_jx(json_array());
    for (size_t pos = 0; pos < sr->step_count; pos++) {
        const json_t *step = json_array_get(steps, pos);
        if (step_is_warning(&sr->steps[pos], step))
            mc_report_jpush(arr, failed_step_json(pos, step));
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
    if (!outcome_valid(sr->outcome) || !mc_report_level((int)sc->level)) {
        mc_report_error(err, "report: %s: scenario %s: bad outcome or level", sc->file, sc->id);
        return NULL;
    }
    if (transcript_check(sr, err) != 0)
        return NULL;

    json_t *o = mc_report_jx(json_object());
    mc_report_jset(o, "id", mc_report_text(sc->id));
    mc_report_jset(o, "title", mc_report_text(sc->title));
    mc_report_jset(o, "file", mc_report_text(sc->file));
    mc_report_jset(o, "level", json_string(mc_report_level((int)sc->level)));
    mc_report_jset(o, "rfc", rfc_refs_json(&sc->rfc));
    mc_report_jset(o, "tags", strings_json(sc->tags, sc->tag_count));
    mc_report_jset(o, "requires", strings_json(sc->requires, sc->require_count));
    mc_report_jset(o, "description", mc_report_text(sc->description));
    mc_report_jset(o, "outcome", json_string(mc_outcome_name(sr->outcome)));
    mc_report_jset(o, "reason", mc_report_text(sr->reason));
    mc_report_jset(o, "cause", mc_report_text(mc_cause_name(sr->cause)));
    mc_report_jset(o, "hint", mc_report_text(sr->hint));
    mc_report_jset(o, "run_id", mc_report_text(sr->run_id));
    mc_report_jset(o, "started", mc_report_time(sr->started));
    mc_report_jset(o, "duration_s", mc_report_seconds(sr->duration));
    mc_report_jset(o, "users", strings_json(sr->users, sr->user_count));

    json_t *sessions = sessions_json(sr, err);
    if (!sessions)
        goto fail;
    mc_report_jset(o, "sessions", sessions);

    json_t *steps = mc_report_jx(json_array());
    mc_report_jset(o, "steps", steps);
    for (size_t i = 0; i < sr->step_count; i++) {
        json_t *step = step_json(sr, i, err);
        if (!step)
            goto fail;
        mc_report_jpush(steps, step);
    }
    mc_report_jset(o, "failure", failure_json(sr, steps));
    mc_report_jset(o, "warnings", warnings_json(sr, steps));

    mc_report_jset(o, "transcript_truncated", json_boolean(sr->transcript_truncated));
    mc_report_jset(o, "transcript", json_array()); /* its entries are written one by one */
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
        mc_report_jpush(entries, mc_report_transcript_entry(sr, i));
    return o;
}
