/*
 * vars_func — the functions of ${function:argument} (see vars.h, docs/scenario-format.md).
 *
 * Scenarios that build a protocol exchange by hand need a value written another way than as
 * itself: a SASL response is base64 (RFC 4648 4; RFC 4616 2 for PLAIN's "\0user\0password"),
 * and an IMAP string may go as a literal, "{n}" CRLF then exactly n octets (RFC 3501 4.3,
 * RFC 9051 4.3), whose count a scenario should not have to work out by hand. Each function takes
 * the argument's bytes, ${variables} already substituted, and returns the encoded bytes.
 */
#include <stdio.h>
#include <string.h>

#include "engine/vars.h"
#include "lib/base64.h"

static void func_base64(const char *arg, size_t len, struct mc_buf *out)
{
    mc_base64_encode(arg, len, out);
}

/* An IMAP synchronizing literal: the engine sends "{n}" as the end of a line, waits for the
   server's "+", then sends the octets (run_ops.c). */
static void func_literal(const char *arg, size_t len, struct mc_buf *out)
{
    mc_buf_printf(out, "{%zu}\r\n", len);
    mc_buf_append(out, arg, len);
}

static const struct {
    const char *name;
    void (*apply)(const char *arg, size_t len, struct mc_buf *out);
} funcs[] = {
    {"base64", func_base64},
    {"literal", func_literal},
};

static int func_index(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
        if (strlen(funcs[i].name) == len && memcmp(funcs[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

bool mc_vars_func_known(const char *name, size_t len)
{
    return func_index(name, len) >= 0;
}

void mc_vars_func_apply(const char *name, size_t name_len, const char *arg, size_t len,
                        struct mc_buf *out)
{
    int i = func_index(name, name_len);
    if (i >= 0)
        funcs[i].apply(arg, len, out);
}
