/*
 * result — names of the values in the result model (result.h), and letting go of a scenario's
 * transcript.
 *
 * The names are the report's vocabulary (docs/report-format.md): renderers and the report
 * schema match on them, so they change only with the report's format_version.
 */
#include "engine/result.h"

#include <stdlib.h>
#include <string.h>

const char *mc_outcome_name(enum mc_outcome o)
{
    switch (o) {
    case MC_OUTCOME_PASS:
        return "pass";
    case MC_OUTCOME_FAIL:
        return "fail";
    case MC_OUTCOME_SKIP:
        return "skip";
    case MC_OUTCOME_ERROR:
        return "error";
    case MC_OUTCOME_DEVIATION:
        return "deviation";
    case MC_OUTCOME_NOT_RUN:
        return "not_run";
    }
    return "unknown";
}

const char *mc_cause_name(enum mc_cause c)
{
    switch (c) {
    case MC_CAUSE_NONE:
        return NULL;
    case MC_CAUSE_UNREACHABLE:
        return "unreachable";
    case MC_CAUSE_DNS:
        return "dns";
    case MC_CAUSE_TLS:
        return "tls";
    case MC_CAUSE_PROTOCOL_MISMATCH:
        return "protocol-mismatch";
    case MC_CAUSE_NO_GREETING:
        return "no-greeting";
    case MC_CAUSE_REFUSED:
        return "refused";
    case MC_CAUSE_CREDENTIALS:
        return "credentials";
    case MC_CAUSE_RESET:
        return "reset";
    case MC_CAUSE_USERS:
        return "users";
    case MC_CAUSE_FIXTURES:
        return "fixtures";
    case MC_CAUSE_SCENARIO:
        return "scenario";
    }
    return NULL;
}

void mc_problem_set(struct mc_problem *p, enum mc_cause cause, const char *why, const char *hint)
{
    if (p->cause != MC_CAUSE_NONE || cause == MC_CAUSE_NONE)
        return;
    p->cause = cause;
    p->why = mc_xstrdup(why ? why : "");
    p->hint = hint ? mc_xstrdup(hint) : NULL;
}

void mc_problem_clear(struct mc_problem *p)
{
    free(p->why);
    free(p->hint);
    memset(p, 0, sizeof *p);
}

bool mc_probe_announces(const struct mc_capability_probe *p, const char *cap)
{
    return mc_strv_contains_nocase(&p->plain, cap) || mc_strv_contains_nocase(&p->after_tls, cap) ||
           mc_strv_contains_nocase(&p->after_login, cap);
}

void mc_scenario_result_release_transcript(struct mc_scenario_result *r)
{
    for (size_t k = 0; k < r->transcript_count; k++)
        free(r->transcript[k].data);
    free(r->transcript);
    r->transcript = NULL;
    r->transcript_count = r->transcript_cap = 0;
    r->transcript_released = true;
}
