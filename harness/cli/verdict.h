/*
 * verdict — what a run says in one line and one exit status, the contract with CI
 * (docs/cli.md, EXIT STATUS):
 *   0    every scenario that could be tested passed (skips within --max-skip, known
 *        deviations allowed), and at least one was tested;
 *   1    at least one violation: the server broke a cited requirement;
 *   3    the target could not be tested: set-up errors (and no violation), nothing tested at
 *        all (every scenario skipped), or more skips than --max-skip allows;
 *   128+N interrupted by signal N (130 SIGINT, 143 SIGTERM), with the report written.
 * (2, usage and configuration errors, is decided before a run starts.)
 * A run never reads "tested and fine" where nothing was tested.
 */
#ifndef MC_CLI_VERDICT_H
#define MC_CLI_VERDICT_H

#include <stdbool.h>

#include "cli/run_view.h"
#include "engine/result.h"
#include "lib/buf.h"

/* --max-skip N or --max-skip P%: more skipped scenarios than that is not a green run. */
struct mc_skip_limit {
    bool set;
    bool percent;
    double value;
};
int mc_skip_limit_parse(const char *arg, struct mc_skip_limit *out, struct mc_buf *err);

void mc_verdict_of(const struct mc_run_result *r, const struct mc_skip_limit *max_skip,
                   struct mc_verdict *v);

#endif
