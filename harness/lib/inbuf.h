/*
 * inbuf — the input of a connection as one contiguous block, read in linear time.
 *
 * conn.c moves every byte libevent reads into an inbuf, and framers look at it in place: the
 * unconsumed bytes are always contiguous, so a line or an IMAP literal is handed on without
 * being copied out piece by piece. Every cost is linear in what arrived: looking for the next
 * line end resumes where the last look stopped (memchr only over bytes not yet examined), and
 * the consumed prefix is moved away only when it is at least as large as what is still
 * unconsumed, so each byte is moved a bounded number of times. A block that grew large for one
 * long literal is given back once that input is consumed. The inbuf sets no limit of its own:
 * its owner decides how much it may hold (conn.c's read limit).
 */
#ifndef MC_LIB_INBUF_H
#define MC_LIB_INBUF_H

#include <stdbool.h>
#include <stddef.h>

struct mc_inbuf {
    char *data;
    size_t start, end, cap; /* data[start, end) is the unconsumed input */
    size_t scanned;         /* data[start, start + scanned) holds no LF */
    size_t scan_work;       /* octets ever examined for a line end (a test checks linearity) */
};

size_t mc_inbuf_length(const struct mc_inbuf *b);
/* The unconsumed input, mc_inbuf_length octets; valid until the next call that changes b. */
const char *mc_inbuf_data(const struct mc_inbuf *b);
/* Room for n more octets at the end (compacting or growing the block): write them there, then
   call mc_inbuf_added. */
char *mc_inbuf_space(struct mc_inbuf *b, size_t n);
void mc_inbuf_added(struct mc_inbuf *b, size_t n);
/* The next line: its length without "\r\n"/"\n", *total with the line end, *bare_lf when there
   was no CR before the LF; -1 when no complete line is there. */
long mc_inbuf_find_line(struct mc_inbuf *b, size_t *total, bool *bare_lf);
/* Drops the first n octets (n <= mc_inbuf_length). */
void mc_inbuf_consume(struct mc_inbuf *b, size_t n);
void mc_inbuf_clear(struct mc_inbuf *b); /* drops everything */
void mc_inbuf_free(struct mc_inbuf *b);

#endif
