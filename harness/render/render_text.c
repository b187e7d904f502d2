/*
 * render_text — the text rendering of a report (render.h). Not written yet: being built for
 * issue 9 (this placeholder refuses, so nothing claims a rendering it does not make).
 */
#include "render/render.h"

int mc_render_text(FILE *out, const json_t *report, const struct mc_render_options *opts,
                   struct mc_buf *err)
{
    (void)out, (void)report, (void)opts;
    mc_buf_printf(err, "the text rendering is not available yet");
    return -1;
}
