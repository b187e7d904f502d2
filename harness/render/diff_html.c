/*
 * diff_html — the diff model (diff.h) as one HTML page, for the report browser's /diff and
 * `report diff --html`: the two reports compared, the warnings, the headline and verdict,
 * the counts per category, protocol and level, then one table per category that changed
 * (and the ids still failing), each scenario with its old and new outcome and what was and
 * is wrong, linked to its place in each report's HTML page. Like the text, it reads the
 * model only; every string from it is escaped (html.h). No script: a plain page.
 */
#include <errno.h>
#include <string.h>

#include "render/diff.h"
#include "render/html.h"
#include "render/report_read.h"

#define DIFF_STYLE                                                                                 \
    "<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:80em}"           \
    "table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{padding:.25em .6em;"                 \
    "border-bottom:1px solid #ddd;text-align:left;vertical-align:top}td.n{text-align:right}"       \
    ".badge{padding:0 .4em;border-radius:.3em;font-size:.9em}.o-pass{background:#dfd}"             \
    ".o-fail{background:#fdd}.o-error{background:#fec}.o-skip,.o-not_run,.o-absent{background:#"   \
    "eee}"                                                                                         \
    ".o-deviation{background:#ffd}.verdict-ok{color:#070}.verdict-regression{color:#b00}"          \
    ".verdict-untested{color:#a60}.warning{color:#a60}small{color:#555}</style>"

/* The scenario set's hash is shown by its first 12 hex digits, as the text output does; a
   report may hold a shorter one, or none. */
#define DIFF_SHA_SHOWN 12

static void identity_row(FILE *f, const char *which, const json_t *id, const char *page)
{
    const json_t *target = mc_rj_obj(id, "target"), *set = mc_rj_obj(id, "scenario_set");
    fprintf(f, "<tr><th>%s</th><td>", which);
    if (page) {
        fputs("<a href=\"", f);
        mc_html_text(f, page);
        fputs("\">", f);
    }
    mc_html_text(f, mc_rj_str(id, "file", "?"));
    fputs(page ? "</a></td><td>" : "</td><td>", f);
    mc_html_text(f, mc_rj_str(target, "name", mc_rj_str(target, "source", "unnamed")));
    fputs("</td><td>", f);
    mc_html_text(f, mc_rj_str(id, "started", ""));
    fprintf(f, "</td><td class=\"n\">%lld</td><td><code>",
            mc_rj_int(mc_rj_obj(id, "summary"), "total", 0));
    const char *sha = mc_rj_str(set, "sha256", "");
    mc_html_textn(f, sha, strnlen(sha, DIFF_SHA_SHOWN));
    fputs("</code></td><td>", f);
    mc_html_text(f, mc_rj_str(id, "verdict", ""));
    fputs("</td></tr>\n", f);
}

static void outcome_cell(FILE *f, const json_t *side, const char *page, const char *id)
{
    const char *outcome = mc_rj_str(side, "outcome", "?");
    fputs("<td>", f);
    bool link = page && strcmp(outcome, "absent") != 0;
    if (link) {
        fputs("<a href=\"", f);
        mc_html_text(f, page);
        fputs("#", f);
        mc_html_id(f, "sc-", id);
        fputs("\">", f);
    }
    fprintf(f, "<span class=\"badge o-");
    mc_html_text(f, outcome);
    fputs("\">", f);
    mc_html_text(f, outcome);
    fputs(link ? "</span></a>" : "</span>", f);
    struct mc_buf why = {0};
    mc_diff_describe_side(side, &why);
    if (why.len) {
        fputs("<br><small>", f);
        mc_html_text(f, why.data);
        fputs("</small>", f);
    }
    mc_buf_free(&why);
    fputs("</td>", f);
}

static void entry_row(FILE *f, const json_t *e, const struct mc_diff_html_links *links)
{
    const char *id = mc_rj_str(e, "id", "?");
    fputs("<tr data-category=\"", f);
    mc_html_text(f, mc_rj_str(e, "category", ""));
    fputs("\"><td><code>", f);
    mc_html_text(f, id);
    fputs("</code><br><small>", f);
    mc_html_text(f, mc_rj_str(e, "title", ""));
    fputs("</small></td><td>", f);
    mc_html_text(f, mc_rj_str(e, "level", ""));
    fputs("</td><td>", f);
    size_t i;
    json_t *proto;
    json_array_foreach(mc_rj_arr(e, "protocols"), i, proto)
    {
        fputs(i ? ", " : "", f);
        mc_html_text(f, json_string_value(proto));
    }
    fputs("</td>", f);
    outcome_cell(f, mc_rj_obj(e, "old"), links ? links->old_page : NULL, id);
    outcome_cell(f, mc_rj_obj(e, "new"), links ? links->new_page : NULL, id);
    fputs("</tr>\n", f);
}

static void category_table(FILE *f, const json_t *model, enum mc_diff_category c,
                           const struct mc_diff_html_links *links)
{
    const char *name = mc_diff_category_name(c);
    long long n = mc_rj_int(mc_rj_obj(model, "counts"), name, 0);
    if (n == 0 || c == MC_DIFF_UNCHANGED)
        return;
    fprintf(f, "<h2 id=\"%s\">", name);
    mc_html_text(f, mc_diff_category_phrase(c, 2));
    fprintf(f,
            " (%lld)</h2>\n<table><thead><tr><th>scenario</th><th>level</th>"
            "<th>protocols</th><th>old</th><th>new</th></tr></thead><tbody>\n",
            n);
    size_t i;
    json_t *e;
    json_array_foreach(mc_rj_arr(model, "scenarios"), i, e)
    {
        if (strcmp(mc_rj_str(e, "category", ""), name) == 0)
            entry_row(f, e, links);
    }
    fputs("</tbody></table>\n", f);
}

/* Rows of category counts: the totals, then per protocol and per level. */
static void counts_row(FILE *f, const char *label, const json_t *counts)
{
    fputs("<tr><th>", f);
    mc_html_text(f, label);
    fputs("</th>", f);
    for (int c = 0; c < MC_DIFF_CATEGORY_COUNT; c++)
        fprintf(f, "<td class=\"n\" data-count=\"%s\">%lld</td>",
                mc_diff_category_name((enum mc_diff_category)c),
                mc_rj_int(counts, mc_diff_category_name((enum mc_diff_category)c), 0));
    fputs("</tr>\n", f);
}

static void counts_table(FILE *f, const json_t *model)
{
    fputs("<table id=\"counts\"><thead><tr><th></th>", f);
    for (int c = 0; c < MC_DIFF_CATEGORY_COUNT; c++) {
        fputs("<th>", f);
        mc_html_text(f, mc_diff_category_name((enum mc_diff_category)c));
        fputs("</th>", f);
    }
    fputs("</tr></thead><tbody>\n", f);
    counts_row(f, "all", mc_rj_obj(model, "counts"));
    const char *groups[] = {"by_protocol", "by_level"};
    for (size_t g = 0; g < 2; g++) {
        const char *key;
        json_t *counts;
        json_object_foreach(mc_rj_obj(model, groups[g]), key, counts)
        {
            if (mc_rj_int(counts, "total", 0) > 0)
                counts_row(f, key, counts);
        }
    }
    fputs("</tbody></table>\n", f);
}

int mc_diff_print_html(FILE *f, const json_t *model, const struct mc_diff_html_links *links,
                       struct mc_buf *err)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\"><meta name=\"viewport\" content=\"width=device-width\">"
          "<title>mailconform report diff</title>" DIFF_STYLE "</head><body>\n"
          "<h1>mailconform report diff</h1>\n<table id=\"reports\"><thead><tr><th></th>"
          "<th>report</th><th>target</th><th>started</th><th>scenarios</th><th>set</th>"
          "<th>verdict</th></tr></thead><tbody>\n",
          f);
    identity_row(f, "old", mc_rj_obj(model, "old"), links ? links->old_page : NULL);
    identity_row(f, "new", mc_rj_obj(model, "new"), links ? links->new_page : NULL);
    fputs("</tbody></table>\n", f);
    size_t i;
    json_t *w;
    json_array_foreach(mc_rj_arr(model, "warnings"), i, w)
    {
        fputs("<p class=\"warning\">warning: ", f);
        mc_html_text(f, json_string_value(w));
        fputs("</p>\n", f);
    }
    fputs("<p id=\"headline\"><strong>", f);
    mc_html_text(f, mc_rj_str(model, "headline", ""));
    fputs("</strong></p>\n<p id=\"verdict\" class=\"verdict-", f);
    mc_html_text(f, mc_rj_str(model, "verdict", ""));
    fputs("\">", f);
    mc_html_text(f, mc_rj_str(model, "verdict_text", ""));
    fputs("</p>\n", f);
    counts_table(f, model);
    for (int c = 0; c < MC_DIFF_CATEGORY_COUNT; c++)
        category_table(f, model, (enum mc_diff_category)c, links);
    fputs("</body></html>\n", f);
    if (fflush(f) != 0 || ferror(f)) {
        mc_buf_printf(err, "writing the diff: %s", strerror(errno));
        return -1;
    }
    return 0;
}
