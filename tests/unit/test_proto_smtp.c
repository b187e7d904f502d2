/*
 * test_proto_smtp — unit tests of the SMTP and LMTP framer (harness/proto/smtp.c): multi-line
 * replies, EHLO capabilities, enhanced status codes, 3xx continuations, dot-stuffing of DATA,
 * and what a broken server gets.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "proto/protocol.h"
#include "support_check.h"

static const struct mc_protocol *P;
static struct mc_proto_state *st;
static struct mc_reply r;
static struct mc_buf wire;

static void setup(void)
{
    P = &mc_proto_smtp;
    st = P->state_new();
    memset(&r, 0, sizeof r);
    memset(&wire, 0, sizeof wire);
}

static void teardown(void)
{
    P->state_free(st);
    mc_reply_reset(&r);
    mc_buf_free(&wire);
}

static enum mc_frame feed(const char *line)
{
    size_t lit = 0;
    return P->feed_line(st, line, strlen(line), &r, &lit);
}

static void exchange(enum mc_exchange ex, const char *line)
{
    mc_reply_reset(&r);
    mc_buf_reset(&wire);
    P->begin(st, ex, line, line ? strlen(line) : 0, NULL, &wire);
}

/* The reply to a single line, after a fresh command. */
static enum mc_frame reply_to(const char *line)
{
    exchange(MC_EX_COMMAND, "NOOP");
    return feed(line);
}

START_TEST(test_tables)
{
    ck_assert_ptr_eq(mc_protocol_find("smtp"), &mc_proto_smtp);
    ck_assert_ptr_eq(mc_protocol_find("lmtp"), &mc_proto_lmtp);
    /* smtp (RFC 5321), smtps (RFC 8314 3.3) and submission (RFC 6409); AUTH before mail on
       the submission ports */
    const struct mc_scheme *s = mc_proto_smtp.schemes;
    ck_assert_str_eq(s[0].name, "smtp");
    ck_assert_uint_eq(s[0].port, 25);
    ck_assert(!s[0].implicit_tls && !s[0].auth_required);
    ck_assert_str_eq(s[1].name, "submission");
    ck_assert_uint_eq(s[1].port, 587);
    ck_assert(!s[1].implicit_tls && s[1].auth_required);
    ck_assert_str_eq(s[2].name, "smtps");
    ck_assert_uint_eq(s[2].port, 465);
    ck_assert(s[2].implicit_tls && s[2].auth_required);
    ck_assert_ptr_null(s[3].name);
    ck_assert_ptr_eq(mc_protocol_scheme(&mc_proto_smtp, false), &s[0]);
    ck_assert_ptr_eq(mc_protocol_scheme(&mc_proto_smtp, true), &s[2]);
    /* LMTP: port 24, no implicit TLS */
    ck_assert_str_eq(mc_proto_lmtp.schemes[0].name, "lmtp");
    ck_assert_uint_eq(mc_proto_lmtp.schemes[0].port, 24);
    ck_assert_ptr_null(mc_proto_lmtp.schemes[1].name);
    ck_assert_ptr_null(mc_protocol_scheme(&mc_proto_lmtp, true));
    ck_assert(mc_proto_smtp.reply_codes && mc_proto_lmtp.reply_codes);
    ck_assert_str_eq(mc_proto_smtp.hello_verb, "EHLO");
    ck_assert_str_eq(mc_proto_lmtp.hello_verb, "LHLO");
    ck_assert_str_eq(mc_proto_smtp.capability_command, "EHLO mailconform.invalid");
    ck_assert_str_eq(mc_proto_lmtp.capability_command, "LHLO mailconform.invalid");
    ck_assert_ptr_null(mc_proto_smtp.status_words);
    ck_assert_str_eq(mc_proto_smtp.lines_key, "lines");
    ck_assert_str_eq(mc_proto_smtp.starttls_command, "STARTTLS");
    ck_assert_str_eq(mc_proto_lmtp.quit_command, "QUIT");
    ck_assert_str_eq(mc_proto_lmtp.auth_cancel, "*");
    ck_assert(mc_proto_lmtp.feed_line == mc_proto_smtp.feed_line);
    ck_assert_ptr_null(P->current_tag(st));
}
END_TEST

START_TEST(test_greeting)
{
    exchange(MC_EX_GREETING, NULL);
    ck_assert_uint_eq(wire.len, 0);
    ck_assert_int_eq(feed("220-mx.example.com ESMTP"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("220 no UCE"), MC_FRAME_DONE);
    ck_assert_int_eq(r.code, 220);
    ck_assert_str_eq(r.status, "220");
    ck_assert_str_eq(r.text, "no UCE");
    ck_assert_str_eq(r.status_line, "220 no UCE");
    ck_assert_int_eq(r.kind, MC_REPLY_FINAL);
    ck_assert(r.positive);
    ck_assert_uint_eq(r.data.count, 2);
    ck_assert_str_eq(r.data.items[0].ptr, "mx.example.com ESMTP");
    ck_assert_uint_eq(r.lines.count, 2);
    ck_assert_str_eq(r.lines.items[0].ptr, "220-mx.example.com ESMTP");
    ck_assert_str_eq(r.enhanced, "");
}
END_TEST

/* RFC 5321 4.3.2, 3.1, 3.8: a session opens with 220, 554 or 421, whatever follows; any other
   code is a violation, for LMTP too (RFC 2033 4). A fresh state reads a greeting. */
START_TEST(test_greeting_codes)
{
    static const char *const allowed[] = {"220 mx ready", "554 5.7.1 no service here",
                                          "421 4.3.2 shutting down"};
    for (size_t i = 0; i < 3; i++) {
        exchange(MC_EX_GREETING, NULL);
        ck_assert_int_eq(feed(allowed[i]), MC_FRAME_DONE);
    }
    exchange(MC_EX_GREETING, NULL);
    ck_assert_int_eq(feed("200 mx ready"), MC_FRAME_ERROR);
    ck_assert_str_eq(r.violation, "greeting \"200 mx ready\" has code 200: a server opens the "
                                  "session with 220, or 554 to refuse it, or 421 when it must "
                                  "shut down (RFC 5321 3.1, 4.3.2, 3.8; RFC 2033 4 for LMTP)");
    ck_assert_str_eq(r.status_line, "200 mx ready");
    exchange(MC_EX_GREETING, NULL);
    ck_assert_int_eq(feed("250-mx ready"), MC_FRAME_ERROR); /* judged on the first line */
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(feed("200 ok"), MC_FRAME_DONE); /* not a greeting: any valid code */

    struct mc_proto_state *lmtp = mc_proto_lmtp.state_new(); /* as if begin(GREETING) */
    size_t lit = 0;
    mc_reply_reset(&r);
    ck_assert_int_eq(mc_proto_lmtp.feed_line(lmtp, "250 lmtp ready", 14, &r, &lit), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "has code 250"));
    mc_proto_lmtp.state_free(lmtp);
}
END_TEST

START_TEST(test_ehlo_capabilities)
{
    exchange(MC_EX_COMMAND, "EHLO mailconform.invalid");
    ck_assert_str_eq(wire.data, "EHLO mailconform.invalid\r\n");
    const char *lines[] = {
        "250-mx.example.com Hello", "250-PIPELINING", "250-size 10240000", "250-AUTH PLAIN login",
        "250-ENHANCEDSTATUSCODES",  "250-STARTTLS",   "250 8BITMIME"};
    for (size_t i = 0; i < 6; i++)
        ck_assert_int_eq(feed(lines[i]), MC_FRAME_MORE);
    ck_assert_int_eq(feed(lines[6]), MC_FRAME_DONE);
    ck_assert_int_eq(r.code, 250);
    ck_assert_uint_eq(r.data.count, 7);
    ck_assert_str_eq(r.data.items[2].ptr, "size 10240000");
    ck_assert_ptr_eq(r.data.items[2].ptr, r.lines.items[2].ptr + 4); /* a view, not a copy */
    struct mc_strv caps = {0};
    P->capabilities(&r, &caps);
    const char *want[] = {"PIPELINING",          "SIZE",     "AUTH",    "AUTH=PLAIN", "AUTH=LOGIN",
                          "ENHANCEDSTATUSCODES", "STARTTLS", "8BITMIME"};
    ck_assert_uint_eq(caps.count, 8);
    for (size_t i = 0; i < 8; i++)
        ck_assert_str_eq(caps.items[i].ptr, want[i]);
    mc_strv_free(&caps);

    ck_assert_int_eq(reply_to("250 mx.example.com"), MC_FRAME_DONE);
    P->capabilities(&r, &caps);
    ck_assert_uint_eq(caps.count, 0);
}
END_TEST

START_TEST(test_enhanced_codes)
{
    static const struct {
        const char *line;
        const char *enhanced;
    } cases[] = {
        {"250 2.1.0 Sender ok", "2.1.0"},
        {"550 5.7.1 Relaying denied", "5.7.1"},
        {"451 4.3.0", "4.3.0"},
        {"552 5.3.4 ", "5.3.4"},
        {"250 2.123.456 wide", "2.123.456"},
        {"250 5.1.0 class mismatch", ""},
        {"354 3.0.0 no class 3", ""},
        {"250 2.1.0x", ""},
        {"250 2.1000.0 too wide", ""},
        {"250 2..0", ""},
        {"250 2.1.", ""},
        {"250 Ok", ""},
        {"250", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(reply_to(cases[i].line), MC_FRAME_DONE);
        ck_assert_msg(strcmp(r.enhanced, cases[i].enhanced) == 0, "%s -> \"%s\"", cases[i].line,
                      r.enhanced);
    }
    /* the last line's text counts */
    exchange(MC_EX_COMMAND, "RCPT TO:<x@y>");
    ck_assert_int_eq(feed("550-5.1.1 unknown"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("550 5.1.2 really"), MC_FRAME_DONE);
    ck_assert_str_eq(r.enhanced, "5.1.2");
    ck_assert_str_eq(r.text, "5.1.2 really");
    ck_assert(!r.positive);
    ck_assert_int_eq(r.kind, MC_REPLY_FINAL);
}
END_TEST

START_TEST(test_mixed_codes)
{
    exchange(MC_EX_COMMAND, "EHLO x");
    ck_assert_int_eq(feed("250-mx"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("251 other"), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(r.violation);
    ck_assert_ptr_nonnull(strstr(r.violation, "4.2.1"));
    ck_assert_ptr_nonnull(strstr(r.violation, "250 and 251"));
}
END_TEST

START_TEST(test_garbage_lines)
{
    static const char *bad[] = {"hello",  "",         "25",    "2500 x", "250x",  "250_text",
                                "199 no", "600 nope", "260 x", "+OK",    " 250 x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(reply_to(bad[i]) == MC_FRAME_ERROR, "accepted \"%s\"", bad[i]);
        ck_assert_ptr_nonnull(r.violation);
        ck_assert_ptr_nonnull(strstr(r.violation, "RFC 5321 4.2"));
    }
    ck_assert_int_eq(reply_to("250"), MC_FRAME_DONE);
    ck_assert_str_eq(r.text, "");
    ck_assert_str_eq(r.data.items[0].ptr, "");
    ck_assert_int_eq(reply_to("250 "), MC_FRAME_DONE);
    ck_assert_str_eq(r.text, "");
    exchange(MC_EX_COMMAND, "HELP");
    ck_assert_int_eq(feed("214-"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("214 end"), MC_FRAME_DONE);
    ck_assert_str_eq(r.data.items[0].ptr, "");
}
END_TEST

START_TEST(test_line_length)
{
    char line[520];
    memset(line, 'a', sizeof line);
    memcpy(line, "250 ", 4);
    size_t lit = 0;
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(P->feed_line(st, line, 510, &r, &lit), MC_FRAME_DONE);
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(P->feed_line(st, line, 511, &r, &lit), MC_FRAME_ERROR);
    ck_assert_str_eq(r.violation, "reply line of 513 octets exceeds 512 (RFC 5321 4.5.3.1.5)");
}
END_TEST

/* RFC 5321 4.2: reply text is textstring, never NUL; the line that broke it is the status line. */
START_TEST(test_nul_bytes)
{
    size_t lit = 0;
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(P->feed_line(st, "250 a\0b", 7, &r, &lit), MC_FRAME_ERROR);
    ck_assert_str_eq(r.violation, "line \"250 a\\x00b\": octet 0x00 (NUL) at offset 5 is not "
                                  "allowed (RFC 5321 4.2: textstring = 1*(%d09 / %d32-126); "
                                  "8-bit only as UTF-8 (RFC 6531))");
    ck_assert_uint_eq(r.status_line_len, 7);
    ck_assert_int_eq(memcmp(r.status_line, "250 a\0b", 7), 0);
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(P->feed_line(st, "25\0 x", 5, &r, &lit), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "\\x00"));
}
END_TEST

/* textstring: HT and printable ASCII; no other control, no DEL; 8-bit only as UTF-8. */
START_TEST(test_text_octets)
{
    ck_assert_int_eq(reply_to("250 ok\tfine caf\xc3\xa9"), MC_FRAME_DONE);
    ck_assert_int_eq(reply_to("250 a\x01"), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "octet 0x01 (a control character) at offset 5"));
    ck_assert_int_eq(reply_to("250 a\x7f"), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "(DEL)"));
    ck_assert_int_eq(reply_to("250 caf\xe9"), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "octet 0xe9 (not part of well-formed UTF-8)"));
    ck_assert_int_eq(reply_to("250 a\rb"), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "(CR without LF)"));
}
END_TEST

/* RFC 5321 4.1.1.1: after the domain, the first line of a 250 reply to EHLO (or LHLO) is
   ehlo-greet, any octet but CR and LF; the domain and every other line are textstring. */
START_TEST(test_ehlo_greet_octets)
{
    size_t lit = 0;
    static const char first[] = "250-mx.example.com Hi\0\x01 there";
    exchange(MC_EX_COMMAND, "EHLO client.example");
    ck_assert_int_eq(P->feed_line(st, first, sizeof first - 1, &r, &lit), MC_FRAME_MORE);
    ck_assert_int_eq(P->feed_line(st, "250 PIPE\0LINING", 15, &r, &lit), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "RFC 5321 4.2: textstring"));
    static const char single[] = "250 mx.example.com Hi\0there";
    mc_reply_reset(&r);
    P->begin(st, MC_EX_COMMAND, "LHLO x", 6, NULL, &wire);
    ck_assert_int_eq(P->feed_line(st, single, sizeof single - 1, &r, &lit), MC_FRAME_DONE);
    ck_assert_uint_eq(r.status_line_len, sizeof single - 1); /* all of it, past the NUL */
    exchange(MC_EX_COMMAND, "EHLO client.example");
    ck_assert_int_eq(P->feed_line(st, "250 mx\0.example.com", 20, &r, &lit), MC_FRAME_ERROR);
    exchange(MC_EX_COMMAND, "EHLO client.example");
    ck_assert_int_eq(P->feed_line(st, "250 mx hi\r", 10, &r, &lit), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "RFC 5321 4.1.1.1: ehlo-greet"));
    exchange(MC_EX_COMMAND, "EHLO client.example");
    ck_assert_int_eq(P->feed_line(st, "550 mx hi\0", 10, &r, &lit), MC_FRAME_ERROR);
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(P->feed_line(st, "250 mx hi\0", 10, &r, &lit), MC_FRAME_ERROR);
}
END_TEST

START_TEST(test_continuations)
{
    exchange(MC_EX_COMMAND, "AUTH LOGIN");
    ck_assert_str_eq(wire.data, "AUTH LOGIN\r\n");
    ck_assert_int_eq(feed("334 VXNlcm5hbWU6"), MC_FRAME_DONE);
    ck_assert_int_eq(r.kind, MC_REPLY_CONTINUATION);
    ck_assert_int_eq(r.code, 334);
    ck_assert_str_eq(r.text, "VXNlcm5hbWU6");
    ck_assert(r.positive);
    exchange(MC_EX_CONTINUE, "YWxpY2U=");
    ck_assert_str_eq(wire.data, "YWxpY2U=\r\n");
    ck_assert_int_eq(feed("334 "), MC_FRAME_DONE);
    ck_assert_str_eq(r.text, "");
    exchange(MC_EX_CONTINUE, "*");
    ck_assert_int_eq(feed("501 5.7.0 cancelled"), MC_FRAME_DONE);
    ck_assert_int_eq(r.kind, MC_REPLY_FINAL);
    ck_assert(!r.positive);
    ck_assert_int_eq(reply_to("354 End data with <CR><LF>.<CR><LF>"), MC_FRAME_DONE);
    ck_assert_int_eq(r.kind, MC_REPLY_CONTINUATION);
    ck_assert_int_eq(reply_to("421 4.3.2 shutting down"), MC_FRAME_DONE);
    ck_assert_int_eq(r.kind, MC_REPLY_FINAL);
    ck_assert(!r.positive);
    ck_assert_str_eq(r.enhanced, "4.3.2");
}
END_TEST

START_TEST(test_data_dot_stuffing)
{
    static const struct {
        const char *msg;
        const char *wire;
    } cases[] = {
        {"Subject: x\n\n.hidden\r\n..two\nlast",
         "Subject: x\r\n\r\n..hidden\r\n...two\r\nlast\r\n.\r\n"},
        {"", ".\r\n"},
        {"a\r\n", "a\r\n.\r\n"},
        {".\n", "..\r\n.\r\n"},
        {".", "..\r\n.\r\n"},
        {"a\n\n", "a\r\n\r\n.\r\n"},
        {"x\ry\n", "x\ry\r\n.\r\n"},
        {"a.b\n .c", "a.b\r\n .c\r\n.\r\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        exchange(MC_EX_DATA, cases[i].msg);
        ck_assert_msg(strcmp(wire.data, cases[i].wire) == 0, "case %zu: got \"%s\"", i, wire.data);
    }
    /* the reply after the data */
    ck_assert_int_eq(feed("250 2.0.0 Ok: queued as 4F2"), MC_FRAME_DONE);
    ck_assert_str_eq(r.enhanced, "2.0.0");
    /* NUL inside the message is kept */
    mc_buf_reset(&wire);
    P->begin(st, MC_EX_DATA, "a\0b\n", 4, NULL, &wire);
    ck_assert_uint_eq(wire.len, 8);
    ck_assert_int_eq(memcmp(wire.data, "a\0b\r\n.\r\n", 8), 0);
}
END_TEST

START_TEST(test_dialogues)
{
    struct mc_strv cmds = {0};
    P->login_commands("user", "pass", &cmds);
    ck_assert_uint_eq(cmds.count, 2);
    ck_assert_str_eq(cmds.items[0].ptr, "EHLO mailconform.invalid");
    ck_assert_str_eq(cmds.items[1].ptr, "AUTH PLAIN AHVzZXIAcGFzcw==");
    mc_strv_clear(&cmds);
    mc_proto_lmtp.login_commands("user", "pass", &cmds);
    ck_assert_str_eq(cmds.items[0].ptr, "LHLO mailconform.invalid");
    ck_assert_str_eq(cmds.items[1].ptr, "AUTH PLAIN AHVzZXIAcGFzcw==");
    mc_strv_clear(&cmds);
    /* longer than one base64 chunk: encoding must stay one continuous string */
    char longpw[4999]; /* 3 + 4998 octets of PLAIN: a multiple of 3, no padding */
    memset(longpw, 'p', sizeof longpw - 1);
    longpw[sizeof longpw - 1] = '\0';
    P->login_commands("u", longpw, &cmds);
    size_t plain = 1 + 1 + 1 + (sizeof longpw - 1);
    ck_assert_uint_eq(cmds.items[1].len, strlen("AUTH PLAIN ") + (plain + 2) / 3 * 4);
    ck_assert_ptr_null(strchr(cmds.items[1].ptr + 11, '='));
    mc_strv_free(&cmds);

    struct mc_buf b = {0};
    P->auth_command("PLAIN", NULL, &b);
    ck_assert_str_eq(b.data, "AUTH PLAIN");
    mc_buf_reset(&b);
    P->auth_command("PLAIN", "", &b);
    ck_assert_str_eq(b.data, "AUTH PLAIN =");
    mc_buf_reset(&b);
    P->auth_command("XOAUTH2", "dXNlcj0=", &b);
    ck_assert_str_eq(b.data, "AUTH XOAUTH2 dXNlcj0=");
    mc_buf_free(&b);
}
END_TEST

START_TEST(test_misuse_is_an_error)
{
    ck_assert_int_eq(reply_to("250 ok"), MC_FRAME_DONE);
    ck_assert_int_eq(feed("250 again"), MC_FRAME_ERROR);
    ck_assert_int_eq(P->feed_literal(st, "x", 1, &r), MC_FRAME_ERROR);
}
END_TEST

/* RFC 3207 4: only 220 starts TLS; a 250 (or a refusal) does not, and the reason names both. */
START_TEST(test_starttls_ready)
{
    struct mc_buf why = {0};
    ck_assert_int_eq(reply_to("220 2.0.0 Ready to start TLS"), MC_FRAME_DONE);
    ck_assert(P->starttls_ready(&r, &why));
    ck_assert_uint_eq(why.len, 0);
    ck_assert_int_eq(reply_to("250 2.0.0 ok"), MC_FRAME_DONE);
    ck_assert(r.positive);
    ck_assert(!P->starttls_ready(&r, NULL));
    ck_assert(!P->starttls_ready(&r, &why));
    ck_assert_str_eq(why.data, "the reply \"250 2.0.0 ok\" to STARTTLS is positive but does not "
                               "start TLS: only 220 does (RFC 3207 section 4)");
    ck_assert_int_eq(reply_to("454 4.7.0 TLS not available"), MC_FRAME_DONE);
    ck_assert(!P->starttls_ready(&r, NULL));
    ck_assert(mc_proto_lmtp.starttls_ready == P->starttls_ready);
    mc_buf_free(&why);
}
END_TEST

/* AUTH PLAIN carries the password in base64 (RFC 4616): the form reports must mask. */
START_TEST(test_secret_forms)
{
    struct mc_strv as_password = {0}, encoded = {0};
    mc_proto_smtp.secret_forms("mc01", "secret", &as_password, &encoded);
    ck_assert_uint_eq(as_password.count, 0);
    ck_assert_uint_eq(encoded.count, 1);
    ck_assert_str_eq(encoded.items[0].ptr, "AG1jMDEAc2VjcmV0"); /* "\0mc01\0secret" */
    mc_strv_free(&encoded);
}
END_TEST

START_TEST(test_raw_and_delivery)
{
    struct mc_exchange_opts o = {.multiline = -1, .raw = true};
    P->begin(st, MC_EX_COMMAND, "NOOP\n", 5, &o, &wire);
    ck_assert_str_eq(wire.data, "NOOP\n");
    ck_assert_int_eq(feed("250 ok"), MC_FRAME_DONE);
    exchange(MC_EX_CONTINUE, NULL);
    ck_assert_uint_eq(wire.len, 0);

    struct mc_strv cmds = {0};
    P->delivery_commands("client.example", "a@example.com", "b@example.net", &cmds);
    const char *want[] = {"EHLO client.example", "MAIL FROM:<a@example.com>",
                          "RCPT TO:<b@example.net>", "DATA"};
    ck_assert_uint_eq(cmds.count, 4);
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(cmds.items[i].ptr, want[i]);
    mc_strv_clear(&cmds);
    mc_proto_lmtp.delivery_commands("h", "", "c@d", &cmds);
    ck_assert_str_eq(cmds.items[0].ptr, "LHLO h");
    ck_assert_str_eq(cmds.items[1].ptr, "MAIL FROM:<>");
    mc_strv_free(&cmds);
    ck_assert_ptr_null(P->auth_ir_capability);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("proto_smtp");
    TCase *tc = tcase_create("smtp");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_tables);
    tcase_add_test(tc, test_greeting);
    tcase_add_test(tc, test_greeting_codes);
    tcase_add_test(tc, test_ehlo_capabilities);
    tcase_add_test(tc, test_enhanced_codes);
    tcase_add_test(tc, test_mixed_codes);
    tcase_add_test(tc, test_garbage_lines);
    tcase_add_test(tc, test_line_length);
    tcase_add_test(tc, test_nul_bytes);
    tcase_add_test(tc, test_text_octets);
    tcase_add_test(tc, test_ehlo_greet_octets);
    tcase_add_test(tc, test_continuations);
    tcase_add_test(tc, test_data_dot_stuffing);
    tcase_add_test(tc, test_dialogues);
    tcase_add_test(tc, test_misuse_is_an_error);
    tcase_add_test(tc, test_raw_and_delivery);
    tcase_add_test(tc, test_secret_forms);
    tcase_add_test(tc, test_starttls_ready);
    suite_add_tcase(s, tc);
    return mc_check_run(s);
}
