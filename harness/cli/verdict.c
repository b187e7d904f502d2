/*
 * verdict — a run's exit status and verdict line (see verdict.h).
 */
#include "cli/verdict.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int mc_skip_limit_parse(const char *arg, struct mc_skip_limit *out, struct mc_buf *err)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    bool percent = *end == '%';
    if (percent)
        end++;
    if (errno || end == arg || *end || v < 0 || (percent && v > 100) ||
        (!percent && v != (double)(long)v)) {
        mc_buf_printf(err, "--max-skip takes a count (5) or a percentage (10%%), not '%s'", arg);
        return -1;
    }
    *out = (struct mc_skip_limit){.set = true, .percent = percent, .value = v};
    return 0;
}

static bool too_many_skips(const struct mc_skip_limit *l, size_t skipped, size_t total)
{
    if (!l || !l->set)
        return false;
    if (l->percent)
        return total && 100.0 * (double)skipped / (double)total > l->value;
    return (double)skipped > l->value;
}

void mc_verdict_of(const struct mc_run_result *r, const struct mc_skip_limit *max_skip,
                   struct mc_verdict *v)
{
    size_t n[MC_OUTCOME_COUNT] = {0};
    for (size_t i = 0; i < r->scenario_count; i++)
        n[r->scenarios[i].outcome]++;
    size_t tested = n[MC_OUTCOME_PASS] + n[MC_OUTCOME_FAIL] + n[MC_OUTCOME_DEVIATION];
    size_t total = r->scenario_count;
    char *line = v->line;
    size_t size = sizeof v->line;
    if (r->stop_signal) {
        v->exit_status = 128 + r->stop_signal;
        v->word = "interrupted";
        snprintf(line, size, "INTERRUPTED: %s; %zu of %zu scenarios were not run", r->stopped,
                 n[MC_OUTCOME_NOT_RUN], total);
    } else if (n[MC_OUTCOME_FAIL]) {
        v->exit_status = MC_EXIT_FAILURES;
        v->word = "fail";
        snprintf(line, size, "FAIL: %zu scenario(s) found the server breaking a requirement",
                 n[MC_OUTCOME_FAIL]);
    } else if (n[MC_OUTCOME_ERROR]) {
        v->exit_status = MC_EXIT_UNTESTED;
        v->word = "untested";
        snprintf(line, size,
                 "NOT TESTED: %zu scenario(s) could not test the server (set-up errors, see "
                 "above); no violation found in the %zu that ran",
                 n[MC_OUTCOME_ERROR], tested);
    } else if (tested == 0) {
        v->exit_status = MC_EXIT_UNTESTED;
        v->word = "untested";
        snprintf(line, size,
                 "NOT TESTED: none of the %zu scenario(s) could run against this "
                 "target (see the skips above)",
                 total);
    } else if (too_many_skips(max_skip, n[MC_OUTCOME_SKIP], total)) {
        v->exit_status = MC_EXIT_UNTESTED;
        v->word = "untested";
        snprintf(line, size,
                 "NOT TESTED ENOUGH: %zu of %zu scenarios skipped, more than "
                 "--max-skip %g%s allows",
                 n[MC_OUTCOME_SKIP], total, max_skip->value, max_skip->percent ? "%" : "");
    } else {
        v->exit_status = MC_EXIT_OK;
        v->word = "pass";
        snprintf(line, size, "PASS: %zu of %zu scenarios tested, all passed%s", tested, total,
                 n[MC_OUTCOME_DEVIATION] ? " (known deviations included)" : "");
    }
}
