/*
 * inbuf — a connection's input as one contiguous block (see inbuf.h).
 */
#include "lib/inbuf.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

/* Harness tuning, not limits (no RFC is involved): the first block, and the size above which
   an emptied (or mostly consumed) block is given back rather than kept for the next input. A
   mail dialogue's replies fit in the first; a long IMAP literal grows the block for a moment. */
#define INBUF_FIRST_BLOCK (16u * 1024u)
#define INBUF_KEEP_MAX (256u * 1024u)

size_t mc_inbuf_length(const struct mc_inbuf *b)
{
    return b->end - b->start;
}

const char *mc_inbuf_data(const struct mc_inbuf *b)
{
    return b->data ? b->data + b->start : "";
}

/* Moves the unconsumed octets to the front; then gives back most of a block that is far
   larger than what it must hold from now on. */
static void inbuf_compact(struct mc_inbuf *b, size_t need)
{
    size_t live = b->end - b->start;
    if (live)
        memmove(b->data, b->data + b->start, live);
    b->start = 0;
    b->end = live;
    size_t want = live + need;
    if (b->cap <= INBUF_KEEP_MAX || b->cap / 4 <= want)
        return;
    size_t cap = INBUF_KEEP_MAX;
    while (cap < 2 * want)
        cap *= 2;
    b->data = mc_xrealloc(b->data, cap);
    b->cap = cap;
}

char *mc_inbuf_space(struct mc_inbuf *b, size_t n)
{
    size_t live = b->end - b->start;
    /* Moving costs `live` octets; doing it only once as many were consumed keeps the total
       linear, and so does moving them before growing. */
    if (b->start > 0 && (b->start >= live || b->cap - b->end < n))
        inbuf_compact(b, n);
    if (b->cap - b->end < n) {
        size_t cap = b->cap ? b->cap : INBUF_FIRST_BLOCK;
        while (cap - b->end < n)
            cap *= 2;
        b->data = mc_xrealloc(b->data, cap);
        b->cap = cap;
    }
    return b->data + b->end;
}

void mc_inbuf_added(struct mc_inbuf *b, size_t n)
{
    b->end += n;
}

long mc_inbuf_find_line(struct mc_inbuf *b, size_t *total, bool *bare_lf)
{
    size_t live = b->end - b->start;
    if (b->scanned >= live)
        return -1;
    const char *from = b->data + b->start;
    const char *lf = memchr(from + b->scanned, '\n', live - b->scanned);
    if (!lf) {
        b->scan_work += live - b->scanned;
        b->scanned = live;
        return -1;
    }
    size_t n = (size_t)(lf - from);
    b->scan_work += n + 1 - b->scanned;
    b->scanned = n; /* the line end itself is found again at once until it is consumed */
    *total = n + 1;
    *bare_lf = n == 0 || from[n - 1] != '\r';
    return (long)(*bare_lf ? n : n - 1);
}

void mc_inbuf_consume(struct mc_inbuf *b, size_t n)
{
    if (n > b->end - b->start)
        n = b->end - b->start;
    b->start += n;
    b->scanned = b->scanned > n ? b->scanned - n : 0;
    if (b->start < b->end)
        return;
    b->start = b->end = 0; /* empty: the next input starts at the front */
    if (b->cap > INBUF_KEEP_MAX)
        mc_inbuf_free(b);
}

void mc_inbuf_clear(struct mc_inbuf *b)
{
    mc_inbuf_consume(b, b->end - b->start);
}

void mc_inbuf_free(struct mc_inbuf *b)
{
    free(b->data);
    *b = (struct mc_inbuf){.scan_work = b->scan_work};
}
