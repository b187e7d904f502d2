/*
 * select — which of the loaded scenarios a run takes: by id glob (--filter), exclusion
 * (--exclude), tag, level, RFC, protocol, and the failures of an earlier report
 * (--rerun-failed). Criteria of one kind are alternatives (--tag a --tag b: either); criteria
 * of different kinds must all hold. A scenario left out gets a short reason, for --list.
 */
#ifndef MC_CLI_SELECT_H
#define MC_CLI_SELECT_H

#include <stdbool.h>

#include "engine/scenario.h"
#include "lib/buf.h"

struct mc_selection {
    struct mc_strv ids;       /* --filter GLOB */
    struct mc_strv excludes;  /* --exclude GLOB */
    struct mc_strv tags;      /* --tag TAG */
    struct mc_strv protocols; /* --protocol NAME */
    unsigned levels;          /* --level: bit (1 << MC_LEVEL_x); 0: any */
    int *rfcs;                /* --rfc NUMBER */
    size_t rfc_count;
    bool rerun;            /* --rerun-failed was given: only `failed` */
    struct mc_strv failed; /* ids that failed or errored in that report */
};

/* The option's argument added to the selection; -1 with a message for a bad value. */
int mc_selection_add_level(struct mc_selection *s, const char *arg, struct mc_buf *err);
int mc_selection_add_rfc(struct mc_selection *s, const char *arg, struct mc_buf *err);
int mc_selection_add_protocol(struct mc_selection *s, const char *arg, struct mc_buf *err);
/* Reads the ids of the scenarios that failed (or had an error) in a JSON report. */
int mc_selection_rerun_failed(struct mc_selection *s, const char *report, struct mc_buf *err);

/* Whether the run takes `sc`; when not, *why says which criterion left it out. */
bool mc_selection_match(const struct mc_selection *s, const struct mc_scenario *sc,
                        const char **why);
/* Whether any criterion was given at all. */
bool mc_selection_narrows(const struct mc_selection *s);
void mc_selection_free(struct mc_selection *s);

#endif
