/*
 * test_imap_body — what the reference IMAP server says about message content: BODY[section]
 * syntax, response names and the octets each section names (RFC 3501 6.4.5), partial ranges,
 * and whole ENVELOPE, BODY and BODYSTRUCTURE strings compared with RFC 3501's examples and with
 * what Dovecot answers for the same messages.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "reference/imap_body.h"
#include "support_check.h"

static const char SIMPLE[] = "From: Alice <alice@example.org>\r\n"
                             "To: bob@example.org\r\n"
                             "Subject: hello\r\n"
                             "\r\n"
                             "Hello Bob,\r\n"
                             "how are you?\r\n";

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
                            "Content-Transfer-Encoding: base64\r\n"
                            "Content-Disposition: attachment; filename=\"data.bin\"\r\n"
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

/* ---- helpers ---- */

/* Parses spec; on success returns the name written back, else NULL (and checks that nothing
   was consumed and an error was recorded). */
static char *parse_name(const char *spec, struct imap_section *sec)
{
    struct imap_parser ps;
    imap_parser_init(&ps, spec, strlen(spec));
    if (!imap_section_parse(&ps, sec)) {
        ck_assert_ptr_eq(ps.p, spec);
        ck_assert_ptr_nonnull(ps.error);
        return NULL;
    }
    ck_assert(imap_parse_at_end(&ps));
    struct mc_buf name = {0};
    imap_section_write_name(&name, sec);
    return mc_buf_steal(&name);
}

#define ck_section_name(spec, want)                                                                \
    do {                                                                                           \
        struct imap_section sec_;                                                                  \
        char *got_ = parse_name(spec, &sec_);                                                      \
        ck_assert_ptr_nonnull(got_);                                                               \
        ck_assert_str_eq(got_, want);                                                              \
        free(got_);                                                                                \
        imap_section_free(&sec_);                                                                  \
    } while (0)

#define ck_section_bad(spec)                                                                       \
    do {                                                                                           \
        struct imap_section sec_;                                                                  \
        ck_assert_ptr_null(parse_name(spec, &sec_));                                               \
    } while (0)

/* The octets BODY<spec> names in msg. */
static char *extract(const char *msg, const char *spec)
{
    struct imap_section sec;
    struct imap_parser ps;
    imap_parser_init(&ps, spec, strlen(spec));
    ck_assert_msg(imap_section_parse(&ps, &sec), "cannot parse %s", spec);
    struct mime_part root;
    size_t len = strlen(msg);
    mime_parse(msg, len, &root);
    struct mc_buf out = {0};
    imap_section_extract(msg, len, &root, &sec, &out);
    mc_buf_append(&out, "", 0);
    mime_part_free(&root);
    imap_section_free(&sec);
    return mc_buf_steal(&out);
}

#define ck_extract(msg, spec, want)                                                                \
    do {                                                                                           \
        char *got_ = extract(msg, spec);                                                           \
        ck_assert_str_eq(got_, want);                                                              \
        free(got_);                                                                                \
    } while (0)

static char *structure(const char *msg, bool extensible, bool utf8_ok)
{
    struct mime_part root;
    mime_parse(msg, strlen(msg), &root);
    struct mc_buf out = {0};
    imap_write_bodystructure(&out, msg, &root, extensible, utf8_ok);
    mime_part_free(&root);
    return mc_buf_steal(&out);
}

#define ck_structure(msg, ext, utf8, want)                                                         \
    do {                                                                                           \
        char *got_ = structure(msg, ext, utf8);                                                    \
        ck_assert_str_eq(got_, want);                                                              \
        free(got_);                                                                                \
    } while (0)

static char *envelope(const char *msg, bool utf8_ok)
{
    struct mime_part root;
    mime_parse(msg, strlen(msg), &root);
    struct mc_buf out = {0};
    imap_write_envelope(&out, msg + root.header_off, root.header_len, utf8_ok);
    mime_part_free(&root);
    return mc_buf_steal(&out);
}

#define ck_envelope(msg, utf8, want)                                                               \
    do {                                                                                           \
        char *got_ = envelope(msg, utf8);                                                          \
        ck_assert_str_eq(got_, want);                                                              \
        free(got_);                                                                                \
    } while (0)

/* ---- sections ---- */

START_TEST(test_section_syntax)
{
    ck_section_name("[]", "[]");
    ck_section_name("[header]", "[HEADER]");
    ck_section_name("[TEXT]<5.10>", "[TEXT]<5>");
    ck_section_name("[1.2.3]", "[1.2.3]");
    ck_section_name("[1.2.MIME]<0.100>", "[1.2.MIME]<0>");
    ck_section_name("[4.TEXT]", "[4.TEXT]");
    ck_section_name("[HEADER.FIELDS (Subject FROM)]", "[HEADER.FIELDS (Subject FROM)]");
    ck_section_name("[1.header.fields.not (\"X-A\" {3}\r\nX-B)]<0.0>",
                    "[1.HEADER.FIELDS.NOT (X-A X-B)]<0>");

    struct imap_section sec;
    char *name = parse_name("[3.1.HEADER.FIELDS (A B)]<7.9>", &sec);
    ck_assert_uint_eq(sec.depth, 2);
    ck_assert_uint_eq(sec.part[0], 3);
    ck_assert_uint_eq(sec.part[1], 1);
    ck_assert_int_eq(sec.text, IMAP_SECTION_HEADER_FIELDS);
    ck_assert_uint_eq(sec.fields.count, 2);
    ck_assert(sec.partial);
    ck_assert_uint_eq(sec.origin, 7);
    ck_assert_uint_eq(sec.count, 9);
    free(name);
    imap_section_free(&sec);

    ck_section_bad("[MIME]"); /* MIME needs a part number */
    ck_section_bad("[0]");
    ck_section_bad("[1.0]");
    ck_section_bad("[1.]");
    ck_section_bad("[1.FOO]");
    ck_section_bad("[HEADERS]");
    ck_section_bad("[HEADER.FIELDS]");
    ck_section_bad("[HEADER.FIELDS ()]");
    ck_section_bad("[HEADER.FIELDS (A]");
    ck_section_bad("[TEXT");
    ck_section_bad("[TEXT]<1>");
    ck_section_bad("[TEXT]<1.>");
    ck_section_bad("1]");
    struct mc_buf deep = {0};
    mc_buf_append_char(&deep, '[');
    for (int i = 0; i <= IMAP_SECTION_DEPTH_MAX; i++)
        mc_buf_append_str(&deep, i ? ".1" : "1");
    mc_buf_append_char(&deep, ']');
    ck_section_bad(deep.data);
    mc_buf_free(&deep);
}
END_TEST

START_TEST(test_extract_single_part)
{
    ck_extract(SIMPLE, "[]", SIMPLE);
    ck_extract(SIMPLE, "[HEADER]",
               "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: hello\r\n\r\n");
    ck_extract(SIMPLE, "[TEXT]", "Hello Bob,\r\nhow are you?\r\n");
    ck_extract(SIMPLE, "[1]", "Hello Bob,\r\nhow are you?\r\n"); /* part 1 of a single part */
    ck_extract(SIMPLE, "[2]", "");
    ck_extract(SIMPLE, "[1.1]", ""); /* a single part has only a part 1 */
    ck_extract(SIMPLE, "[1.HEADER]", "");
    ck_extract(SIMPLE, "[1.MIME]",
               "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: hello\r\n\r\n");
    ck_extract(SIMPLE, "[HEADER.FIELDS (subject TO)]",
               "To: bob@example.org\r\nSubject: hello\r\n\r\n");
    ck_extract(SIMPLE, "[HEADER.FIELDS.NOT (subject TO)]",
               "From: Alice <alice@example.org>\r\n\r\n");
    ck_extract(SIMPLE, "[HEADER.FIELDS (X-None)]", "\r\n");
    ck_extract(SIMPLE, "[TEXT]<6.3>", "Bob");
    ck_extract(SIMPLE, "[TEXT]<20.100>", "you?\r\n");
    ck_extract(SIMPLE, "[TEXT]<26.5>", "");
    ck_extract(SIMPLE, "[TEXT]<1000.5>", "");
    ck_extract(SIMPLE, "[]<0.0>", "");
    /* a header without the blank line: none is added */
    ck_extract("Subject: x\r\nTo: y", "[HEADER.FIELDS (Subject)]", "Subject: x\r\n");
    ck_extract("Subject: x\nTo: y\n\nbody\n", "[HEADER.FIELDS (To)]", "To: y\n\n");
}
END_TEST

START_TEST(test_extract_nested)
{
    ck_extract(MIXED, "[1]", "see attached");
    ck_extract(MIXED, "[1.MIME]", "Content-Type: text/plain\r\n\r\n");
    ck_extract(MIXED, "[2]", "SGVsbG8s\r\nIFdvcmxkIQ==");
    ck_extract(MIXED, "[2.MIME]<0.24>", "Content-Type: applicatio");
    ck_extract(MIXED, "[3.HEADER]",
               "From: inner@example.org\r\nSubject: inner\r\n"
               "Content-Type: multipart/alternative; boundary=inner\r\n\r\n");
    ck_extract(MIXED, "[3.HEADER.FIELDS (SUBJECT)]", "Subject: inner\r\n\r\n");
    ck_extract(MIXED, "[3.MIME]", "Content-Type: message/rfc822\r\n\r\n");
    ck_extract(MIXED, "[3.1]", "inner text");
    ck_extract(MIXED, "[3.2]", "<b>inner</b>");
    ck_extract(MIXED, "[3.2.MIME]", "Content-Type: text/html\r\n\r\n");
    ck_extract(MIXED, "[3.3]", "");
    ck_extract(MIXED, "[4]", "");
    ck_extract(MIXED, "[4.MIME]", "");
    ck_extract(MIXED, "[1.1]", "see attached"); /* "1" of a leaf is the leaf (as Dovecot) */
    ck_extract(MIXED, "[1.1.1]", "");
    ck_extract(MIXED, "[1.HEADER]", ""); /* HEADER and TEXT: messages only (as Dovecot) */
    ck_extract(MIXED, "[2.TEXT]", "");
    ck_extract(MIXED, "[3.1.MIME]", "Content-Type: text/plain\r\n\r\n");
    /* a message that is itself message/rfc822 */
    static const char fwd[] = "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhello\r\n";
    ck_extract(fwd, "[HEADER]", "Content-Type: message/rfc822\r\n\r\n");
    ck_extract(fwd, "[1]", "Subject: inner\r\n\r\nhello\r\n");
    ck_extract(fwd, "[1.HEADER]", "Subject: inner\r\n\r\n");
    ck_extract(fwd, "[1.TEXT]", "hello\r\n");
    ck_extract(fwd, "[1.1]", "hello\r\n");
    ck_extract(fwd, "[1.1.1]", "");
    char *whole = extract(MIXED, "[3]");
    ck_assert(strncmp(whole, "From: inner@example.org\r\n", 25) == 0);
    ck_assert(strcmp(whole + strlen(whole) - 9, "--inner--") == 0);
    char *text = extract(MIXED, "[3.TEXT]");
    ck_assert(strncmp(text, "--inner\r\n", 9) == 0);
    ck_assert(strstr(whole, text) != NULL);
    free(whole);
    free(text);
}
END_TEST

/* ---- ENVELOPE ---- */

START_TEST(test_envelope_rfc3501_example)
{
    static const char m[] = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
                            "From: Terry Gray <gray@cac.washington.edu>\r\n"
                            "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
                            "To: imap@cac.washington.edu\r\n"
                            "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
                            "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
                            "MIME-Version: 1.0\r\n"
                            "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
                            "\r\n"
                            "body\r\n";
    /* RFC 3501 8, the FETCH example */
    ck_envelope(m, false,
                "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
                "\"IMAP4rev1 WG mtg summary and minutes\" "
                "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
                "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
                "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
                "((NIL NIL \"imap\" \"cac.washington.edu\")) "
                "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
                "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
                "\"<B27397-0100000@cac.washington.edu>\")");
}
END_TEST

START_TEST(test_envelope_groups_and_edges)
{
    static const char m[] = "Subject: =?ISO-8859-1?Q?Andr=E9?=\r\n"
                            "  folded\r\n"
                            "From: \"Q, \\\"the\\\" boss\" <q@x.test>\r\n"
                            "Sender: \r\n"
                            "Reply-To: <@r.test:rt@y.test>\r\n"
                            "To: Team: a@x.test, (no one) b@x.test;, undisclosed:;\r\n"
                            "Bcc: broken@\r\n"
                            "In-Reply-To: <parent@x.test>\r\n"
                            "\r\n";
    ck_envelope(m, false,
                "(NIL \"=?ISO-8859-1?Q?Andr=E9?=  folded\" "
                "((\"Q, \\\"the\\\" boss\" NIL \"q\" \"x.test\")) "
                "((\"Q, \\\"the\\\" boss\" NIL \"q\" \"x.test\")) "
                "((NIL \"@r.test\" \"rt\" \"y.test\")) "
                "((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"x.test\")(NIL NIL \"b\" "
                "\"x.test\")(NIL NIL NIL NIL)(NIL NIL \"undisclosed\" NIL)(NIL NIL NIL NIL)) "
                "NIL ((NIL NIL \"broken\" \"MISSING_DOMAIN\")) \"<parent@x.test>\" NIL)");
    ck_envelope("\r\nbody", false, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
    /* 8-bit octets: a literal unless UTF-8 is accepted */
    ck_envelope("Subject: caf\xC3\xA9\r\n\r\n", false,
                "(NIL {5}\r\ncaf\xC3\xA9 NIL NIL NIL NIL NIL NIL NIL NIL)");
    ck_envelope("Subject: caf\xC3\xA9\r\n\r\n", true,
                "(NIL \"caf\xC3\xA9\" NIL NIL NIL NIL NIL NIL NIL NIL)");
}
END_TEST

/* ---- BODY and BODYSTRUCTURE ---- */

START_TEST(test_bodystructure_simple)
{
    ck_structure(SIMPLE, false, false,
                 "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 26 2)");
    ck_structure(SIMPLE, true, false,
                 "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 26 2 NIL NIL "
                 "NIL NIL)");
}
END_TEST

/* The RFC 3501 7.4.2 example, from a message built to have its sizes. */
START_TEST(test_body_rfc3501_example)
{
    struct mc_buf m = {0};
    mc_buf_append_str(&m, "Content-Type: MULTIPART/MIXED; BOUNDARY=\"b\"\r\n\r\n"
                          "--b\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n");
    for (int i = 0; i < 22; i++) /* 22 * 52 + 8 = 1152 octets, 23 lines */
        mc_buf_append_str(&m, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx\r\n");
    mc_buf_append_str(&m, "abcdef\r\n\r\n--b\r\n"
                          "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME=cc.diff\r\n"
                          "Content-ID: <960723163407.20117h@cac.washington.edu>\r\n"
                          "Content-Description: Compiler diff\r\n"
                          "Content-Transfer-Encoding: BASE64\r\n\r\n");
    for (int i = 0; i < 72; i++) /* 72 * 63 + 18 = 4554 octets, 73 lines */
        mc_buf_append_str(&m, "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQ\r\n");
    mc_buf_append_str(&m, "QUFBQUFBQUFBQUFB\r\n\r\n--b--\r\n");
    ck_structure(m.data, false, false,
                 "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152 23)"
                 "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\") "
                 "\"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\" \"BASE64\" "
                 "4554 73) \"MIXED\")");
    mc_buf_free(&m);
}
END_TEST

START_TEST(test_bodystructure_nested)
{
    /* Dovecot 2.3.19 answers this in lower-case, with 0 lines where a part's last line ends at
       a delimiter, and 206 octets for the message: it counts the CRLF that RFC 2046 5.1.1 gives
       to the outer delimiter */
    ck_structure(MIXED, true, false,
                 "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 12 1 NIL NIL "
                 "NIL NIL)"
                 "(\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" \"data.bin\") NIL NIL \"BASE64\" 22 "
                 "NIL (\"ATTACHMENT\" (\"FILENAME\" \"data.bin\")) NIL NIL)"
                 "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 204 "
                 "(NIL \"inner\" ((NIL NIL \"inner\" \"example.org\")) "
                 "((NIL NIL \"inner\" \"example.org\")) ((NIL NIL \"inner\" \"example.org\")) "
                 "NIL NIL NIL NIL NIL) "
                 "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 10 1 NIL NIL "
                 "NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 12 1 NIL "
                 "NIL NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" \"inner\") NIL NIL NIL) 13 "
                 "NIL NIL NIL NIL) "
                 "\"MIXED\" (\"BOUNDARY\" \"outer\") NIL NIL NIL)");
    ck_structure(MIXED, false, false,
                 "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 12 1)"
                 "(\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" \"data.bin\") NIL NIL \"BASE64\" 22)"
                 "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 204 "
                 "(NIL \"inner\" ((NIL NIL \"inner\" \"example.org\")) "
                 "((NIL NIL \"inner\" \"example.org\")) ((NIL NIL \"inner\" \"example.org\")) "
                 "NIL NIL NIL NIL NIL) "
                 "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 10 1)"
                 "(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 12 1) "
                 "\"ALTERNATIVE\") 13) \"MIXED\")");
}
END_TEST

START_TEST(test_bodystructure_extension_fields)
{
    static const char m[] = "Content-Type: multipart/related; boundary=r; type=\"text/html\"\r\n"
                            "Content-Language: en\r\n"
                            "\r\n"
                            "--r\r\n"
                            "Content-Type: image/png; name*=utf-8''%E2%82%AC.png\r\n"
                            "Content-Transfer-Encoding: base64\r\n"
                            "Content-ID: <img@x>\r\n"
                            "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
                            "Content-Disposition: inline\r\n"
                            "Content-Language: en-GB, fr\r\n"
                            "Content-Location: http://x.test/a.png\r\n"
                            "\r\n"
                            "iVBORw0KGgo=\r\n"
                            "--r--\r\n";
    ck_structure(m, true, false,
                 "((\"IMAGE\" \"PNG\" (\"NAME*\" \"utf-8''%E2%82%AC.png\") \"<img@x>\" NIL "
                 "\"BASE64\" 12 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"INLINE\" NIL) (\"en-GB\" \"fr\") "
                 "\"http://x.test/a.png\") \"RELATED\" (\"BOUNDARY\" \"r\" \"TYPE\" \"text/html\") "
                 "NIL (\"en\") NIL)");
    /* a UTF-8 client gets the value itself */
    ck_structure(m, false, true,
                 "((\"IMAGE\" \"PNG\" (\"NAME\" \"\xE2\x82\xAC.png\") \"<img@x>\" NIL \"BASE64\" "
                 "12) \"RELATED\")");
}
END_TEST

START_TEST(test_bodystructure_message_global)
{
    static const char m[] = "Content-Type: message/global\r\n\r\nSubject: s\r\n\r\nx\r\n";
    ck_structure(m, false, false, "(\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"7BIT\" 17)");
    ck_structure(m, false, true,
                 "(\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"7BIT\" 17 (NIL \"s\" NIL NIL NIL NIL NIL "
                 "NIL NIL NIL) (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 3 "
                 "1) 3)");
}
END_TEST

START_TEST(test_bodystructure_hostile)
{
    /* 100 nested multiparts: bounded, and still a syntactically complete structure */
    struct mc_buf m = {0};
    for (int i = 0; i < 100; i++)
        mc_buf_printf(&m, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i);
    char *bs = structure(m.data, true, false);
    size_t open = 0, close = 0;
    for (const char *s = bs; *s; s++)
        open += *s == '(', close += *s == ')';
    ck_assert_uint_eq(open, close);
    ck_assert(strstr(bs, "\"TEXT\" \"PLAIN\"") != NULL);
    free(bs);
    mc_buf_free(&m);
    /* a multipart without parts, built by hand: Dovecot's empty body */
    struct mime_part p = {.type = "multipart", .subtype = "mixed"};
    struct mc_buf out = {0};
    imap_write_bodystructure(&out, "", &p, false, false);
    ck_assert_str_eq(out.data, "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 "
                               "0) \"MIXED\")");
    mc_buf_free(&out);
}
END_TEST

START_TEST(test_garbage_never_crashes)
{
    /* deterministic pseudo-random messages: every writer and every section must cope */
    static const char *const pieces[] = {
        "--a\r\n",
        "--a--\r\n",
        "\r\n",
        "\n",
        "Content-Type: multipart/mixed; boundary=a\r\n",
        "Content-Type: message/rfc822\r\n",
        "From: (x\r\n",
        "To: g:;\r\n",
        "x: \xC3\xA9\r\n",
        " folded\r\n",
        "\"",
        "<",
        "@",
        ",",
    };
    static const char *const sections[] = {
        "[]",       "[HEADER]",     "[TEXT]<3.7>",  "[1]",
        "[1.MIME]", "[2.1.HEADER]", "[1.1.1.TEXT]", "[2.HEADER.FIELDS (From To)]"};
    unsigned seed = 4242;
    for (int round = 0; round < 200; round++) {
        struct mc_buf m = {0};
        for (int k = 0; k < 50; k++) {
            seed = seed * 1103515245u + 12345u;
            mc_buf_append_str(&m, pieces[(seed >> 16) % (sizeof pieces / sizeof *pieces)]);
        }
        char *bs = structure(m.data, true, round % 2);
        free(bs);
        char *env = envelope(m.data, false);
        free(env);
        for (size_t i = 0; i < sizeof sections / sizeof *sections; i++)
            free(extract(m.data, sections[i]));
        mc_buf_free(&m);
    }
}
END_TEST

static Suite *imap_body_suite(void)
{
    Suite *s = suite_create("imap_body");
    TCase *tc = tcase_create("sections");
    tcase_add_test(tc, test_section_syntax);
    tcase_add_test(tc, test_extract_single_part);
    tcase_add_test(tc, test_extract_nested);
    suite_add_tcase(s, tc);
    TCase *st = tcase_create("structure");
    tcase_add_test(st, test_envelope_rfc3501_example);
    tcase_add_test(st, test_envelope_groups_and_edges);
    tcase_add_test(st, test_bodystructure_simple);
    tcase_add_test(st, test_body_rfc3501_example);
    tcase_add_test(st, test_bodystructure_nested);
    tcase_add_test(st, test_bodystructure_extension_fields);
    tcase_add_test(st, test_bodystructure_message_global);
    tcase_add_test(st, test_bodystructure_hostile);
    tcase_add_test(st, test_garbage_never_crashes);
    suite_add_tcase(s, st);
    return s;
}

int main(void)
{
    return mc_check_run(imap_body_suite());
}
