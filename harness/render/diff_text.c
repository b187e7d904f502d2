/*
 * diff_text — the diff model (diff.h) as text for people: which reports were compared, the
 * warnings, the headline, then one group per category that changed (ids, old -> new outcome,
 * what was and what is wrong), the ids still failing, counts per protocol and level, and the
 * verdict line. Everything printed is read from the model, so this text and the --json
 * output never disagree.
 */
#include <errno.h>
#include <string.h>

#include "render/diff.h"
#include "render/report_read.h"

#define SHA_SHOWN 12 /* hex digits shown of a sha256 or a git revision, as git shows them */

struct printer {
    FILE *out;
    bool color;
};

static const char *ansi(const struct printer *p, const char *seq)
{
    return p->color ? seq : "";
}
#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RESET "\033[0m"

static const char *category_color(enum mc_diff_category c)
{
    switch (c) {
    case MC_DIFF_NEW_FAILURE:
        return RED;
    case MC_DIFF_FIXED:
    case MC_DIFF_ERROR_FIXED:
    case MC_DIFF_SKIP_GONE:
        return GREEN;
    case MC_DIFF_CHANGED_REASON:
    case MC_DIFF_NEW_ERROR:
    case MC_DIFF_NEW_SKIP:
    case MC_DIFF_REMOVED_SCENARIO:
        return YELLOW;
    default:
        return "";
    }
}

static void print_identity(const struct printer *p, const char *which, const json_t *id)
{
    const json_t *target = mc_rj_obj(id, "target"), *set = mc_rj_obj(id, "scenario_set");
    fprintf(p->out, "%s %s: target '%s', started %s, %lld scenarios", which,
            mc_rj_str(id, "file", "?"),
            mc_rj_str(target, "name", mc_rj_str(target, "source", "unnamed")),
            mc_rj_str(id, "started", "?"), mc_rj_int(mc_rj_obj(id, "summary"), "total", 0));
    if (mc_rj_str(set, "sha256", NULL))
        fprintf(p->out, " (set %.*s", SHA_SHOWN, mc_rj_str(set, "sha256", ""));
    const char *rev = mc_rj_str(set, "git_revision", NULL);
    if (mc_rj_str(set, "sha256", NULL) && rev)
        fprintf(p->out, ", git %.*s%s", SHA_SHOWN, rev, strstr(rev, "+dirty") ? "+dirty" : "");
    if (mc_rj_str(set, "sha256", NULL))
        fputc(')', p->out);
    if (mc_rj_str(id, "verdict", NULL))
        fprintf(p->out, ", verdict %s", mc_rj_str(id, "verdict", ""));
    fputc('\n', p->out);
}

void mc_diff_describe_side(const json_t *side, struct mc_buf *b)
{
    const char *outcome = mc_rj_str(side, "outcome", "");
    const json_t *failure = mc_rj_obj(side, "failure");
    if (strcmp(outcome, "pass") == 0 || strcmp(outcome, "absent") == 0)
        return;
    if (strcmp(outcome, "error") == 0 && mc_rj_str(side, "cause", NULL))
        mc_buf_printf(b, "%s: ", mc_rj_str(side, "cause", ""));
    if (failure && strcmp(outcome, "error") != 0) {
        mc_buf_printf(b, "step %lld", mc_rj_int(failure, "step", -1));
        if (mc_rj_str(failure, "label", NULL))
            mc_buf_printf(b, " '%s'", mc_rj_str(failure, "label", ""));
        if (mc_rj_int(failure, "line", 0) > 0)
            mc_buf_printf(b, " (line %lld)", mc_rj_int(failure, "line", 0));
        mc_buf_printf(b, ": %s",
                      mc_rj_str(failure, "why", mc_rj_str(failure, "got", "no reason given")));
    } else if (mc_rj_str(side, "reason", NULL)) {
        mc_buf_append_str(b, mc_rj_str(side, "reason", ""));
    }
}

static void print_side(const struct printer *p, const char *label, const json_t *side)
{
    struct mc_buf b = {0};
    mc_diff_describe_side(side, &b);
    if (b.len)
        fprintf(p->out, "      %s%s%s %s\n", ansi(p, DIM), label, ansi(p, RESET), b.data);
    mc_buf_free(&b);
}

static void print_entry(const struct printer *p, const json_t *e, bool details)
{
    const json_t *old_s = mc_rj_obj(e, "old"), *new_s = mc_rj_obj(e, "new");
    fprintf(p->out, "  %s  %s -> %s  (%s", mc_rj_str(e, "id", "?"),
            mc_rj_str(old_s, "outcome", "?"), mc_rj_str(new_s, "outcome", "?"),
            mc_rj_str(e, "level", "?"));
    size_t i;
    json_t *proto;
    json_array_foreach(mc_rj_arr(e, "protocols"), i, proto)
        fprintf(p->out, "%s%s", i ? "+" : ", ", json_string_value(proto));
    fputs(")\n", p->out);
    if (details) {
        print_side(p, "was:", old_s);
        print_side(p, "now:", new_s);
    }
}

/* One category's group: a heading with the count, then its scenarios. */
static void print_group(const struct printer *p, const json_t *model, enum mc_diff_category c)
{
    long long n = mc_rj_int(mc_rj_obj(model, "counts"), mc_diff_category_name(c), 0);
    if (n == 0 || c == MC_DIFF_UNCHANGED)
        return;
    struct mc_buf heading = {0};
    for (const char *s = mc_diff_category_phrase(c, 2); *s; s++)
        mc_buf_append_char(&heading, (char)(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s));
    fprintf(p->out, "\n%s%s (%lld)%s%s\n", ansi(p, category_color(c)), heading.data, n,
            ansi(p, RESET), c == MC_DIFF_STILL_FAILING ? ", for the same reason as before" : "");
    mc_buf_free(&heading);
    size_t i;
    json_t *e;
    json_array_foreach(mc_rj_arr(model, "scenarios"), i, e)
    {
        if (strcmp(mc_rj_str(e, "category", ""), mc_diff_category_name(c)) == 0)
            print_entry(p, e, c != MC_DIFF_STILL_FAILING);
    }
}

/* "pop3  1 new failure, 18 unchanged" for each key of a by_protocol / by_level object. */
static void print_breakdown(const struct printer *p, const char *title, const json_t *by)
{
    fprintf(p->out, "%s:\n", title);
    const char *key;
    json_t *counts;
    json_object_foreach((json_t *)by, key, counts)
    {
        if (mc_rj_int(counts, "total", 0) == 0)
            continue;
        fprintf(p->out, "  %-8s", key);
        bool first = true;
        for (int c = 0; c < MC_DIFF_CATEGORY_COUNT; c++) {
            long long n = mc_rj_int(counts, mc_diff_category_name((enum mc_diff_category)c), 0);
            if (n)
                fprintf(p->out, "%s%lld %s", first ? " " : ", ", n,
                        mc_diff_category_phrase((enum mc_diff_category)c, n));
            first = first && !n;
        }
        fputc('\n', p->out);
    }
}

static const char *verdict_color(const json_t *model)
{
    const char *v = mc_rj_str(model, "verdict", "");
    return strcmp(v, "ok") == 0 ? GREEN : strcmp(v, "regression") == 0 ? RED : YELLOW;
}

int mc_diff_print_text(FILE *out, const json_t *model, bool color, struct mc_buf *err)
{
    struct printer p = {out, color};
    print_identity(&p, "old", mc_rj_obj(model, "old"));
    print_identity(&p, "new", mc_rj_obj(model, "new"));
    size_t i;
    json_t *w;
    json_array_foreach(mc_rj_arr(model, "warnings"), i, w)
        fprintf(out, "%swarning:%s %s\n", ansi(&p, YELLOW), ansi(&p, RESET), json_string_value(w));
    fprintf(out, "\n%s%s%s\n", ansi(&p, BOLD), mc_rj_str(model, "headline", ""), ansi(&p, RESET));
    for (int c = 0; c < MC_DIFF_CATEGORY_COUNT; c++)
        print_group(&p, model, (enum mc_diff_category)c);
    fputc('\n', out);
    print_breakdown(&p, "by protocol", mc_rj_obj(model, "by_protocol"));
    print_breakdown(&p, "by level", mc_rj_obj(model, "by_level"));
    fprintf(out, "\n%s%s%s\n", ansi(&p, verdict_color(model)), mc_rj_str(model, "verdict_text", ""),
            ansi(&p, RESET));
    if (fflush(out) != 0 || ferror(out)) {
        mc_buf_printf(err, "writing the diff: %s", strerror(errno));
        return -1;
    }
    return 0;
}
