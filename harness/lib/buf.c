/*
 * buf — growable byte strings and string vectors (see buf.h).
 */
#include "lib/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void *mc_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("mailconform: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *mc_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fputs("mailconform: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *mc_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("mailconform: out of memory\n", stderr);
        abort();
    }
    return q;
}

char *mc_xstrndup(const char *s, size_t n)
{
    char *p = mc_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *mc_xstrdup(const char *s)
{
    return s ? mc_xstrndup(s, strlen(s)) : NULL;
}

static void buf_reserve(struct mc_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->data = mc_xrealloc(b->data, cap);
    b->cap = cap;
}

void mc_buf_append(struct mc_buf *b, const void *data, size_t len)
{
    buf_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void mc_buf_append_str(struct mc_buf *b, const char *s)
{
    mc_buf_append(b, s, strlen(s));
}

void mc_buf_append_char(struct mc_buf *b, char c)
{
    mc_buf_append(b, &c, 1);
}

char *mc_buf_extend(struct mc_buf *b, size_t n)
{
    buf_reserve(b, n);
    char *at = b->data + b->len;
    b->len += n;
    b->data[b->len] = '\0';
    return at;
}

void mc_buf_append_hex(struct mc_buf *b, const void *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        mc_buf_append_char(b, digits[p[i] >> 4]);
        mc_buf_append_char(b, digits[p[i] & 0x0f]);
    }
}

int mc_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void mc_buf_vprintf(struct mc_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return;
    buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void mc_buf_printf(struct mc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mc_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void mc_buf_reset(struct mc_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void mc_buf_free(struct mc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *mc_buf_steal(struct mc_buf *b)
{
    char *p = b->data ? b->data : mc_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

static void strv_add(struct mc_strv *v, char *s, size_t len, bool borrowed)
{
    if (v->count == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        v->items = mc_xrealloc(v->items, v->cap * sizeof *v->items);
    }
    v->items[v->count++] = (struct mc_str){.ptr = s, .len = len, .borrowed = borrowed};
}

void mc_strv_push(struct mc_strv *v, const char *s, size_t len)
{
    strv_add(v, mc_xstrndup(s, len), len, false);
}

void mc_strv_push_owned(struct mc_strv *v, char *s, size_t len)
{
    strv_add(v, s, len, false);
}

void mc_strv_push_ref(struct mc_strv *v, const char *s, size_t len)
{
    strv_add(v, (char *)s, len, true); /* never written through, never freed */
}

void mc_strv_push_str(struct mc_strv *v, const char *s)
{
    mc_strv_push(v, s, strlen(s));
}

bool mc_strv_contains_nocase(const struct mc_strv *v, const char *s)
{
    for (size_t i = 0; i < v->count; i++)
        if (strcasecmp(v->items[i].ptr, s) == 0)
            return true;
    return false;
}

void mc_strv_clear(struct mc_strv *v)
{
    for (size_t i = 0; i < v->count; i++)
        if (!v->items[i].borrowed)
            free(v->items[i].ptr);
    v->count = 0;
}

void mc_strv_free(struct mc_strv *v)
{
    mc_strv_clear(v);
    free(v->items);
    v->items = NULL;
    v->cap = 0;
}
