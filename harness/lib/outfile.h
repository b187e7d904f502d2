/*
 * outfile — writing an output file whole or not at all: a report, a rendering (report
 * --format, run --junit/--tap/--html), a target profile is written to PATH.tmp, flushed, synced and
 * renamed over PATH, so a CI system reading PATH sees the previous file or the whole new one, never
 * half of one.
 * "-" is standard output. A PATH that exists and is not a plain file (/dev/null, /dev/stdout,
 * a FIFO) is written directly: renaming a file over it would replace the device or pipe.
 */
#ifndef MC_LIB_OUTFILE_H
#define MC_LIB_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

#include "lib/buf.h"

struct mc_outfile {
    FILE *f; /* where to write */
    char *path, *tmp;
    bool direct; /* PATH itself is written (a device or a pipe): nothing to rename */
};

/* 0 with of->f open, or -1 with "PATH: why" in err. */
int mc_outfile_open(struct mc_outfile *of, const char *path, struct mc_buf *err);
/* Flushes, syncs and renames into place. 0, or -1 with a message (PATH left as it was). */
int mc_outfile_commit(struct mc_outfile *of, struct mc_buf *err);
/* Throws the half-written file away. */
void mc_outfile_abort(struct mc_outfile *of);

#endif
