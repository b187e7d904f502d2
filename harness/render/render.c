/*
 * render — choosing a rendering by name and dispatching to its module (render.h).
 */
#include "render/render.h"

#include <string.h>

static const struct {
    const char *name;
    enum mc_render_format format;
    int (*fn)(FILE *, const json_t *, const struct mc_render_options *, struct mc_buf *);
} formats[] = {
    {"text", MC_RENDER_TEXT, mc_render_text},
    {"junit", MC_RENDER_JUNIT, mc_render_junit},
    {"tap", MC_RENDER_TAP, mc_render_tap},
    {"html", MC_RENDER_HTML, mc_render_html},
};
#define FORMAT_COUNT (sizeof formats / sizeof formats[0])

int mc_render_format_parse(const char *name, enum mc_render_format *out)
{
    for (size_t i = 0; i < FORMAT_COUNT; i++)
        if (strcmp(name, formats[i].name) == 0) {
            *out = formats[i].format;
            return 0;
        }
    return -1;
}

const char *mc_render_format_names(void)
{
    return "text|junit|tap|html";
}

int mc_render(FILE *out, const json_t *report, enum mc_render_format f,
              const struct mc_render_options *opts, struct mc_buf *err)
{
    for (size_t i = 0; i < FORMAT_COUNT; i++)
        if (formats[i].format == f) {
            if (formats[i].fn(out, report, opts, err) != 0)
                return -1;
            if (fflush(out) != 0 || ferror(out)) {
                mc_buf_printf(err, "writing the %s rendering failed", formats[i].name);
                return -1;
            }
            return 0;
        }
    mc_buf_printf(err, "unknown rendering %d", (int)f);
    return -1;
}
