/*
 * jsonpos — where each value of a JSON text sits, by its path (see jsonpos.h).
 *
 * One pass over text that jansson has already accepted, with an explicit stack instead of
 * recursion (a deep document must not exhaust the C stack). Paths are not stored whole: each
 * value is a node that names its parent and its own step (a key or an index), so memory stays
 * linear in the size of the text however deep or long the paths get. A lookup splits the path
 * into steps and walks down from the root, one binary search a step.
 */
#include "engine/jsonpos.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/utf8.h"

#define JP_NONE SIZE_MAX

struct jp_node {
    size_t parent;   /* JP_NONE for the root */
    bool is_index;   /* an array element (index) or an object member (key) */
    size_t index;    /* element: its index */
    size_t key_off;  /* member: its decoded key in the arena (while building) */
    const char *key; /* ... and once built */
    size_t key_len;
    int line, col;         /* where the value starts */
    int key_line, key_col; /* where the member's key starts (the value's place otherwise) */
};

struct mc_jsonpos {
    struct jp_node *nodes; /* document order; a node's id is its index here */
    size_t count, cap;
    struct jp_node **sorted; /* by (parent, step), for lookups */
    struct mc_buf arena;     /* decoded keys */
};

struct jp_frame {
    bool is_object;
    size_t node;  /* the container's node */
    size_t index; /* members or elements seen so far */
};

/* The step from a container to the value being read next. */
struct jp_step {
    bool is_index;
    size_t index;
    size_t key_off, key_len;
    int key_line, key_col;
};

struct jp_scan {
    const char *p, *end;
    int line, col; /* of *p */
    struct jp_frame *stack;
    size_t depth, stack_cap;
};

static void jp_advance(struct jp_scan *s)
{
    unsigned char c = (unsigned char)*s->p++;
    if (c == '\n') {
        s->line++;
        s->col = 1;
    } else if ((c & 0xC0) != 0x80) { /* a UTF-8 continuation byte is not a new character */
        s->col++;
    }
}

static void jp_skip_ws(struct jp_scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        jp_advance(s);
}

static void jp_record(struct mc_jsonpos *jp, const struct jp_scan *s, const struct jp_step *step)
{
    if (jp->count == jp->cap) {
        jp->cap = jp->cap ? jp->cap * 2 : 64;
        jp->nodes = mc_xrealloc(jp->nodes, jp->cap * sizeof *jp->nodes);
    }
    struct jp_node *n = &jp->nodes[jp->count++];
    memset(n, 0, sizeof *n);
    n->parent = s->depth ? s->stack[s->depth - 1].node : JP_NONE;
    n->line = n->key_line = s->line;
    n->col = n->key_col = s->col;
    if (!step)
        return;
    n->is_index = step->is_index;
    n->index = step->index;
    n->key_off = step->key_off;
    n->key_len = step->key_len;
    if (!step->is_index) {
        n->key_line = step->key_line;
        n->key_col = step->key_col;
    }
}

static int jp_hex(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* Reads the \uXXXX escape at s->p (just after the backslash and 'u'), with a low surrogate
   that may follow, and appends it to `out` as UTF-8. */
static int jp_unicode_escape(struct jp_scan *s, struct mc_buf *out)
{
    if (s->end - s->p < 4)
        return -1;
    int hi = jp_hex(s->p);
    if (hi < 0)
        return -1;
    for (int i = 0; i < 4; i++)
        jp_advance(s);
    uint32_t cp = (uint32_t)hi;
    if (hi >= 0xD800 && hi <= 0xDBFF && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u') {
        int lo = jp_hex(s->p + 2);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
            for (int i = 0; i < 6; i++)
                jp_advance(s);
        }
    }
    if (out)
        mc_utf8_append(out, cp);
    return 0;
}

/* Skips the string at s->p (its opening quote); decodes it into `out` when non-NULL. */
static int jp_string(struct jp_scan *s, struct mc_buf *out)
{
    jp_advance(s); /* the opening quote */
    while (s->p < s->end) {
        char c = *s->p;
        if (c == '"') {
            jp_advance(s);
            return 0;
        }
        if (c != '\\') {
            if (out)
                mc_buf_append_char(out, c);
            jp_advance(s);
            continue;
        }
        jp_advance(s);
        if (s->p >= s->end)
            return -1;
        char e = *s->p;
        jp_advance(s);
        if (e == 'u') {
            if (jp_unicode_escape(s, out) < 0)
                return -1;
            continue;
        }
        if (!out)
            continue;
        switch (e) {
        case 'b':
            e = '\b';
            break;
        case 'f':
            e = '\f';
            break;
        case 'n':
            e = '\n';
            break;
        case 'r':
            e = '\r';
            break;
        case 't':
            e = '\t';
            break;
        default: /* '"', '\\', '/' stand for themselves */
            break;
        }
        mc_buf_append_char(out, e);
    }
    return -1;
}

static void jp_skip_scalar(struct jp_scan *s)
{
    while (s->p < s->end && !strchr(",]} \t\r\n", *s->p))
        jp_advance(s);
}

static void jp_push(struct jp_scan *s, bool is_object, size_t node)
{
    if (s->depth == s->stack_cap) {
        s->stack_cap = s->stack_cap ? s->stack_cap * 2 : 16;
        s->stack = mc_xrealloc(s->stack, s->stack_cap * sizeof *s->stack);
    }
    s->stack[s->depth++] = (struct jp_frame){is_object, node, 0};
}

/* The step to the next element or member of the innermost container. For a member, reads its
   key (into the arena) and the colon; returns -1 on malformed input. */
static int jp_next_step(struct mc_jsonpos *jp, struct jp_scan *s, struct jp_step *step)
{
    const struct jp_frame *f = &s->stack[s->depth - 1];
    memset(step, 0, sizeof *step);
    if (!f->is_object) {
        step->is_index = true;
        step->index = f->index;
        return 0;
    }
    jp_skip_ws(s);
    if (s->p >= s->end || *s->p != '"')
        return -1;
    step->key_line = s->line;
    step->key_col = s->col;
    step->key_off = jp->arena.len;
    if (jp_string(s, &jp->arena) < 0)
        return -1;
    step->key_len = jp->arena.len - step->key_off;
    jp_skip_ws(s);
    if (s->p >= s->end || *s->p != ':')
        return -1;
    jp_advance(s);
    return 0;
}

/* The scan proper. Returns 0 when the whole text was one well-formed value. */
static int jp_scan_text(struct mc_jsonpos *jp, struct jp_scan *s)
{
    struct jp_step step;
    bool root = true;
    for (;;) {
        /* A value starts here. */
        jp_skip_ws(s);
        if (s->p >= s->end)
            return -1;
        jp_record(jp, s, root ? NULL : &step);
        root = false;
        char c = *s->p;
        bool value_done = true;
        if (c == '{' || c == '[') {
            jp_push(s, c == '{', jp->count - 1);
            jp_advance(s);
            jp_skip_ws(s);
            if (s->p < s->end && *s->p == (c == '{' ? '}' : ']')) {
                jp_advance(s);
                s->depth--;
            } else {
                value_done = false;
            }
        } else if (c == '"') {
            if (jp_string(s, NULL) < 0)
                return -1;
        } else {
            jp_skip_scalar(s);
        }
        /* Close the containers this value ends, until one has a next child. */
        while (value_done) {
            if (s->depth == 0) {
                jp_skip_ws(s);
                return s->p == s->end ? 0 : -1;
            }
            struct jp_frame *f = &s->stack[s->depth - 1];
            jp_skip_ws(s);
            if (s->p >= s->end)
                return -1;
            if (*s->p == ',') {
                jp_advance(s);
                f->index++;
                break;
            }
            if (*s->p != (f->is_object ? '}' : ']'))
                return -1;
            jp_advance(s);
            s->depth--;
        }
        if (jp_next_step(jp, s, &step) < 0)
            return -1;
    }
}

/* Orders nodes by parent, then elements by index before members by key; ties (a key given
   twice, which jansson refuses anyway) by document order. */
static int jp_step_cmp(size_t parent, bool is_index, size_t index, const char *key, size_t key_len,
                       const struct jp_node *n)
{
    if (parent != n->parent)
        return parent < n->parent ? -1 : 1;
    if (is_index != n->is_index)
        return is_index ? -1 : 1;
    if (is_index)
        return index < n->index ? -1 : index > n->index;
    size_t m = key_len < n->key_len ? key_len : n->key_len;
    int c = memcmp(key, n->key, m);
    if (c)
        return c;
    return key_len < n->key_len ? -1 : key_len > n->key_len;
}

static int jp_node_cmp(const void *a, const void *b)
{
    const struct jp_node *x = *(const struct jp_node *const *)a;
    const struct jp_node *y = *(const struct jp_node *const *)b;
    int c = jp_step_cmp(x->parent, x->is_index, x->index, x->key, x->key_len, y);
    if (c)
        return c;
    return x < y ? -1 : x > y;
}

struct mc_jsonpos *mc_jsonpos_build(const char *text, size_t len)
{
    struct mc_jsonpos *jp = mc_xcalloc(1, sizeof *jp);
    struct jp_scan s = {.p = text, .end = text + len, .line = 1, .col = 1};
    int rc = jp_scan_text(jp, &s);
    free(s.stack);
    if (rc < 0) {
        mc_jsonpos_free(jp);
        return NULL;
    }
    jp->sorted = mc_xcalloc(jp->count, sizeof *jp->sorted);
    for (size_t i = 0; i < jp->count; i++) {
        jp->nodes[i].key = jp->arena.data ? jp->arena.data + jp->nodes[i].key_off : "";
        jp->sorted[i] = &jp->nodes[i];
    }
    qsort(jp->sorted, jp->count, sizeof *jp->sorted, jp_node_cmp);
    return jp;
}

/* The child of node `parent` reached by one step, or JP_NONE. */
static size_t jp_child(const struct mc_jsonpos *jp, size_t parent, bool is_index, size_t index,
                       const char *key, size_t key_len)
{
    size_t lo = 0, hi = jp->count; /* the first node not below the step */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (jp_step_cmp(parent, is_index, index, key, key_len, jp->sorted[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < jp->count && jp_step_cmp(parent, is_index, index, key, key_len, jp->sorted[lo]) == 0)
        return (size_t)(jp->sorted[lo] - jp->nodes);
    return JP_NONE;
}

/* Walks `path` ("a.b[2].c") down from the root. Keys that hold '.' or '[' cannot be named. */
static const struct jp_node *jp_lookup(const struct mc_jsonpos *jp, const char *path)
{
    if (!jp || !path || jp->count == 0)
        return NULL;
    size_t node = 0;
    const char *p = path;
    while (*p && node != JP_NONE) {
        if (*p == '[') {
            char *end;
            errno = 0;
            unsigned long long i = strtoull(p + 1, &end, 10);
            if (end == p + 1 || *end != ']' || errno || !isdigit((unsigned char)p[1]))
                return NULL;
            node = jp_child(jp, node, true, (size_t)i, NULL, 0);
            p = end + 1;
            continue;
        }
        if (*p == '.' && p != path)
            p++;
        size_t n = strcspn(p, ".[");
        node = jp_child(jp, node, false, 0, p, n);
        p += n;
    }
    return node == JP_NONE ? NULL : &jp->nodes[node];
}

int mc_jsonpos_find(const struct mc_jsonpos *pos, const char *path, int *line, int *col)
{
    const struct jp_node *e = jp_lookup(pos, path);
    if (!e)
        return -1;
    *line = e->line;
    *col = e->col;
    return 0;
}

int mc_jsonpos_find_key(const struct mc_jsonpos *pos, const char *path, int *line, int *col)
{
    const struct jp_node *e = jp_lookup(pos, path);
    if (!e)
        return -1;
    *line = e->key_line;
    *col = e->key_col;
    return 0;
}

size_t mc_jsonpos_count(const struct mc_jsonpos *pos)
{
    return pos ? pos->count : 0;
}

void mc_jsonpos_free(struct mc_jsonpos *pos)
{
    if (!pos)
        return;
    free(pos->nodes);
    free(pos->sorted);
    mc_buf_free(&pos->arena);
    free(pos);
}
