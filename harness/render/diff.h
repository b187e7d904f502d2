/*
 * diff — comparing two saved reports by outcome (`mailconform report diff OLD NEW`), so that
 * CI can gate a mail server's development branch on regressions. Not a text diff: two runs
 * with the same outcomes differ in times, run ids, ports and queue ids, and are "no change".
 *
 * Each scenario id of either report falls in exactly one category (docs/decisions.md, "report
 * diff"): a scenario that now fails and did not is a new failure, one that failed and passes
 * is fixed, one that fails at another step or for another kind of reason has a changed reason,
 * and so on. mc_diff_build makes the whole comparison one JSON document, the diff model: the
 * identity of both reports, warnings (other scenario set, other target), counts per category,
 * per protocol and per level, every scenario with its old and new side, and the exit status.
 * That document is the `--json` output (docs/report-format.md, "The diff model"), and what the
 * text printer (diff_text.c) and the report browser render: neither re-derives anything.
 */
#ifndef MC_RENDER_DIFF_H
#define MC_RENDER_DIFF_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "lib/buf.h"

#define MC_DIFF_FORMAT "mailconform-diff"
#define MC_DIFF_FORMAT_VERSION 1

/* The categories, in the order the text lists them (what needs a look first). */
enum mc_diff_category {
    MC_DIFF_NEW_FAILURE,      /* now fail; before anything else, absent included */
    MC_DIFF_CHANGED_REASON,   /* same outcome (fail, deviation, error, skip), another reason */
    MC_DIFF_NEW_ERROR,        /* now error (the tester could not test); before not error */
    MC_DIFF_NEW_SKIP,         /* now skip; before pass, fail, deviation or not_run */
    MC_DIFF_REMOVED_SCENARIO, /* only in OLD */
    MC_DIFF_FIXED,            /* fail -> pass */
    MC_DIFF_ERROR_FIXED,      /* error -> pass, deviation, skip or not_run */
    MC_DIFF_SKIP_GONE,        /* skip -> pass, deviation or not_run */
    MC_DIFF_NEW_SCENARIO,     /* only in NEW, and not failing there */
    MC_DIFF_OTHER_CHANGE,     /* any other change of outcome (deviation, not_run) */
    MC_DIFF_STILL_FAILING,    /* fail -> fail, the same reason */
    MC_DIFF_UNCHANGED,        /* the same outcome, the same reason */
    MC_DIFF_CATEGORY_COUNT
};

/* A set of categories, one bit each. */
#define MC_DIFF_BIT(c) (1u << (c))
/* What gates (exit 1) whatever the options say: a failure OLD did not have. */
#define MC_DIFF_GATE_ALWAYS MC_DIFF_BIT(MC_DIFF_NEW_FAILURE)

/* Exit statuses of `report diff` (the values of cli.h's MC_EXIT_*; docs/cli.md). */
#define MC_DIFF_EXIT_OK 0
#define MC_DIFF_EXIT_REGRESSION 1 /* a scenario in a gating category */
#define MC_DIFF_EXIT_UNTESTED 3   /* NEW tested no scenario at all, or was interrupted */

/* "new_failure", ...; the JSON and --fail-on spelling. */
const char *mc_diff_category_name(enum mc_diff_category c);
/* "new failure" / "new failures": how the text and the headline say it. */
const char *mc_diff_category_phrase(enum mc_diff_category c, long long count);
/* 0 and *out set, or -1 for a name that is no category. */
int mc_diff_category_parse(const char *name, enum mc_diff_category *out);
/* A change worth a line in the headline (everything but still_failing and unchanged). */
bool mc_diff_category_is_change(enum mc_diff_category c);

/* The category of one scenario: `old_sc` / `new_sc` are its objects in the two reports, NULL
   where it is absent (not both). */
enum mc_diff_category mc_diff_classify(const json_t *old_sc, const json_t *new_sc);

/* What "the same reason" compares, for a scenario object: for fail and deviation the failing
   step (its index in the file and label) and its `why` normalised (the scenario's run_id, the
   quoted excerpts of peer lines and patterns, and digits blanked); for error the cause; for
   skip the reason, normalised the same way; empty otherwise. Appended to out. */
void mc_diff_reason_key(const json_t *sc, struct mc_buf *out);
/* The normalisation used on `why` and skip reasons (run_id may be NULL). */
void mc_diff_normalise(const char *text, const char *run_id, struct mc_buf *out);

struct mc_diff_options {
    const char *old_file, *new_file; /* as named on the command line, for the model */
    unsigned fail_on; /* categories that gate besides MC_DIFF_GATE_ALWAYS (MC_DIFF_BIT) */
};

/* The diff model of two reports read by mc_report_read; NULL with "FILE: what is wrong" in
   err when a report holds one scenario id twice. */
json_t *mc_diff_build(const json_t *old_report, const json_t *new_report,
                      const struct mc_diff_options *opts, struct mc_buf *err);

/* mc_report_read of both files, then mc_diff_build: the model, or NULL with "FILE: what is
   wrong" in err (the command line; the report browser, which opens files its own way, reads
   them with mc_report_read_fd and calls mc_diff_build). */
json_t *mc_diff_files(const char *old_path, const char *new_path, unsigned fail_on,
                      struct mc_buf *err);

/* The model as text for people: headline, warnings, one group per category with ids,
   outcomes and reasons, counts per protocol and level, the verdict line. 0, or -1 with a
   message in err on a write error. */
int mc_diff_print_text(FILE *out, const json_t *model, bool color, struct mc_buf *err);
/* What one side of a scenario entry says went wrong, appended to b ("step 2 'send STAT'
   (line 12): why", a skip's reason, "cause: reason"); nothing for pass and absent. */
void mc_diff_describe_side(const json_t *side, struct mc_buf *b);

/* Where the HTML of the diff links a scenario to: the pages of the two reports (NULL: no
   link), each scenario at its anchor "#sc-ID" (render_html.c). */
struct mc_diff_html_links {
    const char *old_page, *new_page;
};
/* The model as one HTML page (the report browser's /diff, `report diff --html`): the two
   reports, warnings, the headline, counts per category, protocol and level, and a table per
   category that changed with both sides of each scenario. 0, or -1 on a write error. */
int mc_diff_print_html(FILE *out, const json_t *model, const struct mc_diff_html_links *links,
                       struct mc_buf *err);

#endif
