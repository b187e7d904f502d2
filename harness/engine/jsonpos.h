/*
 * jsonpos — where each value of a JSON text sits, by its path.
 *
 * jansson parses a document but forgets positions, and a scenario author needs "line 12,
 * column 17" to find a mistake. After jansson has accepted a text, mc_jsonpos_build scans the
 * same bytes once more and records, for every value, its path and where it starts:
 *
 *     ""                      the root value
 *     "steps"                 a member of the root object
 *     "steps[3]"              an array element (0-based)
 *     "steps[3].expect.code"  members and elements, nested
 *
 * Object keys appear in paths decoded (a key written "\u0061" is "a"), exactly as jansson hands
 * them out, so the loader can build the path of any value it holds and ask for its place. A key
 * that itself holds '.' or '[' cannot be named in a path (the lookup then fails, and a caller
 * falls back to the enclosing value).
 *
 * Lines and columns are 1-based. Columns count characters (UTF-8 code points), not bytes,
 * the way jansson counts the column of a syntax error, so both kinds of error agree; a tab
 * counts as one column.
 *
 * It never validates: a text jansson refused may give NULL or an incomplete index.
 */
#ifndef MC_ENGINE_JSONPOS_H
#define MC_ENGINE_JSONPOS_H

#include <stddef.h>

struct mc_jsonpos;

/* Index of `text` (`len` bytes, need not be NUL-terminated). NULL if the text is not JSON. */
struct mc_jsonpos *mc_jsonpos_build(const char *text, size_t len);

/* Where the value at `path` starts ('{', '[', '"', digit, ...). 0, or -1 if no such value. */
int mc_jsonpos_find(const struct mc_jsonpos *pos, const char *path, int *line, int *col);

/* Where the key of the object member at `path` starts (its opening quote). For an array element
   or the root, where the value starts. 0, or -1 if no such value. */
int mc_jsonpos_find_key(const struct mc_jsonpos *pos, const char *path, int *line, int *col);

/* How many values were indexed. */
size_t mc_jsonpos_count(const struct mc_jsonpos *pos);

void mc_jsonpos_free(struct mc_jsonpos *pos);

#endif
