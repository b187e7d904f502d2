/*
 * transcript — a scenario's transcript within its byte budget (see transcript.h).
 */
#include "engine/transcript.h"

#include <stdlib.h>

static void transcript_append(struct mc_scenario_result *res, struct mc_transcript_budget *b,
                              double t, int session, enum mc_transcript_dir dir, const char *data,
                              size_t len)
{
    if (res->transcript_count == res->transcript_cap) {
        res->transcript_cap = res->transcript_cap ? res->transcript_cap * 2 : 64;
        res->transcript =
            mc_xrealloc(res->transcript, res->transcript_cap * sizeof *res->transcript);
    }
    struct mc_transcript_entry *e = &res->transcript[res->transcript_count++];
    e->t = t;
    e->session = session;
    e->dir = dir;
    e->data = mc_xstrndup(data, len);
    e->len = len;
    b->bytes += len + MC_TRANSCRIPT_ENTRY_OVERHEAD;
}

static void transcript_describe_truncation(const struct mc_transcript_budget *b, struct mc_buf *out)
{
    mc_buf_printf(out,
                  "transcript truncated: %zu further byte(s) not recorded (limit %u MiB, "
                  "MC_TRANSCRIPT_BYTES_MAX, a harness safety limit)",
                  b->dropped, MC_TRANSCRIPT_BYTES_MAX / (1024u * 1024u));
}

void mc_transcript_add(struct mc_scenario_result *res, struct mc_transcript_budget *b, double t,
                       int session, enum mc_transcript_dir dir, const char *data, size_t len)
{
    if (res->transcript_truncated) {
        b->dropped += len;
        return;
    }
    size_t left = MC_TRANSCRIPT_BYTES_MAX - b->bytes;
    if (len <= left && left - len >= MC_TRANSCRIPT_ENTRY_OVERHEAD) {
        transcript_append(res, b, t, session, dir, data, len);
        return;
    }
    /* Full: what still fits of this entry is kept (a long literal is cut), then the marker,
       which may go past the budget by its own few octets. */
    size_t keep = left > MC_TRANSCRIPT_ENTRY_OVERHEAD ? left - MC_TRANSCRIPT_ENTRY_OVERHEAD : 0;
    if (keep > len)
        keep = len;
    if (keep)
        transcript_append(res, b, t, session, dir, data, keep);
    b->dropped = len - keep;
    b->marker = res->transcript_count;
    struct mc_buf note = {0};
    transcript_describe_truncation(b, &note);
    transcript_append(res, b, t, session, MC_DIR_EVENT, note.data, note.len);
    res->transcript_truncated = true;
    mc_buf_free(&note);
}

void mc_transcript_close(struct mc_scenario_result *res, struct mc_transcript_budget *b)
{
    if (!res->transcript_truncated || b->marker >= res->transcript_count)
        return;
    struct mc_transcript_entry *e = &res->transcript[b->marker];
    struct mc_buf note = {0};
    transcript_describe_truncation(b, &note);
    free(e->data);
    e->len = note.len;
    e->data = mc_buf_steal(&note);
}
