/*
 * render_html — the HTML rendering of a report (render.h): one self-contained page for people,
 * a QA team handing a customer the result, a developer finding why a scenario failed, a student
 * reading a passing exchange. This module writes the page's frame: the head with its
 * Content-Security-Policy, the header (target, times, verdict, options, scenario set) and the
 * table of contents; the sections are modules of their own (html.h).
 *
 * Self-contained: the stylesheet and the script are inline (reports/templates/, embedded at
 * build time), there is no image, font or other file to load, and the policy allows exactly
 * that stylesheet and that script by their SHA-256 and forbids every fetch, so the page works
 * from a file:// URL with no network and a hostile byte in a transcript could not run even if
 * escaping failed. Without the script the page still shows everything.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "render/html.h"
#include "render/html_assets.h"
#include "render/report_read.h"

/* 'sha256-BASE64' of `data`: a CSP hash source (CSP Level 3, "hash-source"). */
static void csp_hash(struct mc_buf *out, const void *data, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1)
        md_len = 0; /* no hash: the policy then refuses the element, the page still reads */
    mc_buf_append_str(out, "'sha256-");
    mc_base64_encode(md, md_len, out);
    mc_buf_append_str(out, "'");
}

static void write_head(FILE *f, const json_t *report)
{
    struct mc_buf csp = {0};
    mc_buf_append_str(&csp, "default-src 'none'; style-src ");
    csp_hash(&csp, mc_asset_report_css, mc_asset_report_css_len);
    mc_buf_append_str(&csp, "; script-src ");
    csp_hash(&csp, mc_asset_report_js, mc_asset_report_js_len);
    mc_buf_append_str(&csp, "; base-uri 'none'; form-action 'none'");
    const json_t *target = mc_rj_obj(report, "target");
    const json_t *run = mc_rj_obj(report, "run");
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", f);
    fprintf(f, "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n", csp.data);
    fputs("<meta name=\"referrer\" content=\"no-referrer\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"mailconform ",
          f);
    mc_html_text(f, mc_rj_str(mc_rj_obj(report, "tool"), "version", "?"));
    fputs("\">\n<title>", f);
    mc_html_text(f, mc_rj_str(run, "verdict", "?"));
    fputs(" — mailconform report — ", f);
    mc_html_text(f, mc_rj_str(target, "name", mc_rj_str(target, "source", "unnamed target")));
    fputs("</title>\n<style>", f);
    fwrite(mc_asset_report_css, 1, mc_asset_report_css_len, f);
    fputs("</style>\n</head>\n", f);
    mc_buf_free(&csp);
}

static void fact(FILE *f, const char *term, const char *value)
{
    fprintf(f, "<dt>%s</dt><dd>", term);
    mc_html_text(f, value ? value : "—");
    fputs("</dd>\n", f);
}

/* A value of run.options, whatever its type: options may be added within format version 1. */
static void option_value(FILE *f, const json_t *v)
{
    if (json_is_string(v)) {
        mc_html_text(f, json_string_value(v));
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *item;
        if (json_array_size(v) == 0)
            fputs("—", f);
        json_array_foreach(v, i, item)
        {
            if (i)
                fputs(", ", f);
            option_value(f, item);
        }
    } else if (json_is_object(v)) {
        const char *key;
        const json_t *member;
        fputs("<dl class=\"facts\">", f);
        json_object_foreach((json_t *)v, key, member)
        {
            fputs("<dt>", f);
            mc_html_text(f, key);
            fputs("</dt><dd>", f);
            option_value(f, member);
            fputs("</dd>", f);
        }
        fputs("</dl>", f);
    } else if (json_is_null(v)) {
        fputs("—", f);
    } else {
        char *text = json_dumps(v, JSON_ENCODE_ANY);
        mc_html_text(f, text);
        free(text);
    }
}

static void write_run(FILE *f, const json_t *run)
{
    const json_t *set = mc_rj_obj(run, "scenario_set");
    fputs("<h2 id=\"run\">The run</h2>\n<dl class=\"facts\">\n", f);
    fprintf(f, "<dt>Scenario set</dt><dd>%lld scenario(s); SHA-256 <code>",
            mc_rj_int(set, "count", 0));
    mc_html_text(f, mc_rj_str(set, "sha256", "—"));
    fputs("</code>; git revision <code>", f);
    mc_html_text(f, mc_rj_str(set, "git_revision", "none (not from a checkout)"));
    fputs("</code></dd>\n", f);
    if (mc_rj_str(run, "stopped", NULL))
        fact(f, "Stopped early", mc_rj_str(run, "stopped", NULL));
    fputs("<dt>Options</dt><dd>", f);
    option_value(f, mc_rj_obj(run, "options"));
    fputs("</dd>\n</dl>\n", f);
}

static void write_header(FILE *f, const json_t *report)
{
    const json_t *target = mc_rj_obj(report, "target");
    const json_t *run = mc_rj_obj(report, "run");
    const char *verdict = mc_rj_str(run, "verdict", "unknown");
    fputs("<header>\n<h1>mailconform report: ", f);
    mc_html_text(f, mc_rj_str(target, "name", mc_rj_str(target, "source", "unnamed target")));
    fputs("</h1>\n<p class=\"verdict v-", f);
    mc_html_token(f, verdict);
    fputs("\" id=\"verdict\">", f);
    mc_html_text(f, mc_rj_str(run, "verdict_text", verdict));
    fprintf(f, " <span class=\"exit\">(exit status %lld)</span></p>\n",
            mc_rj_int(run, "exit_status", -1));
    fputs("<dl class=\"facts\">\n", f);
    fact(f, "Target", mc_rj_str(target, "name", NULL));
    fact(f, "Reached at", mc_rj_str(target, "source", NULL));
    fact(f, "Started", mc_rj_str(report, "started", NULL));
    fact(f, "Finished", mc_rj_str(report, "finished", NULL));
    fprintf(f, "<dt>Duration</dt><dd>%.3f s, %lld scenario(s) at a time</dd>\n",
            mc_rj_num(report, "duration_s", 0), mc_rj_int(report, "jobs", 0));
    fputs("<dt>Written by</dt><dd>", f);
    mc_html_text(f, mc_rj_str(mc_rj_obj(report, "tool"), "name", "?"));
    fputs(" ", f);
    mc_html_text(f, mc_rj_str(mc_rj_obj(report, "tool"), "version", "?"));
    fprintf(f, ", report format version %lld</dd>\n</dl>\n",
            mc_rj_int(report, "format_version", 0));
    fputs("<nav class=\"toc\" aria-label=\"Contents\"><ul>"
          "<li><a href=\"#run\">The run</a></li><li><a href=\"#summary\">Summary</a></li>"
          "<li><a href=\"#endpoints\">Endpoints</a></li>"
          "<li><a href=\"#scenarios\">Scenarios</a></li></ul></nav>\n</header>\n",
          f);
}

int mc_render_html(FILE *out, const json_t *report, const struct mc_render_options *opts,
                   struct mc_buf *err)
{
    (void)err; /* a report read by mc_report_read always renders; write errors: render.c */
    write_head(out, report);
    fputs("<body>\n", out);
    write_header(out, report);
    fputs("<main>\n", out);
    write_run(out, mc_rj_obj(report, "run"));
    mc_html_summary(out, report);
    mc_html_endpoints(out, report);
    mc_html_scenarios(out, report, opts);
    fputs("</main>\n<p id=\"js-errors\" role=\"alert\" hidden></p>\n<script>", out);
    fwrite(mc_asset_report_js, 1, mc_asset_report_js_len, out);
    fputs("</script>\n</body>\n</html>\n", out);
    return 0;
}
