/*
 * cmd_report — `mailconform report`: renders a saved JSON report as text, JUnit XML, TAP or
 * HTML (harness/render/), and `report diff` compares two reports (cmd_report_diff.c). The
 * renderings need nothing but the report file, so a report from last month renders as one
 * from a run just finished.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report_cmd.h"
#include "lib/outfile.h"
#include "render/render.h"
#include "render/report_read.h"

static const char report_usage[] =
    "usage: mailconform report [OPTIONS] REPORT.json\n"
    "       mailconform report diff [OPTIONS] OLD.json NEW.json   (see 'report diff --help')\n"
    "\n"
    "Renders a JSON report written by 'mailconform run' ('-': read it from standard input).\n"
    "\n"
    "  -F, --format F        text (default: what 'run' printed, to re-read a report), junit\n"
    "                        (JUnit XML for CI), tap (TAP 14 with YAML diagnostics), html (one\n"
    "                        self-contained page)\n"
    "  -o, --output FILE     write to FILE, whole or not at all (default: standard output)\n"
    "      --transcript WHICH  whose transcripts are shown (text, junit system-out, tap\n"
    "                        YAML, html): failed (default: fail, error, deviation), all, none\n"
    "      --tap-version N   tap: 14 (default) or 13, the same document with a TAP 13\n"
    "                        header for TAP 13 consumers such as Perl's prove\n"
    "      --color WHEN      text: auto (default: only on a terminal), always, never\n"
    "  -h, --help            this text\n"
    "\n"
    "exit status: 0 rendered; 2 usage error, or a file that is not a report this mailconform\n"
    "reads (the message says which file and what is wrong)\n";

int mc_cli_parse_transcripts(const char *s, enum mc_render_transcripts *out)
{
    if (strcmp(s, "failed") == 0)
        *out = MC_TRANSCRIPTS_FAILED;
    else if (strcmp(s, "all") == 0)
        *out = MC_TRANSCRIPTS_ALL;
    else if (strcmp(s, "none") == 0)
        *out = MC_TRANSCRIPTS_NONE;
    else
        return -1;
    return 0;
}

int mc_cli_parse_tap_version(const char *s, int *out)
{
    bool ok;
    long v = mc_cli_number(s, MC_TAP_VERSION_COMPAT, MC_TAP_VERSION_DEFAULT, &ok);
    if (!ok)
        return -1;
    *out = (int)v;
    return 0;
}

/* Renders the report at `in` to `out_path` ("-": standard output). */
int mc_cli_render_file(const char *in, const char *out_path, enum mc_render_format f,
                       const struct mc_render_options *opts)
{
    struct mc_buf err = {0};
    int status = MC_EXIT_OK;
    json_t *report = mc_report_read(in, &err);
    struct mc_outfile of;
    if (!report || mc_outfile_open(&of, out_path, &err) != 0) {
        status = MC_EXIT_USAGE;
    } else if (mc_render(of.f, report, f, opts, &err) != 0) {
        mc_outfile_abort(&of);
        status = MC_EXIT_USAGE;
    } else if (mc_outfile_commit(&of, &err) != 0) {
        status = MC_EXIT_USAGE;
    }
    if (status != MC_EXIT_OK)
        fprintf(stderr, "mailconform report: %s\n", err.data ? err.data : "failed");
    json_decref(report);
    mc_buf_free(&err);
    return status;
}

int mc_cmd_report(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "diff") == 0)
        return mc_cmd_report_diff(argc - 1, argv + 1);
    static const struct option longopts[] = {{"format", required_argument, NULL, 'F'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"transcript", required_argument, NULL, 'T'},
                                             {"color", required_argument, NULL, 'C'},
                                             {"tap-version", required_argument, NULL, 'V'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0, 0, 0, 0}};
    enum mc_render_format format = MC_RENDER_TEXT;
    struct mc_render_options opts = {.transcripts = MC_TRANSCRIPTS_FAILED};
    enum mc_color color = MC_COLOR_AUTO;
    const char *out_path = "-";
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "F:o:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'F':
            if (mc_render_format_parse(optarg, &format) != 0) {
                fprintf(stderr, "mailconform report: --format: '%s' is not one of %s\n", optarg,
                        mc_render_format_names());
                return MC_EXIT_USAGE;
            }
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'T':
            if (mc_cli_parse_transcripts(optarg, &opts.transcripts) != 0) {
                fprintf(stderr,
                        "mailconform report: --transcript: '%s' is not failed, all or none\n",
                        optarg);
                return MC_EXIT_USAGE;
            }
            break;
        case 'C':
            if (mc_cli_parse_color(optarg, &color) != 0) {
                fprintf(stderr, "mailconform report: --color: '%s' is not auto, always or never\n",
                        optarg);
                return MC_EXIT_USAGE;
            }
            break;
        case 'V':
            if (mc_cli_parse_tap_version(optarg, &opts.tap_version) != 0) {
                fprintf(stderr, "mailconform report: --tap-version: '%s' is not 14 or 13\n",
                        optarg);
                return MC_EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(report_usage, stdout);
            return MC_EXIT_OK;
        default:
            fputs(report_usage, stderr);
            return MC_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "mailconform report: give one REPORT.json\n\n%s", report_usage);
        return MC_EXIT_USAGE;
    }
    mc_cli_color_init(color, stdout);
    opts.color = strcmp(out_path, "-") == 0 && mc_cli_color("reset")[0] != '\0';
    return mc_cli_render_file(argv[optind], out_path, format, &opts);
}
