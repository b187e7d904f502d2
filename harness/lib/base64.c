/*
 * base64 — RFC 4648 section 4 encoding and strict decoding (see base64.h), on OpenSSL's block
 * functions.
 *
 * OpenSSL's EVP_DecodeBlock is not strict by itself: it trims whitespace and decodes "=" anywhere
 * as zero bits, and it counts the padding as decoded zero bytes. So the text is checked first
 * (length, alphabet, padding only at the end) and the padding subtracted afterwards. Both
 * directions work in slices, because OpenSSL takes int lengths.
 */
#include "lib/base64.h"

#include <limits.h>
#include <stdbool.h>

#include <openssl/evp.h>

/* The slices are multiples of 3 bytes (encode) and 4 characters (decode), so no padding can
   appear in the middle of the stream (RFC 4648 section 4), and small enough for OpenSSL's int
   lengths. */
#define B64_ENCODE_SLICE (3 * 1024)
#define B64_DECODE_SLICE (4 * 1024)

void mc_base64_encode(const void *data, size_t len, struct mc_buf *out)
{
    const unsigned char *p = data;
    unsigned char text[B64_ENCODE_SLICE / 3 * 4 + 1];
    while (len > 0) {
        size_t n = len < B64_ENCODE_SLICE ? len : B64_ENCODE_SLICE;
        int written = EVP_EncodeBlock(text, p, (int)n);
        mc_buf_append(out, text, (size_t)written);
        p += n;
        len -= n;
    }
}

/* The 64 characters of RFC 4648 Table 1. */
static bool b64_alphabet(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* Length, alphabet and padding: "=" only as the last one or two characters. */
static bool b64_valid(const char *text, size_t len, size_t *padding)
{
    if (len % 4 != 0)
        return false;
    size_t pad = 0;
    if (len > 0 && text[len - 1] == '=')
        pad = (len > 1 && text[len - 2] == '=') ? 2 : 1;
    for (size_t i = 0; i < len - pad; i++)
        if (!b64_alphabet(text[i]))
            return false;
    *padding = pad;
    return true;
}

int mc_base64_decode(const char *text, size_t len, struct mc_buf *out)
{
    size_t padding = 0;
    if (!b64_valid(text, len, &padding) || len / 4 * 3 > INT_MAX)
        return -1;
    size_t start = out->len;
    unsigned char bytes[B64_DECODE_SLICE / 4 * 3];
    for (size_t off = 0; off < len; off += B64_DECODE_SLICE) {
        size_t n = len - off < B64_DECODE_SLICE ? len - off : B64_DECODE_SLICE;
        int got = EVP_DecodeBlock(bytes, (const unsigned char *)text + off, (int)n);
        if (got < 0) {
            out->len = start;
            if (out->data)
                out->data[start] = '\0';
            return -1;
        }
        /* Only the last slice has padding. */
        size_t keep = (size_t)got - (off + n == len ? padding : 0);
        mc_buf_append(out, bytes, keep);
    }
    return (int)(out->len - start);
}
