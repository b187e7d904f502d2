/*
 * test_proto_imap — unit tests of the IMAP framer (harness/proto/imap.c): tags, untagged data,
 * continuation requests, literals reassembled into their logical line however they are fed,
 * capability parsing, and what a broken or hostile server gets.
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
static size_t lit;

static void setup(void)
{
    P = &mc_proto_imap;
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
    lit = (size_t)-1;
    return P->feed_line(st, line, strlen(line), &r, &lit);
}

static enum mc_frame feed_lit(const char *data)
{
    return P->feed_literal(st, data, strlen(data), &r);
}

static void exchange(enum mc_exchange ex, const char *line)
{
    mc_reply_reset(&r);
    mc_buf_reset(&wire);
    P->begin(st, ex, line, line ? strlen(line) : 0, NULL, &wire);
}

START_TEST(test_table)
{
    ck_assert_str_eq(P->name, "imap");
    ck_assert_str_eq(P->schemes[0].name, "imap");
    ck_assert_uint_eq(P->schemes[0].port, 143);
    ck_assert(!P->schemes[0].implicit_tls);
    ck_assert_str_eq(P->schemes[1].name, "imaps");
    ck_assert_uint_eq(P->schemes[1].port, 993);
    ck_assert(P->schemes[1].implicit_tls);
    ck_assert_ptr_null(P->schemes[2].name);
    ck_assert(!P->reply_codes);
    ck_assert_str_eq(P->lines_key, "untagged");
    const char *words[] = {"OK", "NO", "BAD", "PREAUTH", "BYE"};
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(P->status_words[i], words[i]);
    ck_assert_ptr_null(P->status_words[5]);
    ck_assert_str_eq(P->capability_command, "CAPABILITY");
    ck_assert_str_eq(P->starttls_command, "STARTTLS");
    ck_assert_str_eq(P->quit_command, "LOGOUT");
    ck_assert_str_eq(P->auth_cancel, "*");
    ck_assert(P->auth_initial_response);
    ck_assert_ptr_null(P->hello_verb);
    ck_assert_uint_ge(P->line_max, 1024 * 1024);
}
END_TEST

START_TEST(test_greeting_capabilities)
{
    exchange(MC_EX_GREETING, NULL);
    ck_assert_uint_eq(wire.len, 0);
    ck_assert_ptr_null(P->current_tag(st));
    ck_assert_int_eq(feed("* OK [CAPABILITY IMAP4rev1 SASL-IR auth=plain  IDLE] Dovecot ready."),
                     MC_FRAME_DONE);
    ck_assert_int_eq(r.kind, MC_REPLY_FINAL);
    ck_assert_str_eq(r.status, "OK");
    ck_assert(r.positive);
    ck_assert_str_eq(r.text, "[CAPABILITY IMAP4rev1 SASL-IR auth=plain  IDLE] Dovecot ready.");
    ck_assert_uint_eq(r.data.count, 1);
    struct mc_strv caps = {0};
    P->greeting_capabilities(&r, &caps);
    ck_assert_uint_eq(caps.count, 4);
    ck_assert_str_eq(caps.items[0].ptr, "IMAP4REV1");
    ck_assert_str_eq(caps.items[1].ptr, "SASL-IR");
    ck_assert_str_eq(caps.items[2].ptr, "AUTH=PLAIN");
    ck_assert_str_eq(caps.items[3].ptr, "IDLE");
    mc_strv_free(&caps);

    exchange(MC_EX_GREETING, NULL);
    ck_assert_int_eq(feed("* OK ready"), MC_FRAME_DONE);
    P->greeting_capabilities(&r, &caps);
    ck_assert_uint_eq(caps.count, 0);
}
END_TEST

START_TEST(test_greeting_kinds)
{
    exchange(MC_EX_GREETING, NULL);
    ck_assert_int_eq(feed("* PREAUTH logged in as alice"), MC_FRAME_DONE);
    ck_assert_str_eq(r.status, "PREAUTH");
    ck_assert(r.positive);
    exchange(MC_EX_GREETING, NULL);
    ck_assert_int_eq(feed("* bye too busy"), MC_FRAME_DONE);
    ck_assert_str_eq(r.status, "BYE");
    ck_assert_str_eq(r.text, "too busy");
    ck_assert(!r.positive);
    static const char *bad[] = {"A1 OK hi", "+ hi", "* NO hi", "*OK", "", "* 1 EXISTS"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        exchange(MC_EX_GREETING, NULL);
        ck_assert_msg(feed(bad[i]) == MC_FRAME_ERROR, "accepted \"%s\"", bad[i]);
        ck_assert_ptr_nonnull(strstr(r.violation, "greeting"));
    }
}
END_TEST

START_TEST(test_tags_increment)
{
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_str_eq(wire.data, "A0001 NOOP\r\n");
    ck_assert_str_eq(P->current_tag(st), "A0001");
    ck_assert_int_eq(feed("A0001 OK NOOP completed"), MC_FRAME_DONE);
    exchange(MC_EX_COMMAND, "CAPABILITY");
    ck_assert_str_eq(wire.data, "A0002 CAPABILITY\r\n");
    ck_assert_str_eq(P->current_tag(st), "A0002");
    ck_assert_int_eq(feed("A0001 OK old tag"), MC_FRAME_ERROR);
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_str_eq(P->current_tag(st), "A0003");
    /* tags are per session */
    struct mc_proto_state *other = P->state_new();
    struct mc_buf w2 = {0};
    P->begin(other, MC_EX_COMMAND, "NOOP", 4, NULL, &w2);
    ck_assert_str_eq(w2.data, "A0001 NOOP\r\n");
    mc_buf_free(&w2);
    P->state_free(other);
}
END_TEST

START_TEST(test_untagged_collection)
{
    exchange(MC_EX_COMMAND, "SELECT INBOX");
    ck_assert_int_eq(feed("* 172 EXISTS"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("* FLAGS (\\Answered \\Seen)"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("* BYE going away"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("A0001 ok [READ-WRITE] SELECT completed"), MC_FRAME_DONE);
    ck_assert_int_eq(r.kind, MC_REPLY_FINAL);
    ck_assert_str_eq(r.status, "OK");
    ck_assert(r.positive);
    ck_assert_str_eq(r.text, "[READ-WRITE] SELECT completed");
    ck_assert_str_eq(r.status_line, "A0001 ok [READ-WRITE] SELECT completed");
    ck_assert_uint_eq(r.data.count, 3);
    ck_assert_str_eq(r.data.items[0].ptr, "* 172 EXISTS");
    ck_assert_str_eq(r.data.items[2].ptr, "* BYE going away");
    ck_assert_uint_eq(r.lines.count, 4);
    ck_assert_str_eq(r.lines.items[3].ptr, "A0001 ok [READ-WRITE] SELECT completed");
    ck_assert_uint_eq(r.literals.count, 0);

    exchange(MC_EX_COMMAND, "DELETE INBOX");
    ck_assert_int_eq(feed("A0002 NO cannot"), MC_FRAME_DONE);
    ck_assert(!r.positive);
    ck_assert_str_eq(r.text, "cannot");
    exchange(MC_EX_COMMAND, "FOO");
    ck_assert_int_eq(feed("A0003 BAD"), MC_FRAME_DONE);
    ck_assert_str_eq(r.status, "BAD");
    ck_assert_str_eq(r.text, "");
}
END_TEST

START_TEST(test_continuation)
{
    exchange(MC_EX_COMMAND, "AUTHENTICATE PLAIN");
    ck_assert_int_eq(feed("+ "), MC_FRAME_DONE);
    ck_assert_int_eq(r.kind, MC_REPLY_CONTINUATION);
    ck_assert_str_eq(r.status, "+");
    ck_assert_str_eq(r.text, "");
    ck_assert_uint_eq(r.data.count, 0);
    ck_assert_uint_eq(r.lines.count, 1);
    exchange(MC_EX_CONTINUE, "AGFsaWNlAHB3");
    ck_assert_str_eq(wire.data, "AGFsaWNlAHB3\r\n");
    ck_assert_str_eq(P->current_tag(st), "A0001");
    ck_assert_int_eq(feed("* CAPABILITY IMAP4rev1"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("A0001 OK authenticated"), MC_FRAME_DONE);
    ck_assert_int_eq(r.kind, MC_REPLY_FINAL);

    exchange(MC_EX_COMMAND, "APPEND INBOX {5}");
    ck_assert_int_eq(feed("+ Ready for literal data"), MC_FRAME_DONE);
    ck_assert_str_eq(r.text, "Ready for literal data");
    exchange(MC_EX_COMMAND, "IDLE");
    ck_assert_int_eq(feed("+"), MC_FRAME_DONE);
    ck_assert_str_eq(r.text, "");
    ck_assert_int_eq(r.kind, MC_REPLY_CONTINUATION);
}
END_TEST

/* A literal8 (RFC 3516 7) may carry NUL; its octets may come in several feeds. */
START_TEST(test_literal_spanning_feeds)
{
    exchange(MC_EX_COMMAND, "FETCH 1 BINARY[]");
    ck_assert_int_eq(feed("* 1 FETCH (BINARY[] ~{10}"), MC_FRAME_LITERAL);
    ck_assert_uint_eq(lit, 10);
    ck_assert_int_eq(feed_lit("Hell"), MC_FRAME_LITERAL);
    ck_assert_int_eq(P->feed_literal(st, "o\r\n\0ab", 6, &r), MC_FRAME_MORE);
    ck_assert_int_eq(feed(" FLAGS (\\Seen))"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("A0001 OK done"), MC_FRAME_DONE);
    static const char want[] = "* 1 FETCH (BINARY[] ~{10}\r\nHello\r\n\0ab FLAGS (\\Seen))";
    ck_assert_uint_eq(r.data.count, 1);
    ck_assert_uint_eq(r.data.items[0].len, sizeof want - 1);
    ck_assert_int_eq(memcmp(r.data.items[0].ptr, want, sizeof want - 1), 0);
    ck_assert_uint_eq(r.lines.count, 2);
    ck_assert_int_eq(memcmp(r.lines.items[0].ptr, want, sizeof want - 1), 0);
    ck_assert_uint_eq(r.literals.count, 1);
    ck_assert_uint_eq(r.literals.items[0].len, 10);
    ck_assert_int_eq(memcmp(r.literals.items[0].ptr, "Hello\r\n\0ab", 10), 0);
}
END_TEST

START_TEST(test_two_literals_one_line)
{
    exchange(MC_EX_COMMAND, "FETCH 1 (BODY[HEADER] BODY[TEXT])");
    ck_assert_int_eq(feed("* 1 FETCH (BODY[HEADER] {3}"), MC_FRAME_LITERAL);
    ck_assert_uint_eq(lit, 3);
    ck_assert_int_eq(feed_lit("abc"), MC_FRAME_MORE);
    ck_assert_int_eq(feed(" BODY[TEXT] {2+}"), MC_FRAME_LITERAL);
    ck_assert_uint_eq(lit, 2);
    ck_assert_int_eq(feed_lit("de"), MC_FRAME_MORE);
    ck_assert_int_eq(feed(" X ~{0}"), MC_FRAME_MORE); /* empty literal: nothing to read */
    ck_assert_int_eq(feed(")"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("* 2 EXISTS"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("A0001 OK"), MC_FRAME_DONE);
    ck_assert_uint_eq(r.data.count, 2);
    ck_assert_str_eq(r.data.items[0].ptr,
                     "* 1 FETCH (BODY[HEADER] {3}\r\nabc BODY[TEXT] {2+}\r\nde X ~{0}\r\n)");
    ck_assert_str_eq(r.data.items[1].ptr, "* 2 EXISTS");
    ck_assert_uint_eq(r.literals.count, 3);
    ck_assert_uint_eq(r.literals.items[0].len, 3);
    ck_assert_int_eq(memcmp(r.literals.items[0].ptr, "abc", 3), 0);
    ck_assert_uint_eq(r.literals.items[1].len, 2);
    ck_assert_int_eq(memcmp(r.literals.items[1].ptr, "de", 2), 0);
    ck_assert_uint_eq(r.literals.items[2].len, 0);
    /* Each line is stored once: data and literals are views into it. */
    ck_assert_ptr_eq(r.data.items[0].ptr, r.lines.items[0].ptr);
    ck_assert_ptr_eq(r.literals.items[0].ptr, r.lines.items[0].ptr + 29);
}
END_TEST

START_TEST(test_not_a_literal)
{
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(feed("* OK {x}"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("* OK 5}"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("* OK {}"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("* OK {+}"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("A0001 OK done {5}"), MC_FRAME_DONE); /* resp-text has no literal */
    ck_assert_uint_eq(r.data.count, 4);
    ck_assert_uint_eq(r.literals.count, 0);
}
END_TEST

START_TEST(test_wrong_tag)
{
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(feed("* 1 EXISTS"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("B0001 OK done"), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(r.violation);
    ck_assert_ptr_nonnull(strstr(r.violation, "2.2.1"));
    ck_assert_ptr_nonnull(strstr(r.violation, "A0001"));
    static const char *bad[] = {"a0001 OK", "A00011 OK", "", "*", "*1 EXISTS", "A0001", "OK"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        exchange(MC_EX_COMMAND, "NOOP");
        ck_assert_msg(feed(bad[i]) == MC_FRAME_ERROR, "accepted \"%s\"", bad[i]);
        ck_assert_ptr_nonnull(r.violation);
    }
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(feed("A0009 MAYBE so"), MC_FRAME_ERROR); /* our tag, no valid status */
    ck_assert_ptr_nonnull(strstr(r.violation, "7.1"));
}
END_TEST

START_TEST(test_huge_literal)
{
    exchange(MC_EX_COMMAND, "FETCH 1 BODY[]");
    ck_assert_int_eq(feed("* 1 FETCH (BODY[] {99999999999999999999999999}"), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "harness safety limit"));
    ck_assert_uint_eq(r.data.count, 0);
    ck_assert_uint_eq(r.literals.count, 0);
    exchange(MC_EX_COMMAND, "FETCH 1 BODY[]");
    ck_assert_int_eq(feed("* 1 FETCH (BODY[] {18446744073709551615}"), MC_FRAME_ERROR);
    exchange(MC_EX_COMMAND, "FETCH 1 BODY[]");
    ck_assert_int_eq(feed("* 1 FETCH (BODY[] {67108865}"), MC_FRAME_ERROR);
    exchange(MC_EX_COMMAND, "FETCH 1 BODY[]");
    ck_assert_int_eq(feed("* 1 FETCH (BODY[] {67108864}"), MC_FRAME_LITERAL);
    ck_assert_uint_eq(lit, 64u * 1024 * 1024);
}
END_TEST

START_TEST(test_literal_misuse)
{
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(feed_lit("abc"), MC_FRAME_ERROR);
    exchange(MC_EX_COMMAND, "FETCH 1 BODY[]");
    ck_assert_int_eq(feed("* 1 FETCH (BODY[] {2}"), MC_FRAME_LITERAL);
    ck_assert_int_eq(feed_lit("abc"), MC_FRAME_ERROR);
    exchange(MC_EX_COMMAND, "FETCH 1 BODY[]");
    ck_assert_int_eq(feed("* 1 FETCH (BODY[] {2}"), MC_FRAME_LITERAL);
    ck_assert_int_eq(feed("A0003 OK"), MC_FRAME_ERROR); /* literal octets were due */
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(feed("A0004 OK"), MC_FRAME_DONE);
    ck_assert_int_eq(feed("A0004 OK"), MC_FRAME_ERROR);
}
END_TEST

START_TEST(test_capabilities)
{
    exchange(MC_EX_COMMAND, "CAPABILITY");
    ck_assert_int_eq(feed("* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED AUTH=PLAIN"),
                     MC_FRAME_MORE);
    ck_assert_int_eq(feed("* capability IMAP4rev2 idle"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("* OK [ALERT] nothing here"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("A0001 OK [CAPABILITY IMAP4rev1 UIDPLUS] done"), MC_FRAME_DONE);
    struct mc_strv caps = {0};
    P->capabilities(&r, &caps);
    const char *want[] = {"IMAP4REV1", "STARTTLS", "LOGINDISABLED", "AUTH=PLAIN",
                          "IMAP4REV2", "IDLE",     "UIDPLUS"};
    ck_assert_uint_eq(caps.count, 7);
    for (size_t i = 0; i < 7; i++)
        ck_assert_str_eq(caps.items[i].ptr, want[i]);
    mc_strv_free(&caps);
}
END_TEST

START_TEST(test_dialogues)
{
    struct mc_strv cmds = {0};
    P->login_commands("al\"ice", "p\\w d", &cmds);
    ck_assert_uint_eq(cmds.count, 1);
    ck_assert_str_eq(cmds.items[0].ptr, "LOGIN \"al\\\"ice\" \"p\\\\w d\"");
    mc_strv_free(&cmds);
    struct mc_buf b = {0};
    P->auth_command("PLAIN", NULL, &b);
    ck_assert_str_eq(b.data, "AUTHENTICATE PLAIN");
    mc_buf_reset(&b);
    P->auth_command("EXTERNAL", "", &b);
    ck_assert_str_eq(b.data, "AUTHENTICATE EXTERNAL =");
    mc_buf_reset(&b);
    P->auth_command("PLAIN", "AGEAYg==", &b);
    ck_assert_str_eq(b.data, "AUTHENTICATE PLAIN AGEAYg==");
    mc_buf_free(&b);
}
END_TEST

/* RFC 3501 9 / RFC 9051 9: a response line is TEXT-CHAR, never NUL; the line that broke the
   grammar becomes the status line, all of it. */
START_TEST(test_nul_in_untagged)
{
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(P->feed_line(st, "* 1 \0EXISTS", 11, &r, &lit), MC_FRAME_ERROR);
    ck_assert_str_eq(r.violation, "line \"* 1 \\x00EXISTS\": octet 0x00 (NUL) at offset 4 is not "
                                  "allowed (RFC 3501 9 / RFC 9051 9: a response line is "
                                  "TEXT-CHAR, any CHAR (%x01-7F) but CR and LF; 8-bit only as "
                                  "UTF-8 (UTF8-2 / UTF8-3 / UTF8-4, RFC 9051 9))");
    ck_assert_uint_eq(r.status_line_len, 11);
    ck_assert_int_eq(memcmp(r.status_line, "* 1 \0EXISTS", 11), 0);
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(P->feed_line(st, "A0002 OK\0", 9, &r, &lit), MC_FRAME_ERROR);
    exchange(MC_EX_GREETING, NULL);
    ck_assert_int_eq(P->feed_line(st, "* OK hi\0", 8, &r, &lit), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "offset 7"));
}
END_TEST

/* TEXT-CHAR excludes CR; 8-bit text is accepted as well-formed UTF-8 only; other controls are
   CHAR and pass. */
START_TEST(test_line_octets)
{
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(feed("* OK a\rb"), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "octet 0x0d (CR without LF) at offset 6"));
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(feed("* OK caf\xe9"), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "octet 0xe9 (not part of well-formed UTF-8) at "
                                              "offset 8"));
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_int_eq(feed("* OK [ALERT] Gr\xc3\xbc\xc3\x9f"
                          "e \x01\x7f\t"),
                     MC_FRAME_MORE);
    ck_assert_int_eq(feed("A0003 OK caf\xc3\xa9"), MC_FRAME_DONE);
}
END_TEST

/* literal = "{" number "}" CRLF *CHAR8: NUL is refused, at its offset in the literal however
   the octets were fed; 8-bit octets, CR and LF are CHAR8. */
START_TEST(test_nul_in_literal)
{
    exchange(MC_EX_COMMAND, "FETCH 1 BODY[]");
    ck_assert_int_eq(feed("* 1 FETCH (BODY[] {10}"), MC_FRAME_LITERAL);
    ck_assert_int_eq(feed_lit("H\xe9l\r"), MC_FRAME_LITERAL);
    ck_assert_int_eq(P->feed_literal(st, "\nx\0ab", 6, &r), MC_FRAME_ERROR);
    ck_assert_ptr_nonnull(strstr(r.violation, "literal: octet 0x00 (NUL) at offset 6 of its data"));
    ck_assert_ptr_nonnull(strstr(r.violation, "CHAR8 = %x01-ff; NUL only in a literal8"));
}
END_TEST

/* RFC 3501 6.2.1: a tagged OK starts TLS; "+ go on" is positive but asks for more. */
START_TEST(test_starttls_ready)
{
    struct mc_buf why = {0};
    exchange(MC_EX_COMMAND, "STARTTLS");
    ck_assert_int_eq(feed("A0001 OK Begin TLS negotiation now"), MC_FRAME_DONE);
    ck_assert(P->starttls_ready(&r, &why));
    exchange(MC_EX_COMMAND, "STARTTLS");
    ck_assert_int_eq(feed("+ go on"), MC_FRAME_DONE);
    ck_assert(r.positive);
    ck_assert(!P->starttls_ready(&r, &why));
    ck_assert_ptr_nonnull(strstr(why.data, "\"+ go on\" to STARTTLS"));
    ck_assert_ptr_nonnull(strstr(why.data, "only a tagged OK does (RFC 3501 section 6.2.1)"));
    mc_buf_reset(&why);
    exchange(MC_EX_COMMAND, "STARTTLS");
    ck_assert_int_eq(feed("A0003 BAD no"), MC_FRAME_DONE);
    ck_assert(!P->starttls_ready(&r, NULL));
    mc_buf_free(&why);
}
END_TEST

/* The password as LOGIN's quoted string writes it, for masking in reports; none when quoting
   leaves it as it is. */
START_TEST(test_secret_forms)
{
    struct mc_strv as_password = {0}, encoded = {0};
    mc_proto_imap.secret_forms("mcx", "se\"cr\\et", &as_password, &encoded);
    ck_assert_uint_eq(as_password.count, 1);
    ck_assert_str_eq(as_password.items[0].ptr, "se\\\"cr\\\\et");
    ck_assert_uint_eq(encoded.count, 0);
    mc_strv_clear(&as_password);
    mc_proto_imap.secret_forms("mc01", "plain-secret", &as_password, &encoded);
    ck_assert_uint_eq(as_password.count, 0);
    mc_strv_free(&as_password);
}
END_TEST

START_TEST(test_raw_command)
{
    struct mc_exchange_opts o = {.multiline = -1, .raw = true};
    exchange(MC_EX_COMMAND, "NOOP"); /* A0001 */
    mc_reply_reset(&r);
    mc_buf_reset(&wire);
    P->begin(st, MC_EX_COMMAND, "x.1 NOOP\r\nx.2 NOOP\r\n", 20, &o, &wire);
    ck_assert_str_eq(wire.data, "x.1 NOOP\r\nx.2 NOOP\r\n");
    ck_assert_str_eq(P->current_tag(st), "x.1");
    ck_assert_int_eq(feed("A0001 OK"), MC_FRAME_ERROR);
    mc_reply_reset(&r);
    P->begin(st, MC_EX_COMMAND, "x.1 NOOP\r\n", 10, &o, &wire);
    ck_assert_int_eq(feed("x.1 OK done"), MC_FRAME_DONE);
    ck_assert_str_eq(r.text, "done");
    /* the counter goes on after a raw send */
    exchange(MC_EX_COMMAND, "NOOP");
    ck_assert_str_eq(P->current_tag(st), "A0002");
    /* a raw send with no tag: nothing can be tagged for it */
    mc_reply_reset(&r);
    P->begin(st, MC_EX_COMMAND, "\r\n", 2, &o, &wire);
    ck_assert_ptr_null(P->current_tag(st));
    ck_assert_int_eq(feed("* BAD empty command"), MC_FRAME_MORE);
    ck_assert_int_eq(feed("A0002 OK"), MC_FRAME_ERROR);
    /* await: no line, nothing written, same tag */
    exchange(MC_EX_COMMAND, "IDLE");
    ck_assert_int_eq(feed("+ idling"), MC_FRAME_DONE);
    exchange(MC_EX_CONTINUE, NULL);
    ck_assert_uint_eq(wire.len, 0);
    ck_assert_int_eq(feed("* 4 EXISTS"), MC_FRAME_MORE);
    exchange(MC_EX_CONTINUE, "DONE");
    ck_assert_str_eq(wire.data, "DONE\r\n");
    ck_assert_int_eq(feed("A0003 OK IDLE terminated"), MC_FRAME_DONE);
    ck_assert_str_eq(P->auth_ir_capability, "SASL-IR");
    ck_assert(P->delivery_commands == NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("proto_imap");
    TCase *tc = tcase_create("imap");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_greeting_capabilities);
    tcase_add_test(tc, test_greeting_kinds);
    tcase_add_test(tc, test_tags_increment);
    tcase_add_test(tc, test_untagged_collection);
    tcase_add_test(tc, test_continuation);
    tcase_add_test(tc, test_literal_spanning_feeds);
    tcase_add_test(tc, test_two_literals_one_line);
    tcase_add_test(tc, test_not_a_literal);
    tcase_add_test(tc, test_wrong_tag);
    tcase_add_test(tc, test_huge_literal);
    tcase_add_test(tc, test_literal_misuse);
    tcase_add_test(tc, test_capabilities);
    tcase_add_test(tc, test_dialogues);
    tcase_add_test(tc, test_nul_in_untagged);
    tcase_add_test(tc, test_line_octets);
    tcase_add_test(tc, test_nul_in_literal);
    tcase_add_test(tc, test_raw_command);
    tcase_add_test(tc, test_secret_forms);
    tcase_add_test(tc, test_starttls_ready);
    suite_add_tcase(s, tc);
    return mc_check_run(s);
}
