/*
 * result — names of the values in the result model (result.h), and letting go of a scenario's
 * transcript.
 *
 * The names are the report's vocabulary (docs/report-format.md): renderers and the report
 * schema match on them, so they change only with the report's format_version.
 */
#include "engine/result.h"

#include <stdlib.h>

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
