/*
 * render_html_endpoints — the endpoints section of the HTML report: where each endpoint is,
 * its TLS as the probe saw it (version, verified or not, the certificate's subject, expiry and
 * verification error), the problems that kept scenarios from using it, and the capabilities it
 * announced before TLS, after STARTTLS and after logging in (docs/report-format.md
 * "endpoints", "capabilities").
 */
#include <string.h>

#include "render/html.h"
#include "render/report_read.h"

static void cell_text(FILE *f, const char *s)
{
    fputs("<td>", f);
    mc_html_text(f, s ? s : "—");
    fputs("</td>", f);
}

static void tls_seen_cell(FILE *f, const json_t *tls)
{
    fputs("<td>", f);
    if (!tls) {
        fputs("none seen</td>", f);
        return;
    }
    mc_html_text(f, mc_rj_str(tls, "version", "?"));
    fputs(mc_rj_bool(tls, "verified", false)
              ? "<br><span class=\"o-pass\">certificate verified</span>"
              : "<br><span class=\"o-fail\">certificate NOT verified</span>",
          f);
    const char *verify_error = mc_rj_str(tls, "verify_error", NULL);
    if (verify_error) {
        fputs(": ", f);
        mc_html_text(f, verify_error);
    }
    fputs("<br>subject ", f);
    mc_html_text(f, mc_rj_str(tls, "subject", "?"));
    fputs("<br>expires ", f);
    mc_html_text(f, mc_rj_str(tls, "expires", "?"));
    fputs("</td>", f);
}

static void problems_cell(FILE *f, const json_t *problems)
{
    fputs("<td>", f);
    if (json_array_size(problems) == 0)
        fputs("none", f);
    size_t i;
    const json_t *p;
    json_array_foreach(problems, i, p)
    {
        fputs("<div class=\"problem\"><strong>", f);
        mc_html_text(f, mc_rj_str(p, "aspect", "?"));
        fputs(": <code>", f);
        mc_html_text(f, mc_rj_str(p, "cause", "?"));
        fputs("</code></strong> ", f);
        mc_html_text(f, mc_rj_str(p, "why", ""));
        if (mc_rj_str(p, "hint", NULL)) {
            fputs("<br>Hint: ", f);
            mc_html_text(f, mc_rj_str(p, "hint", NULL));
        }
        fputs("</div>", f);
    }
    fputs("</td>", f);
}

static void endpoint_row(FILE *f, const json_t *ep)
{
    fputs("<tr><th scope=\"row\"><code>", f);
    mc_html_text(f, mc_rj_str(ep, "name", "?"));
    fputs("</code></th>", f);
    cell_text(f, mc_rj_str(ep, "protocol", NULL));
    fputs("<td><code>", f);
    mc_html_text(f, mc_rj_str(ep, "host", "?"));
    fprintf(f, ":%lld</code></td>", mc_rj_int(ep, "port", 0));
    fputs("<td>", f);
    mc_html_text(f, mc_rj_str(ep, "tls", "?"));
    if (mc_rj_bool(ep, "auth_required", false))
        fputs("<br>login required", f);
    fputs("</td>", f);
    tls_seen_cell(f, mc_rj_obj(ep, "tls_seen"));
    fputs("<td>", f);
    mc_html_list(f, mc_rj_arr(ep, "promised"), "none");
    fputs("</td>", f);
    problems_cell(f, mc_rj_arr(ep, "problems"));
    fputs("</tr>\n", f);
}

static void capabilities_row(FILE *f, const json_t *cap)
{
    fputs("<tr><th scope=\"row\"><code>", f);
    mc_html_text(f, mc_rj_str(cap, "endpoint", "?"));
    fputs("</code></th><td><code>", f);
    mc_html_text(f, mc_rj_str(cap, "greeting", "—"));
    fputs("</code>", f);
    if (mc_rj_str(cap, "error", NULL)) {
        fputs("<div class=\"problem\">probe failed: ", f);
        mc_html_text(f, mc_rj_str(cap, "error", NULL));
        fputs("</div>", f);
    }
    fputs("</td>", f);
    static const char *const lists[] = {"plain", "after_tls", "after_login"};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        fputs("<td>", f);
        mc_html_list(f, mc_rj_arr(cap, lists[i]), "none");
        fputs("</td>", f);
    }
    fputs("</tr>\n", f);
}

void mc_html_endpoints(FILE *f, const json_t *report)
{
    const json_t *endpoints = mc_rj_arr(report, "endpoints");
    const json_t *caps = mc_rj_arr(report, "capabilities");
    size_t i;
    const json_t *v;
    fputs("<section aria-labelledby=\"endpoints\">\n<h2 id=\"endpoints\">Endpoints</h2>\n", f);
    if (json_array_size(endpoints) == 0) {
        fputs("<p>The report names no endpoint.</p>\n", f);
    } else {
        fputs("<table id=\"endpoint-table\">\n<caption>Where the target was reached, and its TLS"
              "</caption>\n<thead><tr><th scope=\"col\">endpoint</th><th scope=\"col\">protocol"
              "</th><th scope=\"col\">address</th><th scope=\"col\">TLS</th><th scope=\"col\">"
              "TLS as seen by the probe</th><th scope=\"col\">capabilities promised by the "
              "profile</th><th scope=\"col\">problems</th></tr></thead>\n<tbody>\n",
              f);
        json_array_foreach(endpoints, i, v) endpoint_row(f, v);
        fputs("</tbody>\n</table>\n", f);
    }
    fputs("<h3 id=\"capabilities\">Capabilities announced</h3>\n", f);
    if (json_array_size(caps) == 0) {
        fputs("<p>No endpoint was probed.</p>\n</section>\n", f);
        return;
    }
    fputs("<p class=\"legend\"><em>plain</em>: announced before TLS (or over implicit TLS); "
          "<em>after TLS</em>: after STARTTLS/STLS; <em>after login</em>: after logging in as the "
          "first test user (IMAP servers announce some extensions only then). A scenario's "
          "<code>requires</code> is met by a name in any of the three.</p>\n"
          "<table id=\"capability-table\">\n<thead><tr><th scope=\"col\">endpoint</th>"
          "<th scope=\"col\">greeting</th><th scope=\"col\">plain</th><th scope=\"col\">after TLS"
          "</th><th scope=\"col\">after login</th></tr></thead>\n<tbody>\n",
          f);
    json_array_foreach(caps, i, v) capabilities_row(f, v);
    fputs("</tbody>\n</table>\n</section>\n", f);
}
