/*
 * redact — secrets out of transcripts (see redact.h).
 */
#include "engine/redact.h"

#include <stdlib.h>
#include <string.h>

#include "proto/protocol.h"

struct secret {
    char *text;
    size_t len;
    char *mask;
};

struct mc_redactor {
    struct secret *items;
    size_t count;
};

struct mc_redactor *mc_redactor_new(void)
{
    return mc_xcalloc(1, sizeof(struct mc_redactor));
}

void mc_redactor_drop(struct mc_redactor *r, size_t mark)
{
    while (r->count > mark) {
        r->count--;
        free(r->items[r->count].text);
        free(r->items[r->count].mask);
    }
}

void mc_redactor_free(struct mc_redactor *r)
{
    if (!r)
        return;
    mc_redactor_drop(r, 0);
    free(r->items);
    free(r);
}

void mc_redactor_add(struct mc_redactor *r, const char *secret, size_t len, const char *mask)
{
    if (!secret || len < REDACT_SECRET_MIN)
        return;
    r->items = mc_xrealloc(r->items, (r->count + 1) * sizeof *r->items);
    struct secret *s = &r->items[r->count++];
    s->text = mc_xmalloc(len);
    memcpy(s->text, secret, len);
    s->len = len;
    s->mask = mc_xstrdup(mask);
}

size_t mc_redactor_mark(const struct mc_redactor *r)
{
    return r->count;
}

/* The longest secret that starts at data[i], or NULL. */
static const struct secret *secret_at(const struct mc_redactor *r, const char *data, size_t len,
                                      size_t i)
{
    const struct secret *best = NULL;
    for (size_t k = 0; k < r->count; k++) {
        const struct secret *s = &r->items[k];
        if (s->len <= len - i && (!best || s->len > best->len) &&
            memcmp(data + i, s->text, s->len) == 0)
            best = s;
    }
    return best;
}

bool mc_redactor_hits(const struct mc_redactor *r, const char *data, size_t len)
{
    for (size_t i = 0; r && r->count && i < len; i++)
        if (secret_at(r, data, len, i))
            return true;
    return false;
}

void mc_redact(const struct mc_redactor *r, const char *data, size_t len, struct mc_buf *out)
{
    mc_buf_reset(out);
    for (size_t i = 0; i < len;) {
        const struct secret *s = r && r->count ? secret_at(r, data, len, i) : NULL;
        if (s) {
            mc_buf_append_str(out, s->mask);
            i += s->len;
        } else {
            mc_buf_append_char(out, data[i++]);
        }
    }
}

void mc_redactor_add_user(struct mc_redactor *r, const char *user, const char *password,
                          const char *mask)
{
    mc_redactor_add(r, password, strlen(password), mask);
    struct mc_strv as_password = {0}, encoded = {0};
    for (const char *const *name = mc_protocol_names(); *name; name++) {
        const struct mc_protocol *p = mc_protocol_find(*name);
        if (p->secret_forms)
            p->secret_forms(user, password, &as_password, &encoded);
    }
    for (size_t k = 0; k < as_password.count; k++)
        mc_redactor_add(r, as_password.items[k].ptr, as_password.items[k].len, mask);
    for (size_t k = 0; k < encoded.count; k++)
        mc_redactor_add(r, encoded.items[k].ptr, encoded.items[k].len,
                        "[redacted SASL PLAIN response]");
    mc_strv_free(&as_password);
    mc_strv_free(&encoded);
}
