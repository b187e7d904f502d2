/*
 * test_mime — the MIME parser of harness/lib/mime.h: header/body split and multipart
 * delimiters (preamble, epilogue, transport padding, prefix boundaries, missing close
 * delimiters, bare LF), message/rfc822 encapsulation, Content-* fields and defaults, RFC 2231
 * parameters, RFC 2047 encoded-words, charsets, quoted-printable and base64, the nesting and
 * part-count limits against hostile messages, and RFC 5322 address lists with groups.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mime.h"
#include "support_check.h"

/* ---- helpers ---- */

static char *body_of(const char *msg, const struct mime_part *p)
{
    return mc_xstrndup(msg + p->body_off, p->body_len);
}

static char *header_of(const char *msg, const struct mime_part *p)
{
    return mc_xstrndup(msg + p->header_off, p->header_len);
}

#define ck_body(msg, p, want)                                                                      \
    do {                                                                                           \
        char *got_ = body_of(msg, p);                                                              \
        ck_assert_str_eq(got_, want);                                                              \
        free(got_);                                                                                \
    } while (0)

#define ck_header(msg, p, want)                                                                    \
    do {                                                                                           \
        char *got_ = header_of(msg, p);                                                            \
        ck_assert_str_eq(got_, want);                                                              \
        free(got_);                                                                                \
    } while (0)

static void ck_type(const struct mime_part *p, const char *type, const char *subtype)
{
    ck_assert_str_eq(p->type, type);
    ck_assert_str_eq(p->subtype, subtype);
}

static char *words(const char *in)
{
    struct mc_buf out = {0};
    mime_decode_words(in, strlen(in), &out);
    return mc_buf_steal(&out);
}

#define ck_words(in, want)                                                                         \
    do {                                                                                           \
        char *got_ = words(in);                                                                    \
        ck_assert_str_eq(got_, want);                                                              \
        free(got_);                                                                                \
    } while (0)

static char *decode_body(const char *enc, const char *in)
{
    struct mc_buf out = {0};
    mime_decode_body(enc, in, strlen(in), &out);
    mc_buf_append(&out, "", 0);
    return mc_buf_steal(&out);
}

/* ---- messages ---- */

static const char SIMPLE[] = "From: Alice <alice@example.org>\r\n"
                             "To: bob@example.org\r\n"
                             "Subject: hello\r\n"
                             "\r\n"
                             "Hello Bob,\r\n"
                             "how are you?\r\n";

static const char ALTERNATIVE[] = "MIME-Version: 1.0\r\n"
                                  "Content-Type: multipart/alternative; boundary=\"b1\"\r\n"
                                  "\r\n"
                                  "This is the preamble.\r\n"
                                  "--b1\r\n"
                                  "Content-Type: text/plain; charset=utf-8\r\n"
                                  "\r\n"
                                  "plain\r\n"
                                  "--b1 \t\r\n"
                                  "Content-Type: text/html\r\n"
                                  "\r\n"
                                  "<p>html</p>\r\n"
                                  "--b1--  \r\n"
                                  "This is the epilogue.\r\n";

static const char MIXED[] = "From: a@example.org\r\n"
                            "Subject: mixed\r\n"
                            "Content-Type: multipart/mixed; boundary=outer\r\n"
                            "\r\n"
                            "--outer\r\n"
                            "Content-Type: text/plain\r\n"
                            "\r\n"
                            "see attached\r\n"
                            "--outer\r\n"
                            "Content-Type: application/octet-stream; name=\"data.bin\"\r\n"
                            "Content-Transfer-Encoding: BASE64\r\n"
                            "Content-Disposition: ATTACHMENT; filename=\"data.bin\"\r\n"
                            "\r\n"
                            "SGVsbG8s\r\n"
                            "IFdvcmxkIQ==\r\n"
                            "--outer\r\n"
                            "Content-Type: message/rfc822\r\n"
                            "\r\n"
                            "From: inner@example.org\r\n"
                            "Subject: inner\r\n"
                            "Content-Type: multipart/alternative; boundary=inner\r\n"
                            "\r\n"
                            "--inner\r\n"
                            "Content-Type: text/plain\r\n"
                            "\r\n"
                            "inner text\r\n"
                            "--inner\r\n"
                            "Content-Type: text/html\r\n"
                            "\r\n"
                            "<b>inner</b>\r\n"
                            "--inner--\r\n"
                            "--outer--\r\n";

/* ---- structure ---- */

START_TEST(test_single_text_plain)
{
    struct mime_part root;
    mime_parse(SIMPLE, sizeof SIMPLE - 1, &root);
    ck_type(&root, "text", "plain");
    ck_assert_str_eq(mime_param_get(root.params, root.param_count, "CHARSET"), "us-ascii");
    ck_assert_str_eq(root.encoding, "7bit");
    ck_header(SIMPLE, &root,
              "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: hello\r\n\r\n");
    ck_body(SIMPLE, &root, "Hello Bob,\r\nhow are you?\r\n");
    ck_assert_uint_eq(root.body_lines, 2);
    ck_assert_uint_eq(root.child_count, 0);
    ck_assert(!mime_is_multipart(&root) && !mime_is_message(&root));
    ck_assert_ptr_null(root.id);
    ck_assert_ptr_null(root.disposition);
    mime_part_free(&root);
}
END_TEST

START_TEST(test_multipart_alternative)
{
    struct mime_part root;
    mime_parse(ALTERNATIVE, sizeof ALTERNATIVE - 1, &root);
    ck_type(&root, "multipart", "alternative");
    ck_assert(mime_is_multipart(&root));
    ck_assert_str_eq(mime_param_get(root.params, root.param_count, "boundary"), "b1");
    ck_assert_uint_eq(root.child_count, 2);
    ck_type(&root.children[0], "text", "plain");
    ck_assert_str_eq(root.children[0].params[0].value, "utf-8");
    ck_header(ALTERNATIVE, &root.children[0], "Content-Type: text/plain; charset=utf-8\r\n\r\n");
    ck_body(ALTERNATIVE, &root.children[0], "plain"); /* the CRLF belongs to the delimiter */
    ck_assert_uint_eq(root.children[0].body_lines, 1);
    ck_type(&root.children[1], "text", "html");
    ck_assert_uint_eq(root.children[1].param_count, 0);
    ck_body(ALTERNATIVE, &root.children[1], "<p>html</p>"); /* padding after "--b1" */
    mime_part_free(&root);
    ck_assert_ptr_null(root.children);
}
END_TEST

START_TEST(test_multipart_mixed_with_attachment_and_message)
{
    struct mime_part root;
    mime_parse(MIXED, sizeof MIXED - 1, &root);
    ck_type(&root, "multipart", "mixed");
    ck_assert_uint_eq(root.child_count, 3);
    ck_body(MIXED, &root.children[0], "see attached");

    const struct mime_part *att = &root.children[1];
    ck_type(att, "application", "octet-stream");
    ck_assert_str_eq(att->encoding, "base64");
    ck_assert_str_eq(att->disposition, "attachment");
    ck_assert_str_eq(
        mime_param_get(att->disposition_params, att->disposition_param_count, "Filename"),
        "data.bin");
    ck_body(MIXED, att, "SGVsbG8s\r\nIFdvcmxkIQ==");
    struct mc_buf dec = {0};
    mime_decode_body(att->encoding, MIXED + att->body_off, att->body_len, &dec);
    ck_assert_str_eq(dec.data, "Hello, World!");
    mc_buf_free(&dec);

    const struct mime_part *msg = &root.children[2];
    ck_type(msg, "message", "rfc822");
    ck_assert(mime_is_message(msg));
    ck_assert_uint_eq(msg->child_count, 1);
    const struct mime_part *inner = &msg->children[0];
    ck_assert_uint_eq(inner->header_off, msg->body_off);
    ck_assert_uint_eq(inner->header_off + inner->header_len + inner->body_len,
                      msg->body_off + msg->body_len);
    ck_assert_uint_eq(msg->body_lines, 13); /* "--inner--" ends without its CRLF */
    ck_type(inner, "multipart", "alternative");
    ck_assert_uint_eq(inner->child_count, 2);
    ck_body(MIXED, &inner->children[0], "inner text");
    ck_body(MIXED, &inner->children[1], "<b>inner</b>");
    mime_part_free(&root);
}
END_TEST

START_TEST(test_prefix_boundaries)
{
    /* the inner boundary starts with the outer one, and the other way round */
    static const char a[] = "Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
                            "--XX\r\n"
                            "Content-Type: multipart/related; boundary=\"XX-inner\"\r\n\r\n"
                            "--XX-inner\r\n\r\none\r\n"
                            "--XX-inner\r\n\r\ntwo\r\n"
                            "--XX-inner--\r\n"
                            "--XX\r\n\r\nthree\r\n"
                            "--XX--\r\n";
    struct mime_part root;
    mime_parse(a, sizeof a - 1, &root);
    ck_assert_uint_eq(root.child_count, 2);
    ck_assert_uint_eq(root.children[0].child_count, 2);
    ck_body(a, &root.children[0].children[0], "one");
    ck_body(a, &root.children[0].children[1], "two");
    ck_body(a, &root.children[1], "three");
    mime_part_free(&root);

    static const char b[] = "Content-Type: multipart/mixed; boundary=\"XX-outer\"\r\n\r\n"
                            "--XX-outer\r\n"
                            "Content-Type: multipart/related; boundary=\"XX\"\r\n\r\n"
                            "--XX\r\n\r\none\r\n"
                            "--XX--\r\n"
                            "--XX-outer\r\n\r\ntwo\r\n"
                            "--XX-outer--\r\n";
    mime_parse(b, sizeof b - 1, &root);
    ck_assert_uint_eq(root.child_count, 2);
    ck_assert_uint_eq(root.children[0].child_count, 1);
    ck_body(b, &root.children[0].children[0], "one");
    ck_body(b, &root.children[1], "two");
    mime_part_free(&root);
}
END_TEST

START_TEST(test_missing_close_delimiter)
{
    /* the inner multipart never closes: its last part ends at the outer delimiter */
    static const char a[] = "Content-Type: multipart/mixed; boundary=out\r\n\r\n"
                            "--out\r\n"
                            "Content-Type: multipart/alternative; boundary=in\r\n\r\n"
                            "--in\r\n\r\nfirst\r\n"
                            "--in\r\n\r\nsecond\r\n"
                            "--out\r\n\r\nlast\r\n";
    struct mime_part root;
    mime_parse(a, sizeof a - 1, &root);
    ck_assert_uint_eq(root.child_count, 2);
    ck_assert_uint_eq(root.children[0].child_count, 2);
    ck_body(a, &root.children[0].children[1], "second");
    ck_body(a, &root.children[1], "last\r\n"); /* no close: ends at the end of the message */
    mime_part_free(&root);
}
END_TEST

START_TEST(test_bare_lf)
{
    static const char m[] = "Subject: lf\n"
                            "Content-Type: multipart/mixed;\n boundary=lf\n"
                            "\n"
                            "--lf\n"
                            "Content-Type: text/plain\n"
                            "\n"
                            "line one\nline two\n"
                            "--lf\n"
                            "\n"
                            "no header\n"
                            "--lf--\n";
    struct mime_part root;
    mime_parse(m, sizeof m - 1, &root);
    ck_header(m, &root, "Subject: lf\nContent-Type: multipart/mixed;\n boundary=lf\n\n");
    ck_assert_uint_eq(root.child_count, 2);
    ck_body(m, &root.children[0], "line one\nline two");
    ck_assert_uint_eq(root.children[0].body_lines, 2);
    ck_header(m, &root.children[1], "\n");
    ck_body(m, &root.children[1], "no header");
    ck_type(&root.children[1], "text", "plain");
    mime_part_free(&root);
}
END_TEST

START_TEST(test_edge_shapes)
{
    struct mime_part root;
    mime_parse("", 0, &root);
    ck_type(&root, "text", "plain");
    ck_assert_uint_eq(root.header_len + root.body_len + root.body_lines, 0);
    mime_part_free(&root);

    static const char nohdr_end[] = "Subject: x\r\nFrom: y";
    mime_parse(nohdr_end, sizeof nohdr_end - 1, &root);
    ck_assert_uint_eq(root.header_len, sizeof nohdr_end - 1);
    ck_assert_uint_eq(root.body_len, 0);
    mime_part_free(&root);

    static const char no_boundary[] = "Content-Type: multipart/mixed\r\n\r\nbody\r\n";
    mime_parse(no_boundary, sizeof no_boundary - 1, &root);
    ck_type(&root, "text", "plain"); /* cannot have parts: an opaque leaf */
    ck_assert_uint_eq(root.child_count, 0);
    mime_part_free(&root);

    static const char never[] = "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--z\r\nx\r\n";
    mime_parse(never, sizeof never - 1, &root);
    ck_type(&root, "text", "plain");
    mime_part_free(&root);

    static const char empty_parts[] = "Content-Type: multipart/mixed; boundary=e\r\n\r\n"
                                      "--e\r\n--e\r\nContent-Type: text/html\r\n--e--";
    mime_parse(empty_parts, sizeof empty_parts - 1, &root);
    ck_assert_uint_eq(root.child_count, 2);
    ck_assert_uint_eq(root.children[0].header_len + root.children[0].body_len, 0);
    ck_type(&root.children[1], "text", "html"); /* all header, no body */
    ck_assert_uint_eq(root.children[1].body_len, 0);
    mime_part_free(&root);
}
END_TEST

START_TEST(test_content_fields_and_defaults)
{
    static const char m[] = "Content-Type: multipart/digest; boundary=d\r\n\r\n"
                            "--d\r\n\r\nSubject: digest 1\r\n\r\nfirst\r\n"
                            "--d\r\n"
                            "Content-Type: TEXT/Plain (comment) ; Charset = \"ISO-8859-1\" ;\r\n"
                            "Content-ID: <id@example.org>  \r\n"
                            "Content-Description: a\r\n  folded description\r\n"
                            "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
                            "Content-Disposition: inline\r\n"
                            "Content-Language: en, de\r\n"
                            "Content-Location: http://example.org/x\r\n"
                            "Content-Transfer-Encoding: Quoted-Printable\r\n"
                            "Content-Type: text/html\r\n"
                            "\r\ncaf=E9\r\n"
                            "--d\r\nContent-Type: garbage\r\n\r\nx\r\n"
                            "--d--\r\n";
    struct mime_part root;
    mime_parse(m, sizeof m - 1, &root);
    ck_assert_uint_eq(root.child_count, 3);
    const struct mime_part *dig = &root.children[0];
    ck_type(dig, "message", "rfc822"); /* RFC 2046 5.1.5 */
    ck_assert_uint_eq(dig->child_count, 1);
    ck_body(m, &dig->children[0], "first");

    const struct mime_part *p = &root.children[1];
    ck_type(p, "text", "plain"); /* the first Content-Type wins */
    ck_assert_uint_eq(p->param_count, 1);
    ck_assert_str_eq(p->params[0].name, "charset");
    ck_assert_str_eq(p->params[0].value, "ISO-8859-1");
    ck_assert_str_eq(p->id, "<id@example.org>");
    ck_assert_str_eq(p->description, "a  folded description");
    ck_assert_str_eq(p->md5, "Q2hlY2sgSW50ZWdyaXR5IQ==");
    ck_assert_str_eq(p->disposition, "inline");
    ck_assert_uint_eq(p->disposition_param_count, 0);
    ck_assert_str_eq(p->language, "en, de");
    ck_assert_str_eq(p->location, "http://example.org/x");
    ck_assert_str_eq(p->encoding, "quoted-printable");

    ck_type(&root.children[2], "text", "plain"); /* RFC 2045 5.2: invalid means the default */
    ck_assert_str_eq(root.children[2].params[0].value, "us-ascii");
    mime_part_free(&root);
}
END_TEST

START_TEST(test_rfc2231_parameters)
{
    static const char m[] = "Content-Type: application/x-stuff;\r\n"
                            " title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
                            " title*2=\"isn't it!\";\r\n"
                            " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n"
                            " name=\"plain.txt\"; name*=UTF-8''%E2%82%AC.txt;\r\n"
                            " other=unquoted value ; dup=first; dup=second\r\n"
                            "Content-Disposition: attachment;\r\n"
                            " filename*=iso-8859-1'de'Gr%F6%DFe.txt\r\n"
                            "\r\n";
    struct mime_part root;
    mime_parse(m, sizeof m - 1, &root);
    ck_assert_str_eq(mime_param_get(root.params, root.param_count, "title"),
                     "This is even more ***fun*** isn't it!");
    ck_assert_str_eq(mime_param_get(root.params, root.param_count, "name"), "\xE2\x82\xAC.txt");
    ck_assert_str_eq(mime_param_get(root.params, root.param_count, "other"), "unquoted value");
    ck_assert_str_eq(mime_param_get(root.params, root.param_count, "dup"), "first");
    ck_assert_uint_eq(root.param_count, 4);
    ck_assert_str_eq(root.params[0].name, "title"); /* order of first appearance */
    ck_assert_str_eq(root.params[1].name, "name");
    ck_assert_str_eq(
        mime_param_get(root.disposition_params, root.disposition_param_count, "filename"),
        "Gr\xC3\xB6\xC3\x9F"
        "e.txt");
    ck_assert_ptr_null(mime_param_get(root.params, root.param_count, "filename"));
    mime_part_free(&root);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_nested_multipart_bomb)
{
    struct mc_buf m = {0};
    enum { LEVELS = 100 };
    for (int i = 0; i < LEVELS; i++)
        mc_buf_printf(&m, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i);
    mc_buf_append_str(&m, "Content-Type: text/plain\r\n\r\ndeep\r\n");
    for (int i = LEVELS - 1; i >= 0; i--)
        mc_buf_printf(&m, "--b%d--\r\n", i);
    struct mime_part root;
    mime_parse(m.data, m.len, &root);
    const struct mime_part *p = &root;
    size_t depth = 0;
    while (p->child_count > 0) {
        ck_assert(mime_is_multipart(p));
        ck_assert_uint_eq(p->child_count, 1);
        p = &p->children[0];
        depth++;
    }
    ck_assert_uint_eq(depth, MIME_DEPTH_MAX);
    ck_type(p, "text", "plain"); /* the rest is opaque text */
    mime_part_free(&root);
    mc_buf_free(&m);

    /* message/rfc822 inside message/rfc822, 100 times */
    for (int i = 0; i < LEVELS; i++)
        mc_buf_append_str(&m, "Content-Type: message/rfc822\r\n\r\n");
    mime_parse(m.data, m.len, &root);
    for (p = &root, depth = 0; p->child_count > 0; p = &p->children[0])
        depth++;
    ck_assert_uint_eq(depth, MIME_DEPTH_MAX);
    mime_part_free(&root);
    mc_buf_free(&m);
}
END_TEST

START_TEST(test_parts_limit)
{
    struct mc_buf m = {0};
    mc_buf_append_str(&m, "Content-Type: multipart/mixed; boundary=p\r\n\r\n");
    for (int i = 0; i < MIME_PARTS_MAX + 500; i++)
        mc_buf_append_str(&m, "--p\r\n\r\nx\r\n");
    mc_buf_append_str(&m, "--p--\r\n");
    struct mime_part root;
    mime_parse(m.data, m.len, &root);
    ck_assert_uint_eq(root.child_count, MIME_PARTS_MAX - 1); /* the root is a part too */
    mime_part_free(&root);
    mc_buf_free(&m);
}
END_TEST

START_TEST(test_garbage_never_crashes)
{
    /* deterministic pseudo-random messages made of MIME-ish pieces */
    static const char *const pieces[] = {
        "--a\r\n",
        "--a--\r\n",
        "\r\n",
        "\n",
        "Content-Type: multipart/mixed; boundary=a\r\n",
        "Content-Type: message/rfc822\r\n",
        "=?utf-8?b?",
        "?=",
        "x: y\r\n",
        " folded\r\n",
        "--",
        "\"",
        "(",
        ";",
    };
    unsigned seed = 12345;
    for (int round = 0; round < 300; round++) {
        struct mc_buf m = {0};
        for (int k = 0; k < 60; k++) {
            seed = seed * 1103515245u + 12345u;
            mc_buf_append_str(&m, pieces[(seed >> 16) % (sizeof pieces / sizeof *pieces)]);
        }
        struct mime_part root;
        mime_parse(m.data, m.len, &root);
        ck_assert_ptr_nonnull(root.type);
        struct mc_buf out = {0};
        mime_decode_words(m.data, m.len, &out);
        mime_decode_body("base64", m.data, m.len, &out);
        mime_decode_body("quoted-printable", m.data, m.len, &out);
        mc_buf_free(&out);
        mime_part_free(&root);
        mc_buf_free(&m);
    }
}
END_TEST

START_TEST(test_hostile_inputs_stay_linear)
{
    /* half-open encoded-words, unclosed comments and quotes, a huge parameter list: each must
       take about as long as reading it (the test's timeout would catch a quadratic case) */
    enum { N = 400000 };
    struct mc_buf m = {0}, out = {0};
    while (m.len < N)
        mc_buf_append_str(&m, "=?a?q?");
    mime_decode_words(m.data, m.len, &out);
    ck_assert_uint_eq(out.len, m.len);
    mc_buf_reset(&m);
    mc_buf_append_str(&m, "Content-Type: text/plain");
    while (m.len < N)
        mc_buf_append_str(&m, "; p*0*=%41");
    mc_buf_append_str(&m, "\r\nTo: ");
    while (m.len < 2 * N)
        mc_buf_append_str(&m, "a@b, (\"<");
    mc_buf_append_str(&m, "\r\n\r\n");
    struct mime_part root;
    mime_parse(m.data, m.len, &root);
    ck_assert_str_eq(root.params[0].value, "A");
    struct mime_address_list l;
    mc_buf_reset(&out);
    ck_assert(mime_header_get(m.data, m.len, "to", &out));
    mime_address_parse(out.data, out.len, &l);
    ck_assert_uint_ge(l.count, 1);
    mime_address_list_free(&l);
    mime_part_free(&root);
    mc_buf_free(&m);
    mc_buf_free(&out);
}
END_TEST

/* ---- header fields ---- */

static bool collect(void *ctx, const char *name, size_t name_len, const char *value,
                    size_t value_len)
{
    mc_buf_printf(ctx, "[%.*s=%.*s]", (int)name_len, name, (int)value_len, value);
    return true;
}

START_TEST(test_header_fields)
{
    static const char h[] = "From nobody Mon Jan  1 00:00:00 2024\r\n"
                            "Subject: a\r\n\tfolded\r\n  subject  \r\n"
                            " stray continuation\r\n"
                            "no colon here\r\n"
                            "X-Obsolete : value\r\n"
                            "to:x@y\n"
                            "Empty:\r\n"
                            "\r\n"
                            "Body: not a field\r\n";
    struct mc_buf got = {0};
    mime_header_foreach(h, sizeof h - 1, collect, &got);
    ck_assert_str_eq(got.data, "[Subject=a\tfolded  subject   stray continuation]"
                               "[X-Obsolete=value][to=x@y][Empty=]");
    struct mc_buf v = {0};
    ck_assert(mime_header_get(h, sizeof h - 1, "TO", &v));
    ck_assert_str_eq(v.data, "x@y");
    ck_assert(mime_header_get(h, sizeof h - 1, "empty", &v));
    ck_assert_str_eq(v.data, "");
    ck_assert(!mime_header_get(h, sizeof h - 1, "Body", &v));
    ck_assert(!mime_header_get(h, sizeof h - 1, "Subj", &v));

    struct mc_strv names = {0};
    mc_strv_push_str(&names, "subject");
    mc_strv_push_str(&names, "TO");
    mc_buf_reset(&got);
    mime_header_select(h, sizeof h - 1, &names, false, &got);
    ck_assert_str_eq(got.data, "Subject: a\r\n\tfolded\r\n  subject  \r\n stray continuation\r\n"
                               "to:x@y\n");
    mc_buf_reset(&got);
    mime_header_select(h, sizeof h - 1, &names, true, &got);
    ck_assert_str_eq(got.data, "X-Obsolete : value\r\nEmpty:\r\n");
    mc_strv_free(&names);
    mc_buf_free(&got);
    mc_buf_free(&v);
}
END_TEST

/* ---- decoding ---- */

START_TEST(test_encoded_words)
{
    /* RFC 2047 8 */
    ck_words("(=?ISO-8859-1?Q?a?=)", "(a)");
    ck_words("(=?ISO-8859-1?Q?a?= b)", "(a b)");
    ck_words("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)");
    ck_words("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)");
    ck_words("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)");
    ck_words("(=?ISO-8859-1?Q?a_b?=)", "(a b)");
    ck_words("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)");
    ck_words("=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\xC3\xA9 Pirard");
    ck_words("=?UTF-8?B?w6lsw6h2ZQ==?=", "\xC3\xA9l\xC3\xA8ve");
    ck_words("=?utf-8?b?SGVsbG8=?= =?utf-8?q?_World?=", "Hello World");
    ck_words("=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore"); /* RFC 2231 5 */
    /* one character split over two words */
    ck_words("=?UTF-8?Q?=C3?= =?UTF-8?Q?=A9t=C3=A9?=", "\xC3\xA9t\xC3\xA9");
    /* left as they are */
    ck_words("=?x-unknown?Q?abc?= =?x-unknown?Q?d?=", "=?x-unknown?Q?abc?= =?x-unknown?Q?d?=");
    ck_words("=?utf-8?X?abc?=", "=?utf-8?X?abc?=");
    ck_words("=?utf-8?q?abc", "=?utf-8?q?abc");
    ck_words("=?utf-8?q?a b?=", "=?utf-8?q?a b?=");
    ck_words("a =?utf-8?q?b?= c", "a b c");
    ck_words("", "");
    ck_words("=?utf-8?q?"
             "?=",
             ""); /* an empty word (no trigraph) */
}
END_TEST

START_TEST(test_charsets)
{
    struct mc_buf out = {0};
    ck_assert(mime_charset_to_utf8("ISO-8859-1", "\xE9t\xE9", 3, &out));
    ck_assert_str_eq(out.data, "\xC3\xA9t\xC3\xA9");
    mc_buf_reset(&out);
    ck_assert(mime_charset_to_utf8("windows-1252", "\x80", 1, &out));
    ck_assert_str_eq(out.data, "\xE2\x82\xAC");
    mc_buf_reset(&out);
    ck_assert(mime_charset_to_utf8(NULL, "\xFF", 1, &out));
    ck_assert_str_eq(out.data, "\xFF");
    mc_buf_reset(&out);
    ck_assert(!mime_charset_to_utf8("x-no-such-charset", "abc", 3, &out));
    ck_assert_str_eq(out.data, "abc");
    mc_buf_reset(&out);
    ck_assert(!mime_charset_to_utf8("UTF-8//TRANSLIT", "abc", 3, &out));
    mc_buf_reset(&out);
    /* an incomplete sequence at the end and an invalid one become U+FFFD */
    ck_assert(mime_charset_to_utf8("UTF-16LE", "a\0b", 3, &out));
    ck_assert_str_eq(out.data, "a\xEF\xBF\xBD");
    mc_buf_reset(&out);
    ck_assert(mime_charset_to_utf8("SHIFT_JIS", "a\xFFz", 3, &out));
    ck_assert_str_eq(out.data, "a\xEF\xBF\xBDz");
    mc_buf_free(&out);
}
END_TEST

START_TEST(test_transfer_encodings)
{
    char *s = decode_body("quoted-printable", "caf=C3=A9 =\r\nsoft\r\ntrailing  \t\r\n"
                                              "=zz =3d =\nend=3");
    ck_assert_str_eq(s, "caf\xC3\xA9 soft\r\ntrailing\r\n=zz = end=3");
    free(s);
    s = decode_body("QUOTED-PRINTABLE", "a=\r\n");
    ck_assert_str_eq(s, "a");
    free(s);
    s = decode_body("base64", "SGVs\r\nbG8s*!\n  IHdv\ncmxk");
    ck_assert_str_eq(s, "Hello, world");
    free(s);
    s = decode_body("Base64", "SGk=SGk=");
    ck_assert_str_eq(s, "HiHi");
    free(s);
    s = decode_body("7bit", "as =3D is");
    ck_assert_str_eq(s, "as =3D is");
    free(s);
    s = decode_body(NULL, "");
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

/* ---- addresses ---- */

static struct mime_address_list addresses(const char *v)
{
    struct mime_address_list l;
    mime_address_parse(v, strlen(v), &l);
    return l;
}

/* The list as "name|route|mailbox|host" items joined by " ; ", "-" for NULL. */
static char *addr_str(const char *v)
{
    struct mime_address_list l = addresses(v);
    struct mc_buf b = {0};
    for (size_t i = 0; i < l.count; i++) {
        const struct mime_address *a = &l.items[i];
        mc_buf_printf(&b, "%s%s|%s|%s|%s", i ? " ; " : "", a->name ? a->name : "-",
                      a->route ? a->route : "-", a->mailbox ? a->mailbox : "-",
                      a->host ? a->host : "-");
    }
    mime_address_list_free(&l);
    mc_buf_append(&b, "", 0);
    return mc_buf_steal(&b);
}

#define ck_addrs(v, want)                                                                          \
    do {                                                                                           \
        char *got_ = addr_str(v);                                                                  \
        ck_assert_str_eq(got_, want);                                                              \
        free(got_);                                                                                \
    } while (0)

START_TEST(test_addresses)
{
    /* RFC 5322 A.1 */
    ck_addrs("\"Joe Q. Public\" <john.q.public@example.com>",
             "Joe Q. Public|-|john.q.public|example.com");
    ck_addrs("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
             "Mary Smith|-|mary|x.test ; -|-|jdoe|example.org ; Who?|-|one|y.test");
    ck_addrs("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
             "-|-|boss|nil.test ; Giant; \"Big\" Box|-|sysservices|example.net");
    ck_addrs("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
             "-|-|A Group|- ; Ed Jones|-|c|a.test ; -|-|joe|where.test ; John|-|jdoe|one.test ; "
             "-|-|-|-");
    ck_addrs("Undisclosed recipients:;", "-|-|Undisclosed recipients|- ; -|-|-|-");
    ck_addrs("a@b.test, Team: x@y.test; , c@d.test",
             "-|-|a|b.test ; -|-|Team|- ; -|-|x|y.test ; -|-|-|- ; -|-|c|d.test");
    /* RFC 5322 A.5: comments and white space */
    ck_addrs("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
             "Pete|-|pete|silly.test");
    ck_addrs("joe@example.org (Joe Bloggs)", "Joe Bloggs|-|joe|example.org");
    ck_addrs("John Doe <jdoe@machine(comment).  example>", "John Doe|-|jdoe|machine.example");
    /* obsolete route, quoted local part, domain literal */
    ck_addrs("<@route1.test,@route2.test:user@host.test>",
             "-|@route1.test,@route2.test|user|host.test");
    ck_addrs("\"john doe\"@example.org", "-|-|\"john doe\"|example.org");
    ck_addrs("x@[192.0.2.1]", "-|-|x|[192.0.2.1]");
    /* RFC 2047 words stay encoded */
    ck_addrs("=?utf-8?q?J=C3=B6rg?= <j@x.test>", "=?utf-8?q?J=C3=B6rg?=|-|j|x.test");
    /* lenient, as Dovecot 2.3 answers */
    ck_addrs("a@b.test,,c@d.test", "-|-|a|b.test ; -|-|c|d.test");
    ck_addrs("foo", "-|-|foo|MISSING_DOMAIN");
    ck_addrs("a b c", "a b c|-|MISSING_MAILBOX|MISSING_DOMAIN");
    ck_addrs("a@", "-|-|a|MISSING_DOMAIN");
    ck_addrs("@b", "-|-|MISSING_MAILBOX|b");
    ck_addrs("Name <local>", "Name|-|local|MISSING_DOMAIN");
    ck_addrs("<>", "-|-|MISSING_MAILBOX|MISSING_DOMAIN");
    ck_addrs("\"\" <e@f>", "-|-|e|f");
    ck_addrs("(no one) b@x.test", "-|-|b|x.test"); /* only a comment after the address */
    ck_addrs("x@y (first) (second)", "second|-|x|y");
    ck_addrs("a@b c@d", "-|-|a|b");
    ck_addrs("> , ok@x.test", "-|-|MISSING_MAILBOX|MISSING_DOMAIN ; -|-|ok|x.test");
    ck_addrs("\"unterminated <a@b.test>", "-|-|MISSING_MAILBOX|MISSING_DOMAIN");
    ck_addrs("\"a\\\"", "-|-|MISSING_MAILBOX|MISSING_DOMAIN");
    ck_addrs("", "");
    ck_addrs("   ", "");
}
END_TEST

static Suite *mime_suite(void)
{
    Suite *s = suite_create("mime");
    TCase *tc = tcase_create("structure");
    tcase_add_test(tc, test_single_text_plain);
    tcase_add_test(tc, test_multipart_alternative);
    tcase_add_test(tc, test_multipart_mixed_with_attachment_and_message);
    tcase_add_test(tc, test_prefix_boundaries);
    tcase_add_test(tc, test_missing_close_delimiter);
    tcase_add_test(tc, test_bare_lf);
    tcase_add_test(tc, test_edge_shapes);
    tcase_add_test(tc, test_content_fields_and_defaults);
    tcase_add_test(tc, test_rfc2231_parameters);
    tcase_add_test(tc, test_nested_multipart_bomb);
    tcase_add_test(tc, test_parts_limit);
    tcase_add_test(tc, test_garbage_never_crashes);
    tcase_add_test(tc, test_hostile_inputs_stay_linear);
    suite_add_tcase(s, tc);
    TCase *hd = tcase_create("fields");
    tcase_add_test(hd, test_header_fields);
    tcase_add_test(hd, test_encoded_words);
    tcase_add_test(hd, test_charsets);
    tcase_add_test(hd, test_transfer_encodings);
    tcase_add_test(hd, test_addresses);
    suite_add_tcase(s, hd);
    return s;
}

int main(void)
{
    return mc_check_run(mime_suite());
}
