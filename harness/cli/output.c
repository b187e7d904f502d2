/*
 * output — colour, number parsing and usage lines shared by the subcommands.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static bool color_on;

void mc_cli_color_init(enum mc_color mode, FILE *f)
{
    if (mode == MC_COLOR_ALWAYS)
        color_on = true;
    else if (mode == MC_COLOR_NEVER)
        color_on = false;
    else /* https://no-color.org: any non-empty NO_COLOR turns colour off */
        color_on = isatty(fileno(f)) && !(getenv("NO_COLOR") && *getenv("NO_COLOR")) &&
                   !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
}

const char *mc_cli_color(const char *name)
{
    static const struct {
        const char *name, *seq;
    } table[] = {{"red", "\033[31m"},  {"green", "\033[32m"}, {"yellow", "\033[33m"},
                 {"cyan", "\033[36m"}, {"dim", "\033[2m"},    {"bold", "\033[1m"},
                 {"reset", "\033[0m"}};
    if (!color_on)
        return "";
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].seq;
    return "";
}

int mc_cli_parse_color(const char *s, enum mc_color *out)
{
    if (strcmp(s, "auto") == 0)
        *out = MC_COLOR_AUTO;
    else if (strcmp(s, "always") == 0)
        *out = MC_COLOR_ALWAYS;
    else if (strcmp(s, "never") == 0)
        *out = MC_COLOR_NEVER;
    else
        return -1;
    return 0;
}

long mc_cli_number(const char *s, long min, long max, bool *ok)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    *ok = errno == 0 && end != s && *end == '\0' && v >= min && v <= max;
    return v;
}

void mc_cli_print_words(FILE *f, const char *words, int indent)
{
    int col = 0;
    for (words += strspn(words, " "); *words; words += strspn(words, " ")) {
        size_t n = strcspn(words, " ");
        if (col > indent && col + 1 + (int)n > MC_CLI_USAGE_WIDTH) {
            fputc('\n', f);
            col = 0;
        }
        if (col == 0)
            col = fprintf(f, "%*s", indent, "");
        else
            col += fprintf(f, " ");
        col += fprintf(f, "%.*s", (int)n, words);
        words += n;
    }
    if (col > 0)
        fputc('\n', f);
}

bool mc_cli_step_timeout_option(const char *arg, long *out, struct mc_buf *err)
{
    bool ok = true;
    long ms = mc_cli_number(arg, 1, MC_CLI_STEP_TIMEOUT_MAX_MS, &ok);
    if (ok)
        *out = ms;
    else
        mc_buf_printf(err, "--step-timeout takes milliseconds, 1 to %ld",
                      MC_CLI_STEP_TIMEOUT_MAX_MS);
    return ok;
}

bool mc_cli_color_option(const char *arg, enum mc_color *out, struct mc_buf *err)
{
    if (mc_cli_parse_color(arg, out) == 0)
        return true;
    mc_buf_append_str(err, "--color takes auto, always or never");
    return false;
}
