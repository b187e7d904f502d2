/*
 * scram — SCRAM attribute syntax shared by client and server (see scram.h).
 */
#include "lib/scram.h"

#include <string.h>

bool mc_scram_attr(const char **p, const char *end, char name, const char **val, size_t *val_len)
{
    const char *q = *p;
    if (end - q < 2 || q[0] != name || q[1] != '=')
        return false;
    q += 2;
    const char *comma = memchr(q, ',', (size_t)(end - q));
    const char *stop = comma ? comma : end;
    *val = q;
    *val_len = (size_t)(stop - q);
    *p = comma ? comma + 1 : end;
    return true;
}

bool mc_scram_nonce_valid(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x21 || p[i] > 0x7e || p[i] == ',')
            return false;
    return true;
}
