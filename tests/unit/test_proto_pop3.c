/*
 * test_proto_pop3 — unit tests of the POP3 framer (harness/proto/pop3.c), the protocol
 * registry and the shared reply budget: single and multi-line replies, dot-unstuffing, the
 * multi-line guess and its override, SASL continuations, and what a broken server gets.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "proto/protocol.h"
#include "proto/syntax.h"
#include "support_check.h"

static const struct mc_protocol *P;
static struct mc_proto_state *st;
static struct mc_reply r;
static struct mc_buf wire;

static void setup(void)
{
    P = &mc_proto_pop3;
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

/* Starts a command exchange with a fresh reply. */
static void command(const char *line, int multiline)
{
    struct mc_exchange_opts o = {.multiline = multiline};
    mc_reply_reset(&r);
    mc_buf_reset(&wire);
    P->begin(st, MC_EX_COMMAND, line, strlen(line), &o, &wire);
}

START_TEST(test_registry)
{
    ck_assert_ptr_eq(mc_protocol_find("pop3"), &mc_proto_pop3);
    ck_assert_ptr_eq(mc_protocol_find("imap"), &mc_proto_imap);
    ck_assert_ptr_eq(mc_protocol_find("smtp"), &mc_proto_smtp);
    ck_assert_ptr_eq(mc_protocol_find("lmtp"), &mc_proto_lmtp);
    ck_assert_ptr_eq(mc_protocol_find("POP3"), &mc_proto_pop3);
    ck_assert_ptr_null(mc_protocol_find("nntp"));
    ck_assert_ptr_null(mc_protocol_find(""));
    ck_assert_ptr_null(mc_protocol_find(NULL));
    struct mc_buf list = {0};
    mc_protocol_list(&list, NULL, ", ", " or ");
    ck_assert_str_eq(list.data, "pop3, imap, smtp or lmtp");
    mc_buf_free(&list);
}
END_TEST

static bool has_codes(const struct mc_protocol *p)
{
    return p->reply_codes;
}

static bool fits_none(const struct mc_protocol *p)
{
    (void)p;
    return false;
}

START_TEST(test_registry_lists)
{
    struct mc_buf list = {0};
    mc_protocol_list(&list, has_codes, ", ", " and ");
    ck_assert_str_eq(list.data, "smtp and lmtp");
    mc_buf_reset(&list);
    mc_protocol_list(&list, fits_none, ", ", " and ");
    ck_assert_uint_eq(list.len, 0);
    mc_scheme_list(&list, "://", ", ", " or ");
    ck_assert_str_eq(list.data, "pop3://, pop3s://, imap://, imaps://, smtp://, submission://, "
                                "smtps:// or lmtp://");
    mc_buf_free(&list);
}
END_TEST

START_TEST(test_registry_schemes)
{
    /* Every scheme once, protocols in registry order, and found again by its name. */
    const struct mc_protocol *proto = NULL, *found = NULL;
    const struct mc_scheme *s;
    size_t n = 0;
    for (; (s = mc_scheme_at(n, &proto)); n++) {
        ck_assert_ptr_eq(mc_scheme_find(s->name, strlen(s->name), &found), s);
        ck_assert_ptr_eq(found, proto);
    }
    ck_assert_uint_eq(n, 8);
    ck_assert_ptr_null(mc_scheme_at(n + 1, NULL));
    /* The length bounds the name; names are case-sensitive; prefixes are not names. */
    s = mc_scheme_find("submission://x", 10, &found);
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_eq(found, &mc_proto_smtp);
    ck_assert_uint_eq(s->port, 587);
    ck_assert(s->auth_required);
    ck_assert_ptr_null(mc_scheme_find("SMTP", 4, NULL));
    ck_assert_ptr_null(mc_scheme_find("imap", 3, NULL));
    ck_assert_ptr_null(mc_scheme_find("", 0, NULL));
    /* The protocol's own scheme in each TLS mode. */
    ck_assert_str_eq(mc_protocol_scheme(P, false)->name, "pop3");
    ck_assert_str_eq(mc_protocol_scheme(P, true)->name, "pop3s");
}
END_TEST

START_TEST(test_table)
{
    ck_assert_str_eq(P->schemes[0].name, "pop3");
    ck_assert_uint_eq(P->schemes[0].port, 110);
    ck_assert(!P->schemes[0].implicit_tls);
    ck_assert_str_eq(P->schemes[1].name, "pop3s");
    ck_assert_uint_eq(P->schemes[1].port, 995);
    ck_assert(P->schemes[1].implicit_tls);
    ck_assert_ptr_null(P->schemes[2].name);
    ck_assert(!P->reply_codes);
    ck_assert_str_eq(P->lines_key, "lines");
    ck_assert_str_eq(P->status_words[0], "+OK");
    ck_assert_str_eq(P->status_words[1], "-ERR");
    ck_assert_ptr_null(P->status_words[2]);
    ck_assert_str_eq(P->starttls_command, "STLS");
    ck_assert_str_eq(P->quit_command, "QUIT");
    ck_assert_str_eq(P->capability_command, "CAPA");
    ck_assert_str_eq(P->auth_cancel, "*");
    ck_assert(P->auth_initial_response);
    ck_assert_ptr_null(P->hello_verb);
    ck_assert(P->greeting_capabilities == NULL);
    ck_assert_uint_ge(P->line_max, 512);
}
END_TEST

START_TEST(test_greeting)
{
    P->begin(st, MC_EX_GREETING, NULL, 0, NULL, &wire);
    ck_assert_uint_eq(wire.len, 0);
    ck_assert_int_eq(feed("+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>"), MC_FRAME_DONE);
    ck_assert_int_eq(r.kind, MC_REPLY_FINAL);
    ck_assert_str_eq(r.status, "+OK");
    ck_assert_str_eq(r.text, "POP3 ready <1896.697170952@dbc.mtview.ca.us>");
    ck_assert_str_eq(r.status_line, "+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>");
    ck_assert(r.positive);
    ck_assert_int_eq(r.code, 0);
    ck_assert_uint_eq(r.lines.count, 1);
    ck_assert_uint_eq(r.data.count, 0);
    ck_assert_ptr_null(P->current_tag(st));
}
END_TEST

START_TEST(test_greeting_garbage)
{
    P->begin(st, MC_EX_GREETING, NULL, 0, NULL, &wire);
    ck_assert_int_eq(feed("220 smtp.example.com ESMTP"), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(r.violation);
    ck_assert_ptr_nonnull(strstr(r.violation, "RFC 1939 3"));
    ck_assert_ptr_nonnull(strstr(r.violation, "220 smtp"));
}
END_TEST

START_TEST(test_single_line)
{
    command("STAT", -1);
    ck_assert_str_eq(wire.data, "STAT\r\n");
    ck_assert_int_eq(feed("+OK 2 320"), MC_FRAME_DONE);
    ck_assert_str_eq(r.text, "2 320");
    ck_assert(r.positive);
    command("DELE 9", -1);
    ck_assert_int_eq(feed("-ERR [SYS/PERM] no such message"), MC_FRAME_DONE);
    ck_assert_str_eq(r.status, "-ERR");
    ck_assert_str_eq(r.text, "[SYS/PERM] no such message");
    ck_assert(!r.positive);
    command("NOOP", -1);
    ck_assert_int_eq(feed("+OK"), MC_FRAME_DONE);
    ck_assert_str_eq(r.text, "");
    command("NOOP", -1);
    ck_assert_int_eq(feed("-ERR"), MC_FRAME_DONE);
    ck_assert_str_eq(r.status, "-ERR");
}
END_TEST

START_TEST(test_multiline_dot_unstuffing)
{
    command("RETR 1", -1);
    ck_assert_str_eq(wire.data, "RETR 1\r\n");
    ck_assert_int_eq(feed("+OK 120 octets"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("Subject: hi"), MC_FRAME_MORE);
    ck_assert_int_eq(feed(""), MC_FRAME_MORE);
    ck_assert_int_eq(feed("..leading dot"), MC_FRAME_MORE);
    ck_assert_int_eq(feed(".."), MC_FRAME_MORE);
    ck_assert_int_eq(feed(". "), MC_FRAME_MORE);
    ck_assert_int_eq(feed("."), MC_FRAME_DONE);
    ck_assert_str_eq(r.status, "+OK");
    ck_assert_str_eq(r.text, "120 octets");
    ck_assert_uint_eq(r.data.count, 5);
    ck_assert_str_eq(r.data.items[0].ptr, "Subject: hi");
    ck_assert_str_eq(r.data.items[1].ptr, "");
    ck_assert_str_eq(r.data.items[2].ptr, ".leading dot");
    ck_assert_str_eq(r.data.items[3].ptr, ".");
    ck_assert_str_eq(r.data.items[4].ptr, " ");
    ck_assert_uint_eq(r.lines.count, 7);
    ck_assert_str_eq(r.lines.items[3].ptr, "..leading dot");
    ck_assert_str_eq(r.lines.items[6].ptr, ".");
    /* Each line is stored once: a body line in data is a view into it. */
    ck_assert_ptr_eq(r.data.items[2].ptr, r.lines.items[3].ptr + 1);
    ck_assert_ptr_eq(r.data.items[0].ptr, r.lines.items[1].ptr);
    ck_assert_int_eq(feed("+OK stray"), MC_FRAME_ERROR);
}
END_TEST

START_TEST(test_err_on_retr_is_single_line)
{
    command("retr 7", -1);
    ck_assert_int_eq(feed("-ERR no such message"), MC_FRAME_DONE);
    ck_assert(!r.positive);
    ck_assert_uint_eq(r.data.count, 0);
    command("TOP 1 0", -1);
    ck_assert_int_eq(feed("+OK"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("."), MC_FRAME_DONE);
    ck_assert_uint_eq(r.data.count, 0);
}
END_TEST

START_TEST(test_multiline_inference)
{
    static const struct {
        const char *cmd;
        bool multi;
    } cases[] = {
        {"LIST", true},        {"list", true},    {"LIST ", true},   {"LIST 1", false},
        {"UIDL", true},        {"UIDL 3", false}, {"CAPA", true},    {"AUTH", true},
        {"AUTH PLAIN", false}, {"STAT", false},   {"USER a", false}, {"Top 1 10", true},
        {"RETRIEVE 1", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        command(cases[i].cmd, -1);
        enum mc_frame f = feed("+OK");
        ck_assert_msg(f == (cases[i].multi ? MC_FRAME_MORE : MC_FRAME_DONE), "%s", cases[i].cmd);
    }
}
END_TEST

START_TEST(test_multiline_override)
{
    command("XTND XMIT", 1);
    ck_assert_int_eq(feed("+OK here"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("a"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("."), MC_FRAME_DONE);
    ck_assert_uint_eq(r.data.count, 1);
    command("RETR 1", 0);
    ck_assert_int_eq(feed("+OK"), MC_FRAME_DONE);
    command("LIST", 0);
    ck_assert_int_eq(feed("+OK 2 messages"), MC_FRAME_DONE);
    /* NULL options: infer */
    mc_reply_reset(&r);
    P->begin(st, MC_EX_COMMAND, "CAPA", 4, NULL, &wire);
    ck_assert_int_eq(feed("+OK"), MC_FRAME_MORE);
}
END_TEST

START_TEST(test_auth_continuation)
{
    command("AUTH LOGIN", -1);
    ck_assert_int_eq(feed("+ VXNlcm5hbWU6"), MC_FRAME_DONE);
    ck_assert_int_eq(r.kind, MC_REPLY_CONTINUATION);
    ck_assert_str_eq(r.status, "+");
    ck_assert_str_eq(r.text, "VXNlcm5hbWU6");
    mc_reply_reset(&r);
    mc_buf_reset(&wire);
    P->begin(st, MC_EX_CONTINUE, "dXNlcg==", 8, NULL, &wire);
    ck_assert_str_eq(wire.data, "dXNlcg==\r\n");
    ck_assert_int_eq(feed("+ "), MC_FRAME_DONE);
    ck_assert_int_eq(r.kind, MC_REPLY_CONTINUATION);
    ck_assert_str_eq(r.text, "");
    mc_reply_reset(&r);
    P->begin(st, MC_EX_CONTINUE, "cGFzcw==", 8, NULL, &wire);
    ck_assert_int_eq(feed("+"), MC_FRAME_DONE);
    ck_assert_str_eq(r.text, "");
    mc_reply_reset(&r);
    P->begin(st, MC_EX_CONTINUE, "*", 1, NULL, &wire);
    ck_assert_int_eq(feed("-ERR [AUTH] cancelled"), MC_FRAME_DONE);
    ck_assert_int_eq(r.kind, MC_REPLY_FINAL);
    ck_assert(!r.positive);
    /* "+ " is only a reply while AUTH is in progress */
    command("STAT", -1);
    ck_assert_int_eq(feed("+ abc"), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "RFC 1939 3"));
}
END_TEST

START_TEST(test_bad_status_lines)
{
    static const char *bad[] = {"+ok fine", "OK", "+OKAY", "-ERROR x", "", "+", "* OK", "-err"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        command("NOOP", -1);
        ck_assert_msg(feed(bad[i]) == MC_FRAME_ERROR, "accepted \"%s\"", bad[i]);
        ck_assert_ptr_nonnull(r.violation);
        ck_assert_ptr_nonnull(strstr(r.violation, "RFC 1939 3"));
    }
}
END_TEST

START_TEST(test_status_line_length)
{
    char line[600];
    memset(line, 'x', sizeof line);
    memcpy(line, "+OK ", 4);
    size_t lit = 0;
    command("NOOP", -1);
    ck_assert_int_eq(P->feed_line(st, line, 510, &r, &lit), MC_FRAME_DONE); /* 512 with CRLF */
    command("NOOP", -1);
    ck_assert_int_eq(P->feed_line(st, line, 511, &r, &lit), MC_FRAME_ERROR);
    ck_assert_str_eq(r.violation, "response line of 513 octets exceeds 512 (RFC 2449 4)");
    /* body lines are not status lines */
    command("RETR 1", -1);
    ck_assert_int_eq(feed("+OK"), MC_FRAME_MORE);
    ck_assert_int_eq(P->feed_line(st, line, sizeof line, &r, &lit), MC_FRAME_MORE);
    ck_assert_int_eq(feed("."), MC_FRAME_DONE);
    ck_assert_uint_eq(r.data.items[0].len, sizeof line);
}
END_TEST

/* RFC 2449 3: status and body lines are built of CHAR, %x01-7F: never NUL. */
START_TEST(test_nul_bytes)
{
    size_t lit = 0;
    command("RETR 1", -1);
    ck_assert_int_eq(P->feed_line(st, "+OK a\0b", 7, &r, &lit), MC_FRAME_ERROR);
    ck_assert_str_eq(r.violation, "line \"+OK a\\x00b\": octet 0x00 (NUL) at offset 5 is not "
                                  "allowed (RFC 2449 3: a status line is built of CHAR, %x01-7F; "
                                  "8-bit only as UTF-8 (RFC 6856 2))");
    ck_assert_uint_eq(r.status_line_len, 7);
    command("RETR 1", -1);
    ck_assert_int_eq(feed("+OK"), MC_FRAME_MORE);
    ck_assert_int_eq(P->feed_line(st, "x\0y", 3, &r, &lit), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "offset 1 is not allowed (RFC 2449 3: dot-stuffed"));
    command("NOOP", -1);
    ck_assert_int_eq(P->feed_line(st, "+OK\0", 4, &r, &lit), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "\\x00"));
}
END_TEST

/* Status lines: 8-bit text only as well-formed UTF-8, controls are CHAR. Body lines are message
   content: their 8-bit octets are not judged. */
START_TEST(test_eight_bit)
{
    command("NOOP", -1);
    ck_assert_int_eq(feed("-ERR caf\xe9"), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "octet 0xe9 (not part of well-formed UTF-8)"));
    command("NOOP", -1);
    ck_assert_int_eq(feed("-ERR caf\xc3\xa9 \x01"), MC_FRAME_DONE);
    command("RETR 1", -1);
    ck_assert_int_eq(feed("+OK"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("Subject: caf\xe9"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("."), MC_FRAME_DONE);
    ck_assert_str_eq(r.data.items[0].ptr, "Subject: caf\xe9");
}
END_TEST

START_TEST(test_capabilities)
{
    command("CAPA", -1);
    const char *lines[] = {"+OK Capability list follows",
                           "TOP",
                           "user",
                           "SASL PLAIN  LOGIN",
                           "RESP-CODES",
                           "EXPIRE 60",
                           "STLS",
                           "."};
    for (size_t i = 0; i < 8; i++)
        feed(lines[i]);
    struct mc_strv caps = {0};
    P->capabilities(&r, &caps);
    const char *want[] = {"TOP",        "USER",       "SASL",   "SASL=PLAIN",
                          "SASL=LOGIN", "RESP-CODES", "EXPIRE", "STLS"};
    ck_assert_uint_eq(caps.count, 8);
    for (size_t i = 0; i < 8; i++)
        ck_assert_str_eq(caps.items[i].ptr, want[i]);
    mc_strv_free(&caps);
}
END_TEST

START_TEST(test_dialogues)
{
    struct mc_strv cmds = {0};
    P->login_commands("alice", "s3cret", &cmds);
    ck_assert_uint_eq(cmds.count, 2);
    ck_assert_str_eq(cmds.items[0].ptr, "USER alice");
    ck_assert_str_eq(cmds.items[1].ptr, "PASS s3cret");
    mc_strv_free(&cmds);
    struct mc_buf b = {0};
    P->auth_command("PLAIN", NULL, &b);
    ck_assert_str_eq(b.data, "AUTH PLAIN");
    mc_buf_reset(&b);
    P->auth_command("PLAIN", "", &b);
    ck_assert_str_eq(b.data, "AUTH PLAIN =");
    mc_buf_reset(&b);
    P->auth_command("PLAIN", "AGEAYg==", &b);
    ck_assert_str_eq(b.data, "AUTH PLAIN AGEAYg==");
    mc_buf_free(&b);
}
END_TEST

START_TEST(test_misuse_is_an_error)
{
    command("NOOP", -1);
    ck_assert_int_eq(feed("+OK"), MC_FRAME_DONE);
    ck_assert_int_eq(feed("+OK again"), MC_FRAME_ERROR);
    ck_assert_int_eq(P->feed_literal(st, "x", 1, &r), MC_FRAME_ERROR);
}
END_TEST

/* Many short lines reach the reply's memory cap long before their octets would: each costs
   MC_SYN_LINE_OVERHEAD beyond its octets, so the cap bounds what the lines really take. */
START_TEST(test_reply_memory_cap_counts_lines)
{
    command("RETR 1", -1);
    ck_assert_int_eq(feed("+OK"), MC_FRAME_MORE);
    enum mc_frame f = MC_FRAME_MORE;
    /* "+OK" costs its 3 octets, every empty line the overhead alone */
    size_t n = 1, most = (MC_SYN_REPLY_MEMORY_MAX - 3) / MC_SYN_LINE_OVERHEAD;
    while (f == MC_FRAME_MORE && n <= most + 1) {
        f = P->feed_line(st, "", 0, &r, &(size_t){0});
        n++;
    }
    ck_assert_int_eq(f, MC_FRAME_ERROR);
    ck_assert_uint_eq(n, most + 1); /* the status line counts too */
    ck_assert_ptr_nonnull(strstr(r.violation, "MC_SYN_REPLY_MEMORY_MAX"));
    ck_assert_ptr_nonnull(strstr(r.violation, "harness safety limit"));
}
END_TEST

START_TEST(test_budget_bytes)
{
    struct mc_syn_budget b = {0};
    struct mc_reply rr = {0};
    size_t line = MC_SYN_LINE_OVERHEAD;
    ck_assert(mc_syn_budget_take(&b, 1, MC_SYN_REPLY_MEMORY_MAX - line - 10, &rr));
    ck_assert(mc_syn_budget_take(&b, 0, 10, &rr));
    ck_assert(!mc_syn_budget_take(&b, 0, 1, &rr));
    ck_assert(!mc_syn_budget_take(&b, 1, 0, &rr)); /* a line costs even without octets */
    ck_assert_ptr_nonnull(strstr(rr.violation, "MiB"));
    ck_assert_uint_eq(b.bytes, MC_SYN_REPLY_MEMORY_MAX);
    struct mc_syn_budget c = {0};
    ck_assert(!mc_syn_budget_take(&c, 0, (size_t)-1, &rr)); /* no overflow */
    ck_assert(!mc_syn_budget_take(&c, (size_t)-1 / 2, 0, &rr));
    ck_assert(!mc_syn_budget_take(&c, 1, (size_t)-1 - 50, &rr));
    ck_assert_uint_eq(c.bytes, 0);
    mc_reply_reset(&rr);
}
END_TEST

/* RFC 2595 4: TLS begins after +OK to STLS, never after -ERR. */
START_TEST(test_starttls_ready)
{
    struct mc_buf why = {0};
    command("STLS", -1);
    ck_assert_int_eq(feed("+OK Begin TLS negotiation"), MC_FRAME_DONE);
    ck_assert(P->starttls_ready(&r, &why));
    command("STLS", -1);
    ck_assert_int_eq(feed("-ERR Command not permitted when TLS active"), MC_FRAME_DONE);
    ck_assert(!P->starttls_ready(&r, &why));
    ck_assert_ptr_nonnull(strstr(why.data, "only +OK does (RFC 2595 section 4)"));
    mc_buf_free(&why);
}
END_TEST

START_TEST(test_raw_and_await)
{
    struct mc_exchange_opts o = {.multiline = -1, .raw = true};
    P->begin(st, MC_EX_COMMAND, "capa\r\nNOOP", 10, &o, &wire);
    ck_assert_uint_eq(wire.len, 10);
    ck_assert_str_eq(wire.data, "capa\r\nNOOP");  /* exactly as given, no CRLF added */
    ck_assert_int_eq(feed("+OK"), MC_FRAME_MORE); /* judged by its first line: CAPA */
    ck_assert_int_eq(feed("."), MC_FRAME_DONE);
    mc_reply_reset(&r);
    mc_buf_reset(&wire);
    P->begin(st, MC_EX_COMMAND, "AUTH PLAIN\r\n", 12, &o, &wire);
    ck_assert_int_eq(feed("+ "), MC_FRAME_DONE);
    ck_assert_int_eq(r.kind, MC_REPLY_CONTINUATION);
    /* await: no line, nothing written */
    mc_reply_reset(&r);
    mc_buf_reset(&wire);
    P->begin(st, MC_EX_CONTINUE, NULL, 0, NULL, &wire);
    ck_assert_uint_eq(wire.len, 0);
    ck_assert_int_eq(feed("+OK"), MC_FRAME_DONE);
    ck_assert_ptr_null(P->auth_ir_capability);
    ck_assert(P->delivery_commands == NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("proto_pop3");
    TCase *tc = tcase_create("pop3");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_registry);
    tcase_add_test(tc, test_registry_lists);
    tcase_add_test(tc, test_registry_schemes);
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_greeting);
    tcase_add_test(tc, test_greeting_garbage);
    tcase_add_test(tc, test_single_line);
    tcase_add_test(tc, test_multiline_dot_unstuffing);
    tcase_add_test(tc, test_err_on_retr_is_single_line);
    tcase_add_test(tc, test_multiline_inference);
    tcase_add_test(tc, test_multiline_override);
    tcase_add_test(tc, test_auth_continuation);
    tcase_add_test(tc, test_bad_status_lines);
    tcase_add_test(tc, test_status_line_length);
    tcase_add_test(tc, test_nul_bytes);
    tcase_add_test(tc, test_eight_bit);
    tcase_add_test(tc, test_capabilities);
    tcase_add_test(tc, test_dialogues);
    tcase_add_test(tc, test_misuse_is_an_error);
    tcase_add_test(tc, test_reply_memory_cap_counts_lines);
    tcase_add_test(tc, test_budget_bytes);
    tcase_add_test(tc, test_raw_and_await);
    tcase_add_test(tc, test_starttls_ready);
    suite_add_tcase(s, tc);
    return mc_check_run(s);
}
