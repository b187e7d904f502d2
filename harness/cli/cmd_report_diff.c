/*
 * cmd_report_diff — `mailconform report diff OLD.json NEW.json`: compares the outcomes of two
 * saved reports (harness/render/diff.h) and exits 1 when NEW has a failure OLD did not, so CI
 * can gate a mail server's development branch on regressions (docs/cli.md, "report diff").
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/outfile.h"
#include "render/diff.h"
#include "render/report_read.h" /* mc_rj_int */

#define USAGE_CATEGORY_INDENT 24 /* the column where the options' texts start */

static const char diff_usage[] =
    "usage: mailconform report diff [OPTIONS] OLD.json NEW.json\n"
    "\n"
    "Compares the outcomes of two JSON reports of 'mailconform run' (not their text): new\n"
    "failures, fixed ones, changed reasons, new errors and skips, new and removed scenarios,\n"
    "per protocol and level. One of the files may be '-' (standard input).\n"
    "\n"
    "      --json            print the diff as JSON (docs/report-format.md, \"The diff model\")\n"
    "      --html            print the diff as one HTML page (what the report browser shows)\n"
    "  -o, --output FILE     write to FILE, whole or not at all (default: standard output)\n"
    "      --fail-on LIST    also exit 1 for these categories (comma-separated), e.g.\n"
    "                        new_error,changed_reason; new failures always do. Categories:\n"
    "%s"
    "      --color WHEN      auto (default: only on a terminal), always, never\n"
    "  -h, --help            this text\n"
    "\n"
    "exit status: 0 no new failure; 1 a new failure (or a --fail-on category); 2 usage error,\n"
    "or a file that is not a report this mailconform reads (the message says which and why);\n"
    "3 NEW tested no scenario at all (all errors, skips or not run), was interrupted, or its\n"
    "run's verdict was untested (set-up errors, more skips than --max-skip)\n";

static void print_usage(FILE *f)
{
    struct mc_buf names = {0};
    for (int c = 0; c < MC_DIFF_CATEGORY_COUNT; c++)
        mc_buf_printf(&names, "%s%s", c ? " " : "",
                      mc_diff_category_name((enum mc_diff_category)c));
    char *indented = NULL; /* the names as lines under the option's text */
    size_t indented_len = 0;
    FILE *mem = open_memstream(&indented, &indented_len);
    if (mem) {
        mc_cli_print_words(mem, names.data, USAGE_CATEGORY_INDENT);
        fclose(mem);
    }
    fprintf(f, diff_usage, indented ? indented : "");
    free(indented);
    mc_buf_free(&names);
}

/* Adds the comma-separated categories of `list` to *set; -1 after a message on a bad name. */
static int parse_fail_on(const char *list, unsigned *set)
{
    struct mc_buf copy = {0};
    mc_buf_append_str(&copy, list);
    int rc = 0;
    char *save = NULL;
    for (char *name = strtok_r(copy.data, ",", &save); name && rc == 0;
         name = strtok_r(NULL, ",", &save)) {
        enum mc_diff_category c;
        if (mc_diff_category_parse(name, &c) != 0) {
            fprintf(stderr,
                    "mailconform report diff: --fail-on: '%s' is not a category (see "
                    "'report diff --help')\n",
                    name);
            rc = -1;
        } else {
            *set |= MC_DIFF_BIT(c);
        }
    }
    mc_buf_free(&copy);
    return rc;
}

struct diff_args {
    const char *old_path, *new_path, *out_path;
    bool json, html;
    unsigned fail_on;
    enum mc_color color;
};

/* -1: exit with *status (help, usage error); 0: go on. */
static int parse_args(int argc, char **argv, struct diff_args *a, int *status)
{
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                             {"html", no_argument, NULL, 'H'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"fail-on", required_argument, NULL, 'F'},
                                             {"color", required_argument, NULL, 'C'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0, 0, 0, 0}};
    *a = (struct diff_args){.out_path = "-", .color = MC_COLOR_AUTO};
    *status = MC_EXIT_USAGE;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        if (ch == 'j') {
            a->json = true;
        } else if (ch == 'H') {
            a->html = true;
        } else if (ch == 'o') {
            a->out_path = optarg;
        } else if (ch == 'F') {
            if (parse_fail_on(optarg, &a->fail_on) != 0)
                return -1;
        } else if (ch == 'C') {
            if (mc_cli_parse_color(optarg, &a->color) != 0) {
                fprintf(stderr,
                        "mailconform report diff: --color: '%s' is not auto, always or never\n",
                        optarg);
                return -1;
            }
        } else if (ch == 'h') {
            print_usage(stdout);
            *status = MC_EXIT_OK;
            return -1;
        } else {
            print_usage(stderr);
            return -1;
        }
    }
    if (argc - optind != 2) {
        fputs("mailconform report diff: give two reports, OLD.json and NEW.json\n\n", stderr);
        print_usage(stderr);
        return -1;
    }
    if (a->json && a->html) {
        fputs("mailconform report diff: --json or --html, not both\n", stderr);
        return -1;
    }
    a->old_path = argv[optind];
    a->new_path = argv[optind + 1];
    if (strcmp(a->old_path, "-") == 0 && strcmp(a->new_path, "-") == 0) {
        fputs("mailconform report diff: only one of the reports can be '-' (standard input)\n",
              stderr);
        return -1;
    }
    return 0;
}

/* Writes the model as JSON or text to a->out_path; 0, or -1 with a message in err. */
static int write_model(const struct diff_args *a, const json_t *model, struct mc_buf *err)
{
    struct mc_outfile of;
    if (mc_outfile_open(&of, a->out_path, err) != 0)
        return -1;
    int rc;
    if (a->json) {
        rc = json_dumpf(model, of.f, JSON_INDENT(2)) == 0 && fputc('\n', of.f) != EOF &&
                     fflush(of.f) == 0
                 ? 0
                 : -1;
        if (rc != 0)
            mc_buf_printf(err, "writing the diff: %s", strerror(errno));
    } else if (a->html) {
        rc = mc_diff_print_html(of.f, model, NULL, err);
    } else {
        mc_cli_color_init(a->color, of.f);
        rc = mc_diff_print_text(of.f, model, mc_cli_color("reset")[0] != '\0', err);
    }
    if (rc != 0) {
        mc_outfile_abort(&of);
        return -1;
    }
    return mc_outfile_commit(&of, err);
}

int mc_cmd_report_diff(int argc, char **argv)
{
    struct diff_args a;
    int status;
    if (parse_args(argc, argv, &a, &status) != 0)
        return status;
    struct mc_buf err = {0};
    json_t *model = mc_diff_files(a.old_path, a.new_path, a.fail_on, &err);
    status = MC_EXIT_USAGE;
    if (model && write_model(&a, model, &err) == 0)
        status = (int)mc_rj_int(model, "exit_status", MC_EXIT_USAGE);
    if (status == MC_EXIT_USAGE)
        fprintf(stderr, "mailconform report diff: %s\n", err.data ? err.data : "failed");
    json_decref(model);
    mc_buf_free(&err);
    return status;
}
