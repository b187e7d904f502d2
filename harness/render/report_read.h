/*
 * report_read — a saved JSON report, read back for the renderers (JUnit, TAP, HTML, text,
 * diff). Renderers never see the engine's in-memory structures: they read the file a run
 * wrote (docs/report-format.md), any format version this reader knows, so a report from last
 * month renders as one from a run just finished.
 *
 * mc_report_read checks what every renderer relies on (the `format` marker, a known
 * `format_version`, a `scenarios` array of objects) and says which file and what is wrong
 * otherwise. The accessors below read a member leniently: a missing key, a null or a value
 * of another type gives the fallback, so a renderer never dereferences what a newer or
 * hand-edited report left out.
 */
#ifndef MC_RENDER_REPORT_READ_H
#define MC_RENDER_REPORT_READ_H

#include <jansson.h>
#include <stdbool.h>

#include "lib/buf.h"

#define MC_REPORT_FORMAT "mailconform-report"
#define MC_REPORT_VERSION_MAX 1 /* the newest format_version this reader knows */
/* A report larger than this is refused before it is parsed: a run's transcripts are bounded
   (16 MiB per scenario, docs/report-format.md), and parsing takes several times the file's
   size in memory. */
#define MC_REPORT_FILE_MAX ((long long)2 << 30) /* 2 GiB */

/* The report at `path` ("-": standard input), or NULL with "PATH: what is wrong" in err. */
json_t *mc_report_read(const char *path, struct mc_buf *err);
/* The same from an open descriptor (not closed); `name` is what messages call it. */
json_t *mc_report_read_fd(int fd, const char *name, struct mc_buf *err);

/* Lenient member access: the fallback when `obj` is not an object, the key is missing, or
   the value has another type. */
const char *mc_rj_str(const json_t *obj, const char *key, const char *fallback);
long long mc_rj_int(const json_t *obj, const char *key, long long fallback);
double mc_rj_num(const json_t *obj, const char *key, double fallback); /* integer or real */
bool mc_rj_bool(const json_t *obj, const char *key, bool fallback);
/* The member if it is an array (else NULL: jansson's array functions treat NULL as empty). */
json_t *mc_rj_arr(const json_t *obj, const char *key);
json_t *mc_rj_obj(const json_t *obj, const char *key); /* the member if it is an object */

/* The bytes of a transcript entry (its `text`, or its `base64` decoded) appended to out;
   -1 when the entry holds neither or bad base64. */
int mc_rj_entry_bytes(const json_t *entry, struct mc_buf *out);

/* "RFC 1939 section 5, RFC 2449" for an array of {"rfc", "section"} appended to out. */
void mc_rj_rfc_text(const json_t *refs, struct mc_buf *out);

#endif
