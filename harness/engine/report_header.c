/*
 * report_header — the report's values about the whole run (report.h): the summary (counts by
 * outcome, protocol, level and RFC, skips by reason, errors by cause), what each endpoint
 * announced and how it looked (capabilities, endpoints with the probe's dialogue), retired
 * users, deviations and the run's verdict, put together by mc_report_header. The values of one
 * scenario, and the small helpers both use, are in report_json.c (report_internal.h).
 *
 * Format: docs/report-format.md. Schema: reports/schema/report.schema.json.
 */
#include "engine/report.h"
#include "engine/report_internal.h"

#include <stdlib.h>
#include <string.h>

#define REPORT_FORMAT "mailconform-report"
#define REPORT_FORMAT_VERSION 1
#define REPORT_LEVEL_COUNT 3 /* MUST, SHOULD, MAY */

#ifndef MC_VERSION
#define MC_VERSION "unknown"
#endif

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
    json_t *o = mc_report_jx(json_object());
    mc_report_jset(o, "total", json_integer((json_int_t)c->total));
    for (int k = 0; k < MC_OUTCOME_COUNT; k++)
        mc_report_jset(o, mc_outcome_name((enum mc_outcome)k), json_integer((json_int_t)c->n[k]));
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
    json_t *counts = mc_report_jx(json_object());
    for (size_t i = 0; i < run->scenario_count; i++) {
        const struct mc_scenario_result *sr = &run->scenarios[i];
        if (sr->outcome != MC_OUTCOME_SKIP)
            continue;
        const char *key = sr->reason ? sr->reason : "";
        json_t *n = json_object_get(counts, key);
        mc_report_jset(counts, key, json_integer(n ? json_integer_value(n) + 1 : 1));
    }
    json_t *arr = mc_report_jx(json_array());
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
        mc_report_jpush(arr, json_pack("{s:o, s:I}", "reason", mc_report_jx(mc_report_text(best)),
                                       "count", most));
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
    json_t *o = mc_report_jx(json_object());
    for (int k = 1; k < MC_CAUSE_COUNT; k++)
        if (n[k])
            mc_report_jset(o, mc_cause_name((enum mc_cause)k), json_integer((json_int_t)n[k]));
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
    json_t *by_protocol = mc_report_jx(json_object());
    for (size_t i = 0; i < s.proto_count; i++)
        mc_report_jset(by_protocol, s.protos[i].name, counts_json(&s.protos[i].c));
    mc_report_jset(o, "by_protocol", by_protocol);

    json_t *by_level = mc_report_jx(json_object());
    for (int l = 0; l < REPORT_LEVEL_COUNT; l++)
        mc_report_jset(by_level, mc_report_level(l), counts_json(&s.level[l]));
    mc_report_jset(o, "by_level", by_level);

    json_t *by_rfc = mc_report_jx(json_object());
    for (size_t i = 0; i < s.rfc_count; i++) {
        char key[16];
        snprintf(key, sizeof key, "%d", s.rfcs[i].rfc);
        mc_report_jset(by_rfc, key, counts_json(&s.rfcs[i].c));
    }
    mc_report_jset(o, "by_rfc", by_rfc);
    mc_report_jset(o, "skip_reasons", skip_reasons_json(run));
    mc_report_jset(o, "error_causes", error_causes_json(run));
    size_t warned = 0;
    for (size_t i = 0; i < run->scenario_count; i++)
        warned += run->scenarios[i].warnings > 0;
    mc_report_jset(o, "warned", json_integer((json_int_t)warned));

    free(s.protos);
    free(s.rfcs);
    return o;
}

/* ---- the document and its file ---- */

static json_t *capabilities_json(const struct mc_run_result *run)
{
    json_t *arr = mc_report_jx(json_array());
    for (size_t i = 0; i < run->probe_count; i++) {
        const struct mc_capability_probe *p = &run->probes[i];
        json_t *o = mc_report_jx(json_object());
        mc_report_jset(o, "endpoint", mc_report_text(p->endpoint));
        mc_report_jset(o, "protocol", mc_report_text(p->protocol));
        mc_report_jset(o, "greeting", mc_report_text(p->greeting));
        mc_report_jset(o, "plain", mc_report_strv(&p->plain));
        mc_report_jset(o, "after_tls", mc_report_strv(&p->after_tls));
        mc_report_jset(o, "after_login", mc_report_strv(&p->after_login));
        mc_report_jset(o, "error", mc_report_text(p->error));
        mc_report_jpush(arr, o);
    }
    return arr;
}

static json_t *problem_json(const char *aspect, const struct mc_problem *p)
{
    return json_pack("{s:s, s:s, s:o, s:o}", "aspect", aspect, "cause", mc_cause_name(p->cause),
                     "why", mc_report_jx(mc_report_text(p->why)), "hint",
                     mc_report_jx(mc_report_text(p->hint)));
}

/* What each endpoint is, whether it could be used, its TLS as the probe saw it, and the
   probe's dialogue with it. */
static json_t *endpoints_json(const struct mc_run_result *run)
{
    json_t *arr = mc_report_jx(json_array());
    for (size_t i = 0; i < run->probe_count; i++) {
        const struct mc_capability_probe *p = &run->probes[i];
        json_t *o = mc_report_jx(json_object());
        mc_report_jset(o, "name", mc_report_text(p->endpoint));
        mc_report_jset(o, "protocol", mc_report_text(p->protocol));
        mc_report_jset(o, "host", mc_report_text(p->host));
        mc_report_jset(o, "port", json_integer(p->port));
        mc_report_jset(o, "tls", json_string(p->implicit_tls ? "implicit" : "none"));
        mc_report_jset(o, "auth_required", json_boolean(p->auth_required));
        mc_report_jset(o, "promised", mc_report_strv(&p->promised));
        json_t *tls = json_null();
        if (p->tls_checked)
            tls = mc_report_jx(json_pack("{s:b, s:o, s:o, s:o, s:o}", "verified", p->tls_verified,
                                         "version", mc_report_jx(mc_report_text(p->tls_version)),
                                         "subject", mc_report_jx(mc_report_text(p->tls_subject)),
                                         "expires", mc_report_jx(mc_report_text(p->tls_expires)),
                                         "verify_error",
                                         mc_report_jx(mc_report_text(p->tls_verify_error))));
        mc_report_jset(o, "tls_seen", tls);
        json_t *problems = mc_report_jx(json_array());
        if (p->unusable.cause)
            mc_report_jpush(problems, problem_json("endpoint", &p->unusable));
        if (p->starttls.cause)
            mc_report_jpush(problems, problem_json("starttls", &p->starttls));
        if (p->login.cause)
            mc_report_jpush(problems, problem_json("login", &p->login));
        mc_report_jset(o, "problems", problems);
        /* The probe's dialogue, for a replay to answer the probe as the server did. */
        const struct mc_scenario_result *d = &p->dialogue;
        json_t *dialogue = mc_report_jx(json_array());
        for (size_t k = 0; k < d->transcript_count; k++)
            mc_report_jpush(dialogue, mc_report_transcript_entry(d, k));
        mc_report_jset(o, "transcript_truncated", json_boolean(d->transcript_truncated));
        mc_report_jset(o, "transcript", dialogue);
        mc_report_jpush(arr, o);
    }
    return arr;
}

static json_t *retired_json(const struct mc_run_result *run)
{
    json_t *arr = mc_report_jx(json_array());
    for (size_t i = 0; i < run->retired_count; i++)
        mc_report_jpush(arr, json_pack("{s:o, s:s, s:o}", "user",
                                       mc_report_jx(mc_report_text(run->retired[i].user)), "cause",
                                       mc_cause_name(run->retired[i].cause), "why",
                                       mc_report_jx(mc_report_text(run->retired[i].why))));
    return arr;
}

static json_t *deviations_json(const struct mc_run_result *run)
{
    json_t *arr = mc_report_jx(json_array());
    for (size_t i = 0; i < run->deviation_count; i++) {
        const struct mc_deviation_use *d = &run->deviations[i];
        mc_report_jpush(arr, json_pack("{s:o, s:o, s:I, s:I, s:b}", "scenario",
                                       mc_report_jx(mc_report_text(d->scenario)), "reason",
                                       mc_report_jx(mc_report_text(d->reason)), "applied",
                                       (json_int_t)d->applied, "passed", (json_int_t)d->passed,
                                       "stale", d->passed > 0 && d->applied == 0));
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
    json_t *o = mc_report_jx(json_object());
    mc_report_jset(o, "verdict", mc_report_text(run->verdict));
    mc_report_jset(o, "verdict_text", mc_report_text(run->verdict_text));
    mc_report_jset(o, "exit_status", run->verdict ? json_integer(run->exit_status) : json_null());
    mc_report_jset(o, "stopped", mc_report_text(run->stopped));
    mc_report_jset(o, "signal", run->stop_signal ? json_integer(run->stop_signal) : json_null());
    mc_report_jset(o, "options", json_object_text(run->options_json));
    mc_report_jset(o, "scenario_set", json_object_text(run->scenario_set_json));
    return o;
}

json_t *mc_report_header(const struct mc_run_result *run)
{
    json_t *root = mc_report_jx(json_object());
    mc_report_jset(root, "format", json_string(REPORT_FORMAT));
    mc_report_jset(root, "format_version", json_integer(REPORT_FORMAT_VERSION));
    mc_report_jset(root, "tool",
                   json_pack("{s:s, s:o}", "name", "mailconform", "version",
                             mc_report_jx(mc_report_text(run->tool_version ? run->tool_version
                                                                           : MC_VERSION))));
    mc_report_jset(root, "target",
                   json_pack("{s:o, s:o, s:o}", "name",
                             mc_report_jx(mc_report_text(run->target_name)), "source",
                             mc_report_jx(mc_report_text(run->target_source)), "domain",
                             mc_report_jx(mc_report_text(run->target_domain))));
    mc_report_jset(root, "started", mc_report_time(run->started));
    mc_report_jset(root, "finished", mc_report_time(run->finished));
    mc_report_jset(root, "duration_s", mc_report_seconds(run->finished - run->started));
    mc_report_jset(root, "jobs", json_integer(run->jobs));
    mc_report_jset(root, "run", run_json(run));
    mc_report_jset(root, "summary", summary_json(run));
    mc_report_jset(root, "endpoints", endpoints_json(run));
    mc_report_jset(root, "capabilities", capabilities_json(run));
    mc_report_jset(root, "retired_users", retired_json(run));
    mc_report_jset(root, "deviations", deviations_json(run));
    mc_report_jset(root, "scenarios", json_array()); /* written one by one */
    return root;
}
