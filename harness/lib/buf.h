/*
 * buf — growable byte strings and string vectors.
 *
 * Everything the harness reads from a peer is binary-safe: it may hold NUL bytes, bare CR or LF
 * and 8-bit data. `struct mc_buf` keeps an explicit length (and a NUL after the data, so text can
 * be printed); `struct mc_strv` is an ordered list of such strings (the lines of a reply, the
 * capabilities of a server). Allocation failure aborts: a harness that cannot allocate a few
 * kilobytes has nothing useful left to report.
 */
#ifndef MC_LIB_BUF_H
#define MC_LIB_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct mc_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
};

void mc_buf_append(struct mc_buf *b, const void *data, size_t len);
void mc_buf_append_str(struct mc_buf *b, const char *s);
void mc_buf_append_char(struct mc_buf *b, char c);
void mc_buf_printf(struct mc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mc_buf_vprintf(struct mc_buf *b, const char *fmt, va_list ap);
/* Grows b by n bytes and returns where they start, for the caller to fill. */
char *mc_buf_extend(struct mc_buf *b, size_t n);
void mc_buf_append_hex(struct mc_buf *b, const void *data, size_t len); /* lower-case */
/* The value of a hexadecimal digit of either case, -1 when c is none. */
int mc_hex_digit(char c);
void mc_buf_reset(struct mc_buf *b); /* len = 0, keeps memory */
void mc_buf_free(struct mc_buf *b);
/* Hands the data over to the caller (never NULL) and leaves b empty. */
char *mc_buf_steal(struct mc_buf *b);

struct mc_str {
    char *ptr; /* NUL-terminated copy, or (borrowed) a view into a string another vector owns */
    size_t len;
    bool borrowed; /* not freed with the vector: see mc_strv_push_ref */
};

struct mc_strv {
    struct mc_str *items;
    size_t count;
    size_t cap;
};

void mc_strv_push(struct mc_strv *v, const char *s, size_t len);
void mc_strv_push_str(struct mc_strv *v, const char *s);
/* Takes over s (from malloc, NUL-terminated at len): nothing is copied. */
void mc_strv_push_owned(struct mc_strv *v, char *s, size_t len);
/* A view of s[0..len) that some other vector owns and frees, without a copy: it must outlive v's
   use. Its ptr is NUL-terminated only if s[len] is (a suffix of an owned string is; a part of
   its middle is not). */
void mc_strv_push_ref(struct mc_strv *v, const char *s, size_t len);
bool mc_strv_contains_nocase(const struct mc_strv *v, const char *s);
void mc_strv_clear(struct mc_strv *v); /* frees the owned strings, keeps the vector usable */
void mc_strv_free(struct mc_strv *v);

/* Small helpers every module wants. */
void *mc_xmalloc(size_t n);
void *mc_xcalloc(size_t n, size_t size);
void *mc_xrealloc(void *p, size_t n);
char *mc_xstrdup(const char *s);
char *mc_xstrndup(const char *s, size_t n);

#endif
