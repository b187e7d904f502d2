/*
 * test_loader — the scenario loader, its position index and mc_scenario_collect.
 *
 * Good files (tests/data/scenarios-good/) must load into exactly the model they describe; each
 * bad file (tests/data/scenarios-bad/) must give exactly the listed errors, with line, column
 * and field. Files are found through MC_SOURCE_DIR (set by ctest), else the current folder.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/jsonpos.h"
#include "engine/loader.h"
#include "engine/loader_internal.h"
#include "support_check.h"

static char *data_path(const char *dir, const char *file)
{
    const char *root = getenv("MC_SOURCE_DIR");
    struct mc_buf b = {0};
    mc_buf_printf(&b, "%s/tests/data/%s/%s", root ? root : ".", dir, file);
    return mc_buf_steal(&b);
}

static struct mc_scenario *load_good(const char *file)
{
    char *path = data_path("scenarios-good", file);
    struct mc_buf err = {0};
    struct mc_scenario *s = mc_scenario_load(path, &err);
    ck_assert_msg(s != NULL, "%s did not load:\n%s", path, err.data ? err.data : "");
    ck_assert_uint_eq(err.len, 0);
    ck_assert_str_eq(s->file, path);
    mc_buf_free(&err);
    free(path);
    return s;
}

/* --- jsonpos --- */

static void assert_pos(const struct mc_jsonpos *jp, const char *path, int line, int col)
{
    int l = 0, c = 0;
    ck_assert_msg(mc_jsonpos_find(jp, path, &l, &c) == 0, "path '%s' not indexed", path);
    ck_assert_msg(l == line && c == col, "%s: %d:%d, expected %d:%d", path, l, c, line, col);
}

START_TEST(jsonpos_paths_and_positions)
{
    const char *t = "{\"a\": 1,\n"
                    " \"b\": [true, {\"c\": \"x\\\"]}\"}, [], {}],\n"
                    "\t\"\\u0041\\n\": null, \"é\": \"ü\", \"d\": [[1, [2]]]}";
    struct mc_jsonpos *jp = mc_jsonpos_build(t, strlen(t));
    ck_assert_ptr_nonnull(jp);
    assert_pos(jp, "", 1, 1);
    assert_pos(jp, "a", 1, 7);
    assert_pos(jp, "b", 2, 7);
    assert_pos(jp, "b[0]", 2, 8);
    assert_pos(jp, "b[1]", 2, 14);
    assert_pos(jp, "b[1].c", 2, 20);
    assert_pos(jp, "b[2]", 2, 30);
    assert_pos(jp, "b[3]", 2, 34);
    assert_pos(jp, "A\n", 3, 14); /* keys are decoded; a tab is one column */
    assert_pos(jp, "é", 3, 25);   /* columns count characters, not bytes */
    assert_pos(jp, "d[0][1][0]", 3, 41);
    ck_assert_uint_eq(mc_jsonpos_count(jp), 15);
    int l, c;
    ck_assert_int_eq(mc_jsonpos_find_key(jp, "b[1].c", &l, &c), 0);
    ck_assert_int_eq(l, 2);
    ck_assert_int_eq(c, 15);
    ck_assert_int_eq(mc_jsonpos_find_key(jp, "b[0]", &l, &c), 0); /* element: its value */
    ck_assert_int_eq(c, 8);
    ck_assert_int_eq(mc_jsonpos_find(jp, "b[4]", &l, &c), -1);
    ck_assert_int_eq(mc_jsonpos_find(jp, "c", &l, &c), -1);
    mc_jsonpos_free(jp);
}
END_TEST

START_TEST(jsonpos_surrogates_and_scalars)
{
    const char *t = "[\"\\ud83d\\ude00\", -1.5e3, false, {\"\\ud83d\\ude00\": 0}]";
    struct mc_jsonpos *jp = mc_jsonpos_build(t, strlen(t));
    ck_assert_ptr_nonnull(jp);
    assert_pos(jp, "[1]", 1, 18);
    assert_pos(jp, "[2]", 1, 26);
    assert_pos(jp, "[3].\xf0\x9f\x98\x80", 1, 50);
    mc_jsonpos_free(jp);
}
END_TEST

START_TEST(jsonpos_refuses_broken_text)
{
    const char *bad[] = {"", "{", "[1,", "{\"a\" 1}", "{\"a\": 1}}", "\"abc", "[1] x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(mc_jsonpos_build(bad[i], strlen(bad[i])) == NULL, "accepted '%s'", bad[i]);
    mc_jsonpos_free(NULL);
}
END_TEST

START_TEST(jsonpos_deep_nesting)
{
    enum { DEPTH = 20000 }; /* no recursion: deeper than any C stack would allow */
    char *t = malloc(2 * DEPTH + 1);
    memset(t, '[', DEPTH);
    memset(t + DEPTH, ']', DEPTH);
    t[2 * DEPTH] = '\0';
    struct mc_jsonpos *jp = mc_jsonpos_build(t, 2 * DEPTH);
    ck_assert_ptr_nonnull(jp);
    ck_assert_uint_eq(mc_jsonpos_count(jp), DEPTH);
    assert_pos(jp, "[0][0][0]", 1, 4);
    mc_jsonpos_free(jp);
    free(t);
}
END_TEST

/* Every value jansson sees in a fixture is found by its path, and nothing else is indexed. */
static size_t walk_values(const struct mc_jsonpos *jp, json_t *v, const char *path)
{
    int l, c;
    ck_assert_msg(mc_jsonpos_find(jp, path, &l, &c) == 0, "'%s' not found", path);
    size_t n = 1;
    char p[LD_PATH_MAX];
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m)
        {
            mc_ld_path_key(p, path, k);
            n += walk_values(jp, m, p);
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            mc_ld_path_index(p, path, i);
            n += walk_values(jp, json_array_get(v, i), p);
        }
    }
    return n;
}

START_TEST(jsonpos_agrees_with_jansson)
{
    const char *dirs[] = {"scenarios-good", "scenarios-bad"};
    for (size_t d = 0; d < 2; d++) {
        char *dir = data_path(dirs[d], "");
        const char *paths[] = {dir};
        struct mc_strv files = {0};
        struct mc_buf err = {0};
        ck_assert_int_eq(mc_scenario_collect(paths, 1, &files, &err), 0);
        for (size_t i = 0; i < files.count; i++) {
            json_error_t je;
            json_t *root =
                json_load_file(files.items[i].ptr, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
            if (!root)
                continue; /* the syntax-error and duplicate-key fixtures */
            FILE *f = fopen(files.items[i].ptr, "rb");
            char buf[65536];
            size_t len = fread(buf, 1, sizeof buf, f);
            fclose(f);
            struct mc_jsonpos *jp = mc_jsonpos_build(buf, len);
            ck_assert_ptr_nonnull(jp);
            ck_assert_uint_eq(walk_values(jp, root, ""), mc_jsonpos_count(jp));
            mc_jsonpos_free(jp);
            json_decref(root);
        }
        mc_strv_free(&files);
        mc_buf_free(&err);
        free(dir);
    }
}
END_TEST

/* --- good files --- */

START_TEST(good_pop3_sketch)
{
    struct mc_scenario *s = load_good("pop3-dele-without-quit.json");
    ck_assert_str_eq(s->id, "pop3.update.dele-without-quit-keeps-mail");
    ck_assert_int_eq(s->level, MC_LEVEL_MUST);
    ck_assert_uint_eq(s->rfc.count, 2);
    ck_assert_int_eq(s->rfc.items[1].rfc, 1939);
    ck_assert_str_eq(s->rfc.items[1].section, "8");
    ck_assert_uint_eq(s->tag_count, 2);
    ck_assert_str_eq(s->tags[1], "update");
    ck_assert_uint_eq(s->require_count, 0);
    ck_assert_int_eq(s->users, 1);
    ck_assert_int_eq(s->fixture_messages, 2);
    ck_assert_uint_eq(s->session_count, 2);
    ck_assert_str_eq(s->sessions[0].name, "a");
    ck_assert_ptr_eq(s->sessions[0].proto, mc_protocol_find("pop3"));
    ck_assert_int_eq(s->sessions[1].tls, MC_TLS_NONE);
    ck_assert_ptr_null(s->sessions[1].endpoint);
    ck_assert_int_eq(s->sessions[1].user, 1);
    ck_assert_uint_eq(s->step_count, 6);
    const struct mc_step *st = &s->steps[0];
    ck_assert_int_eq(st->kind, MC_STEP_LOGIN);
    ck_assert_int_eq(st->session, 0);
    ck_assert(!st->has_expect);
    ck_assert_int_eq(st->line, 11);
    ck_assert_int_eq(st->column, 5);
    st = &s->steps[1];
    ck_assert_int_eq(st->kind, MC_STEP_SEND);
    ck_assert_str_eq(st->text, "STAT");
    ck_assert(st->new_command);
    ck_assert_int_eq(st->expect.ok, 1);
    ck_assert_str_eq(st->expect.match, "^\\+OK (?<n>\\d+) \\d+");
    ck_assert_str_eq(st->expect_json, "{\"ok\":true,\"match\":\"^\\\\+OK (?<n>\\\\d+) \\\\d+\"}");
    ck_assert_int_eq(s->steps[3].kind, MC_STEP_CLOSE);
    ck_assert_str_eq(s->steps[3].text, "abort");
    st = &s->steps[5];
    ck_assert_int_eq(st->session, 1);
    ck_assert_str_eq(st->expect.match, "^\\+OK ${n} ");
    ck_assert_ptr_nonnull(st->why);
    ck_assert_int_eq(st->level, -1);
    ck_assert_uint_eq(st->rfc.count, 0);
    ck_assert_int_eq(st->line, 16);
    mc_scenario_free(s);
}
END_TEST

START_TEST(good_imap_sketch)
{
    struct mc_scenario *s = load_good("imap-close-expunge-two-sessions.json");
    ck_assert_uint_eq(s->session_count, 2);
    ck_assert_str_eq(s->sessions[1].name, "two");
    ck_assert_ptr_eq(s->sessions[1].proto, mc_protocol_find("imap"));
    ck_assert_uint_eq(s->step_count, 9);
    ck_assert_str_eq(s->steps[1].expect.status, "OK");
    const struct mc_step *st = &s->steps[6];
    ck_assert_str_eq(st->text, "CLOSE");
    ck_assert_uint_eq(st->expect.lines_none.count, 1);
    ck_assert_uint_eq(st->rfc.count, 1);
    ck_assert_str_eq(st->rfc.items[0].section, "6.4.2");
    st = &s->steps[7];
    ck_assert_uint_eq(st->expect.lines.count, 2);
    ck_assert_str_eq(st->expect.lines.items[1], "^\\* [12] EXPUNGE$");
    ck_assert_uint_eq(st->expect.lines_may.count, 2);
    ck_assert(st->expect.lines_may_given);
    st = &s->steps[8];
    ck_assert(st->expect.lines_may_given);
    ck_assert_uint_eq(st->expect.lines_may.count, 0);
    ck_assert_str_eq(st->expect.lines.items[0], "^\\* 1 FETCH \\(UID ${kept}\\)$");
    ck_assert(!s->steps[7].expect.continuation);
    mc_scenario_free(s);
}
END_TEST

START_TEST(good_cross_sketch)
{
    struct mc_scenario *s = load_good("cross-submission-starttls-imap-partial.json");
    ck_assert_uint_eq(s->require_count, 3);
    ck_assert_str_eq(s->requires[2], "smtp:AUTH=PLAIN");
    const struct mc_session_spec *out = &s->sessions[0];
    ck_assert_str_eq(out->name, "out");
    ck_assert_ptr_eq(out->proto, mc_protocol_find("smtp"));
    ck_assert_int_eq(out->tls, MC_TLS_STARTTLS);
    ck_assert_str_eq(out->endpoint, "submission");
    const struct mc_step *st = &s->steps[0];
    ck_assert_int_eq(st->expect.code, 250);
    ck_assert_uint_eq(st->expect.lines.count, 1);
    st = &s->steps[1];
    ck_assert_int_eq(st->kind, MC_STEP_AUTH);
    ck_assert_str_eq(st->text, "PLAIN"); /* written "plain": stored upper-case */
    ck_assert_str_eq(st->expect.enhanced, "2.7.0");
    ck_assert_int_eq(s->steps[3].expect.code_class, 2);
    ck_assert_int_eq(s->steps[3].expect.code, 0);
    st = &s->steps[5];
    ck_assert_int_eq(st->kind, MC_STEP_SEND_MESSAGE);
    ck_assert_str_eq(st->message.subject, "partial ${run_id}");
    ck_assert_int_eq(st->message.body_lines, 2000);
    ck_assert_ptr_null(st->message.from);
    ck_assert_ptr_null(st->message.body);
    ck_assert_int_eq(s->steps[9].timeout_ms, 30000);
    ck_assert_int_eq(s->steps[9].session, 1);
    ck_assert_str_eq(s->steps[10].text,
                     "UID FETCH ${uid} (BODY.PEEK[HEADER] BODY.PEEK[TEXT]<0.100>)");
    mc_scenario_free(s);
}
END_TEST

START_TEST(good_every_step_kind)
{
    struct mc_scenario *s = load_good("every-step-kind.json");
    ck_assert_int_eq(s->level, MC_LEVEL_SHOULD);
    ck_assert_str_eq(s->rfc.items[0].section, "4.1.1");
    ck_assert_int_eq(s->users, 3);
    ck_assert_uint_eq(s->require_count, 4);
    ck_assert_uint_eq(s->session_count, 4);
    const char *names[] = {"p", "i", "s", "l"};
    const char *protos[] = {"pop3", "imap", "smtp", "lmtp"};
    const enum mc_tls_mode tls[] = {MC_TLS_IMPLICIT, MC_TLS_STARTTLS, MC_TLS_NONE, MC_TLS_NONE};
    const int users[] = {1, 2, 1, 3};
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(s->sessions[i].name, names[i]);
        ck_assert_ptr_eq(s->sessions[i].proto, mc_protocol_find(protos[i]));
        ck_assert_int_eq(s->sessions[i].tls, tls[i]);
        ck_assert_int_eq(s->sessions[i].user, users[i]);
    }
    ck_assert_str_eq(s->sessions[3].endpoint, "lmtp");
    ck_assert_uint_eq(s->step_count, 17);
    const enum mc_step_kind kinds[] = {
        MC_STEP_CONNECT,      MC_STEP_SEND, MC_STEP_SEND,         MC_STEP_SEND,
        MC_STEP_SEND,         MC_STEP_SEND, MC_STEP_AWAIT,        MC_STEP_SEND,
        MC_STEP_STARTTLS,     MC_STEP_AUTH, MC_STEP_SEND_RAW,     MC_STEP_SEND_RAW,
        MC_STEP_DELIVER,      MC_STEP_WAIT, MC_STEP_SEND_MESSAGE, MC_STEP_CLOSE,
        MC_STEP_EXPECT_CLOSE,
    };
    for (size_t i = 0; i < 17; i++) {
        ck_assert_int_eq(s->steps[i].kind, kinds[i]);
        ck_assert_int_eq(s->steps[i].line, 19 + (int)i);
        ck_assert_int_eq(s->steps[i].column, 5);
    }
    const struct mc_step *st = s->steps;
    ck_assert_str_eq(st[0].expect.status, "+OK");
    ck_assert_str_eq(st[1].text, "APOP ${user} x$${stamp}");
    ck_assert_int_eq(st[1].expect.ok, 0);
    ck_assert_int_eq(st[2].expect.multiline, 1);
    ck_assert(st[2].expect.lines_may_given);
    ck_assert(st[3].expect.continuation);
    ck_assert(!st[4].new_command); /* "continue": true */
    ck_assert_str_eq(st[4].expect.status, "OK");
    ck_assert_uint_eq(st[6].expect.lines_in_order.count, 1);
    ck_assert_int_eq(st[6].timeout_ms, 5000);
    ck_assert(st[7].new_command); /* "continue": false */
    ck_assert_str_eq(st[7].expect.not_match, "BAD");
    ck_assert_int_eq(st[8].expect.code, 220);
    ck_assert_str_eq(st[9].text, "SCRAM-SHA-256");
    ck_assert_int_eq(st[9].expect.ok, 1);
    ck_assert_int_eq(st[9].expect.code_class, 2);
    /* send_raw: pieces with lengths, a repeat, and a NUL kept */
    ck_assert_uint_eq(st[10].raw_count, 3);
    ck_assert_uint_eq(st[10].raw[0].len, 17);
    ck_assert_uint_eq(st[10].raw[0].repeat, 1);
    ck_assert_str_eq(st[10].raw[1].text, "X");
    ck_assert_uint_eq(st[10].raw[1].repeat, 3);
    ck_assert_uint_eq(st[10].raw[2].len, 3);
    ck_assert(memcmp(st[10].raw[2].text, "\0\r\n", 3) == 0);
    ck_assert_str_eq(st[10].expect_json, "{\"class\":5}");
    ck_assert(st[11].new_command); /* send_raw starts a command unless "continue" */
    ck_assert(!st[11].has_expect);
    ck_assert_ptr_null(st[11].expect_json);
    ck_assert_int_eq(st[11].expect.ok, -1);
    ck_assert_int_eq(st[11].expect.multiline, -1);
    ck_assert_str_eq(st[11].raw[0].text, "NOOP\r\n");
    ck_assert_int_eq(st[12].session, -1);
    ck_assert_int_eq(st[12].deliver_user, 2);
    ck_assert_str_eq(st[12].message.from, "${address1}");
    ck_assert_str_eq(st[12].message.body, "line 1\r\nline 2");
    ck_assert_int_eq(st[13].session, -1);
    ck_assert_int_eq(st[13].wait_ms, 250);
    ck_assert_int_eq(st[14].session, 3);
    ck_assert_int_eq(st[14].message.body_lines, 3);
    ck_assert_ptr_null(st[14].message.subject);
    ck_assert_uint_eq(st[14].expect.lines.count, 1);
    ck_assert_uint_eq(st[14].expect.lines_none.count, 1);
    ck_assert(!st[14].expect.lines_may_given);
    ck_assert_str_eq(st[15].text, "quit");
    ck_assert_int_eq(st[15].level, MC_LEVEL_MAY);
    ck_assert_int_eq(st[15].rfc.items[0].rfc, 9051);
    ck_assert_str_eq(st[15].why, "LOGOUT ends it.");
    ck_assert_int_eq(st[16].timeout_ms, 600000);
    ck_assert_int_eq(st[16].level, -1);
    mc_scenario_free(s);
}
END_TEST

/* --- bad files: each NAME.json has its errors in NAME.errors, without the file name, in file
   order; a line ending in "..." only has to begin the error --- */

/* Compares `actual` (lines "PATH:rest") with `expected` (lines "rest"). */
static void assert_errors(const char *path, const char *actual, const char *expected)
{
    size_t plen = strlen(path);
    const char *a = actual, *e = expected;
    int n = 1;
    while (*a && *e) {
        const char *a_end = strchr(a, '\n'), *e_end = strchr(e, '\n');
        ck_assert_msg(a_end && e_end, "unterminated line");
        ck_assert_msg(strncmp(a, path, plen) == 0 && a[plen] == ':',
                      "error %d does not start with the file name: %.*s", n, (int)(a_end - a), a);
        const char *rest = a + plen + 1;
        size_t rlen = (size_t)(a_end - rest), elen = (size_t)(e_end - e);
        bool prefix = elen >= 3 && strncmp(e_end - 3, "...", 3) == 0;
        bool same = prefix ? rlen >= elen - 3 && strncmp(rest, e, elen - 3) == 0
                           : rlen == elen && strncmp(rest, e, elen) == 0;
        ck_assert_msg(same, "error %d of %s:\n  got      %.*s\n  expected %.*s", n, path, (int)rlen,
                      rest, (int)elen, e);
        a = a_end + 1;
        e = e_end + 1;
        n++;
    }
    ck_assert_msg(!*a, "more errors than expected in %s, from error %d:\n%s", path, n, a);
    ck_assert_msg(!*e, "fewer errors than expected in %s, missing from error %d:\n%s", path, n, e);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    struct mc_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        mc_buf_append(&b, chunk, n);
    fclose(f);
    return mc_buf_steal(&b);
}

START_TEST(bad_files)
{
    char *dir = data_path("scenarios-bad", "");
    const char *paths[] = {dir};
    struct mc_strv files = {0};
    struct mc_buf err = {0};
    ck_assert_int_eq(mc_scenario_collect(paths, 1, &files, &err), 0);
    ck_assert_uint_ge(files.count, 12);
    for (size_t i = 0; i < files.count; i++) {
        const char *path = files.items[i].ptr;
        struct mc_buf sidecar = {0};
        mc_buf_append(&sidecar, path, files.items[i].len - strlen(".json"));
        mc_buf_append_str(&sidecar, ".errors");
        char *expected = read_text(sidecar.data);
        mc_buf_reset(&err);
        struct mc_scenario *s = mc_scenario_load(path, &err);
        ck_assert_msg(s == NULL, "%s loaded", path);
        ck_assert_ptr_nonnull(err.data);
        assert_errors(path, err.data, expected);
        free(expected);
        mc_buf_free(&sidecar);
    }
    mc_strv_free(&files);
    mc_buf_free(&err);
    free(dir);
}
END_TEST

/* any_of holds alternatives; a group every alternative captures is a capture like any other
   (usable as ${last}), one only some capture (tls) may only be tested with "captured". */
START_TEST(good_any_of_captured)
{
    struct mc_scenario *s = load_good("smtp-any-of-captured.json");
    ck_assert_uint_eq(s->step_count, 2);
    const struct mc_expect *e = &s->steps[0].expect;
    ck_assert_int_eq(e->code, 250);
    ck_assert_uint_eq(e->any_of_count, 2);
    ck_assert_uint_eq(e->any_of[0].lines.count, 1);
    ck_assert_str_eq(e->any_of[0].lines.items[0], "^(?<tls>STARTTLS)$");
    ck_assert_int_eq(e->any_of[0].ok, -1); /* the defaults of an expectation */
    ck_assert_int_eq(e->any_of[0].multiline, -1);
    ck_assert_uint_eq(e->any_of[1].lines_none.count, 1);
    ck_assert_str_eq(e->any_of[1].match, "^250 (?<last>\\S+)");
    ck_assert_str_eq(s->steps[1].text, "NOOP ${last}");
    e = &s->steps[1].expect;
    ck_assert_uint_eq(e->any_of_count, 2);
    ck_assert_int_eq(e->any_of[1].code, 530);
    ck_assert_uint_eq(e->any_of[1].captured_count, 2);
    ck_assert_str_eq(e->any_of[1].captured[0].name, "tls");
    ck_assert_str_eq(e->any_of[1].captured[0].pattern, "^STARTTLS$");
    ck_assert_str_eq(e->any_of[1].captured[1].name, "last");
    mc_scenario_free(s);
}
END_TEST

/* --- files made on the spot --- */

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mc-test-loader-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tree(const char *path)
{
    struct mc_buf cmd = {0};
    mc_buf_printf(&cmd, "rm -rf '%s'", path);
    ck_assert_int_eq(system(cmd.data), 0);
    mc_buf_free(&cmd);
}

static char *write_file(const char *rel, const char *data, size_t len)
{
    struct mc_buf p = {0};
    mc_buf_printf(&p, "%s/%s", tmpdir, rel);
    FILE *f = fopen(p.data, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    return mc_buf_steal(&p);
}

static const char *const header =
    "{\"id\": \"t.x\", \"title\": \"t\", \"description\": \"d\", "
    "\"rfc\": [{\"rfc\": 1, \"section\": \"1\"}], \"level\": \"MAY\", "
    "\"sessions\": {\"a\": {\"protocol\": \"pop3\"}}, ";

/* Every complete scenario shown in docs/scenario-format.md loads. */
START_TEST(docs_examples_load)
{
    const char *root = getenv("MC_SOURCE_DIR");
    struct mc_buf p = {0};
    mc_buf_printf(&p, "%s/docs/scenario-format.md", root ? root : ".");
    char *doc = read_text(p.data);
    make_tmpdir();
    int examples = 0;
    for (char *at = doc; (at = strstr(at, "```json\n{\n  \"id\"")) != NULL;) {
        at += strlen("```json\n");
        char *end = strstr(at, "\n```");
        ck_assert_ptr_nonnull(end);
        char name[32];
        snprintf(name, sizeof name, "doc%d.json", examples++);
        char *path = write_file(name, at, (size_t)(end - at));
        struct mc_buf err = {0};
        struct mc_scenario *s = mc_scenario_load(path, &err);
        ck_assert_msg(s != NULL, "example %d of the docs does not load:\n%s", examples, err.data);
        mc_scenario_free(s);
        mc_buf_free(&err);
        free(path);
        at = end;
    }
    ck_assert_int_ge(examples, 3);
    remove_tree(tmpdir);
    free(doc);
    mc_buf_free(&p);
}
END_TEST

START_TEST(file_size_limit)
{
    make_tmpdir();
    /* exactly the limit: read, then judged on its content */
    size_t n = MC_SCENARIO_FILE_MAX;
    char *big = malloc(n + 1);
    memset(big, ' ', n + 1);
    big[0] = '[';
    big[n - 1] = ']';
    char *path = write_file("limit.json", big, n);
    struct mc_buf err = {0};
    ck_assert_ptr_null(mc_scenario_load(path, &err));
    ck_assert_ptr_nonnull(strstr(err.data, ": (root): a scenario is a JSON object"));
    free(path);
    /* one byte more: refused before parsing */
    mc_buf_reset(&err);
    big[n - 1] = ' ';
    big[n] = ']';
    path = write_file("big.json", big, n + 1);
    ck_assert_ptr_null(mc_scenario_load(path, &err));
    struct mc_buf want = {0};
    mc_buf_printf(&want,
                  "%s:1:1: (file): larger than 1048576 bytes, the limit for a scenario "
                  "file: split it into several scenarios\n",
                  path);
    ck_assert_str_eq(err.data, want.data);
    mc_buf_free(&want);
    mc_buf_free(&err);
    free(path);
    free(big);
    remove_tree(tmpdir);
}
END_TEST

START_TEST(file_unreadable)
{
    make_tmpdir();
    struct mc_buf err = {0}, want = {0};
    struct mc_buf p = {0};
    mc_buf_printf(&p, "%s/missing.json", tmpdir);
    ck_assert_ptr_null(mc_scenario_load(p.data, &err));
    mc_buf_printf(&want, "%s:1:1: (file): cannot open: No such file or directory\n", p.data);
    ck_assert_str_eq(err.data, want.data);
    mc_buf_reset(&err);
    ck_assert_ptr_null(mc_scenario_load(tmpdir, &err)); /* a folder */
    ck_assert_ptr_nonnull(strstr(err.data, ": (file): cannot read: Is a directory\n"));
    mc_buf_free(&err);
    mc_buf_free(&want);
    mc_buf_free(&p);
    remove_tree(tmpdir);
}
END_TEST

START_TEST(too_many_errors)
{
    make_tmpdir();
    struct mc_buf text = {0};
    mc_buf_printf(&text, "%s\"steps\": [", header);
    for (int i = 0; i < LD_MAX_ERRORS + 20; i++)
        mc_buf_printf(&text, "%s\n\"NOOP\"", i ? "," : "");
    mc_buf_append_str(&text, "]}");
    char *path = write_file("many.json", text.data, text.len);
    struct mc_buf err = {0};
    ck_assert_ptr_null(mc_scenario_load(path, &err));
    size_t lines = 0;
    for (const char *c = err.data; *c; c++)
        lines += *c == '\n';
    ck_assert_uint_eq(lines, LD_MAX_ERRORS + 1);
    ck_assert_ptr_nonnull(strstr(err.data, ":2:1: steps[0]: must be an object"));
    ck_assert_ptr_nonnull(strstr(err.data, ": (file): 20 more errors not shown\n"));
    mc_buf_free(&err);
    mc_buf_free(&text);
    free(path);
    remove_tree(tmpdir);
}
END_TEST

/* An error stays one line of bounded length whatever the file quotes back. */
START_TEST(errors_quote_safely)
{
    make_tmpdir();
    struct mc_buf text = {0};
    mc_buf_printf(&text, "%s\"steps\": [{\"session\": \"a\", \"", header);
    for (int i = 0; i < 3000; i++)
        mc_buf_append_str(&text, i % 100 ? "x" : "\\u0007");
    mc_buf_append_str(&text, "\": 1, \"login\": true}]}");
    char *path = write_file("long.json", text.data, text.len);
    struct mc_buf err = {0};
    ck_assert_ptr_null(mc_scenario_load(path, &err));
    ck_assert_ptr_nonnull(strstr(err.data, ":1:"));
    ck_assert_ptr_nonnull(strstr(err.data, "\\x07xxx"));
    ck_assert_ptr_nonnull(strstr(err.data, "...\n"));
    ck_assert(strchr(err.data, '\a') == NULL);
    ck_assert_ptr_eq(strchr(err.data, '\n'), err.data + err.len - 1); /* one line */
    ck_assert_uint_le(err.len, strlen(path) + 20 + LD_MESSAGE_MAX * 4 + 4);
    mc_buf_free(&err);
    mc_buf_free(&text);
    free(path);
    remove_tree(tmpdir);
}
END_TEST

/* Captures are visible to later steps of any session, built-ins follow "users". */
START_TEST(variables_across_sessions)
{
    make_tmpdir();
    struct mc_buf text = {0};
    mc_buf_printf(
        &text,
        "{\"id\": \"t.x\", \"title\": \"t\", \"description\": \"d\", \"rfc\": [{\"rfc\": "
        "1, \"section\": \"1\"}], \"level\": \"MAY\", \"users\": 2, \"sessions\": {\"a\": "
        "{\"protocol\": "
        "\"pop3\"}, \"b\": {\"protocol\": \"imap\", \"user\": 2}}, \"steps\": ["
        "{\"session\": \"a\", \"send\": \"UIDL 1\", \"expect\": {\"lines\": [\"(?<u>\\\\S+)$\"]}},"
        "{\"session\": \"b\", \"send\": \"X ${u} ${user2} ${address1} ${password} $${host} "
        "${run_id} ${domain} ${host}\"}]}");
    char *path = write_file("vars.json", text.data, text.len);
    struct mc_buf err = {0};
    struct mc_scenario *s = mc_scenario_load(path, &err);
    ck_assert_msg(s != NULL, "%s", err.data);
    mc_scenario_free(s);
    free(path);
    mc_buf_reset(&text);
    mc_buf_printf(&text, "%s\"steps\": [{\"session\": \"a\", \"send\": \"${user2}\"}]}", header);
    path = write_file("vars2.json", text.data, text.len);
    ck_assert_ptr_null(mc_scenario_load(path, &err));
    ck_assert_ptr_nonnull(strstr(err.data, "steps[0].send: unknown variable ${user2}"));
    mc_buf_free(&err);
    mc_buf_free(&text);
    free(path);
    remove_tree(tmpdir);
}
END_TEST

START_TEST(collect_files_and_folders)
{
    make_tmpdir();
    const char *dirs[] = {"b", "b/schema", "b/sub", "b/.git", "a"};
    for (size_t i = 0; i < 5; i++) {
        struct mc_buf p = {0};
        mc_buf_printf(&p, "%s/%s", tmpdir, dirs[i]);
        ck_assert_int_eq(mkdir(p.data, 0700), 0);
        mc_buf_free(&p);
    }
    const char *files[] = {"b/z.json",      "b/m.json",    "b/sub/a.json", "b/schema/s.json",
                           "b/.git/x.json", "b/.hid.json", "b/notes.txt",  "b/json",
                           "a/one.json",    "top.txt"};
    for (size_t i = 0; i < 10; i++)
        free(write_file(files[i], "{}", 2));
    struct mc_buf b = {0}, top = {0}, a = {0}, missing = {0};
    mc_buf_printf(&b, "%s/b/", tmpdir); /* a trailing slash is fine */
    mc_buf_printf(&top, "%s/top.txt", tmpdir);
    mc_buf_printf(&a, "%s/a", tmpdir);
    mc_buf_printf(&missing, "%s/nope", tmpdir);
    const char *paths[] = {b.data, top.data, missing.data, a.data, a.data};
    struct mc_strv out = {0};
    struct mc_buf err = {0};
    ck_assert_int_eq(mc_scenario_collect(paths, 5, &out, &err), -1);
    struct mc_buf want = {0};
    mc_buf_printf(&want, "%s: No such file or directory\n", missing.data);
    ck_assert_str_eq(err.data, want.data);
    const char *expect[] = {"b/m.json", "b/sub/a.json", "b/z.json", "top.txt", "a/one.json"};
    ck_assert_uint_eq(out.count, 5);
    for (size_t i = 0; i < 5; i++) {
        mc_buf_reset(&want);
        mc_buf_printf(&want, "%s/%s", tmpdir, expect[i]);
        ck_assert_str_eq(out.items[i].ptr, want.data);
    }
    /* the schema folder itself is taken when named */
    mc_strv_clear(&out);
    mc_buf_reset(&b);
    mc_buf_printf(&b, "%s/b/schema", tmpdir);
    const char *schema[] = {b.data};
    ck_assert_int_eq(mc_scenario_collect(schema, 1, &out, &err), 0);
    ck_assert_uint_eq(out.count, 1);
    mc_strv_free(&out);
    mc_buf_free(&want);
    mc_buf_free(&err);
    mc_buf_free(&b);
    mc_buf_free(&top);
    mc_buf_free(&a);
    mc_buf_free(&missing);
    remove_tree(tmpdir);
}
END_TEST

/* The scenarios shipped with the project are collected from scenarios/, never the schema. */
START_TEST(collect_skips_schema_folder)
{
    const char *root = getenv("MC_SOURCE_DIR");
    struct mc_buf dir = {0};
    mc_buf_printf(&dir, "%s/scenarios", root ? root : ".");
    const char *paths[] = {dir.data};
    struct mc_strv out = {0};
    struct mc_buf err = {0};
    ck_assert_int_eq(mc_scenario_collect(paths, 1, &out, &err), 0);
    for (size_t i = 0; i < out.count; i++)
        ck_assert_ptr_null(strstr(out.items[i].ptr, "/schema/"));
    mc_strv_free(&out);
    mc_buf_free(&err);
    mc_buf_free(&dir);
}
END_TEST

/* Errors that list protocols take them from the protocol tables: every protocol, or those
   whose table has what the key needs (reply codes, untagged replies, delivery, implicit TLS). */
START_TEST(errors_list_protocols_from_the_tables)
{
    make_tmpdir();
    static const char text[] =
        "{\"id\": \"t.x\", \"title\": \"t\", \"description\": \"d\",\n"
        "\"rfc\": [{\"rfc\": 1, \"section\": \"1\"}], \"level\": \"MAY\", \"requires\": "
        "[\"nntp:X\"],\n"
        "\"sessions\": {\"i\": {\"protocol\": \"imap\"}, \"s\": {\"protocol\": \"smtp\"},\n"
        "  \"l\": {\"protocol\": \"lmtp\", \"tls\": \"implicit\"}},\n"
        "\"steps\": [{\"session\": \"i\", \"send\": \"NOOP\", \"expect\": {\"class\": 2}},\n"
        "  {\"session\": \"s\", \"send\": \"NOOP\", \"expect\": {\"tagged\": \"OK\"}},\n"
        "  {\"session\": \"i\", \"send_message\": {\"subject\": \"x\"}}]}\n";
    char *path = write_file("lists.json", text, strlen(text));
    struct mc_buf err = {0};
    ck_assert_ptr_null(mc_scenario_load(path, &err));
    assert_errors(path, err.data,
                  "2:67: requires[0]: 'nntp:X' is not PROTOCOL:CAPABILITY (pop3, imap, smtp or "
                  "lmtp, e.g. \"imap:IDLE\", \"smtp:AUTH=PLAIN\") or endpoint:NAME\n"
                  "4:36: sessions.l.tls: lmtp has no implicit TLS port: use \"starttls\" or "
                  "\"none\"\n"
                  "5:55: steps[0].expect.class: 'class' does not suit session 'i' (imap): it is "
                  "for smtp and lmtp sessions\n"
                  "6:47: steps[1].expect.tagged: 'tagged' does not suit session 's' (smtp): it "
                  "is for imap sessions\n"
                  "7:20: steps[2].send_message: session 'i' is imap: send_message is for smtp "
                  "and lmtp\n");
    mc_buf_free(&err);
    free(path);
    remove_tree(tmpdir);
}
END_TEST

START_TEST(enum_names)
{
    ck_assert_str_eq(mc_level_name(MC_LEVEL_SHOULD), "SHOULD");
    ck_assert_str_eq(mc_tls_mode_name(MC_TLS_STARTTLS), "starttls");
    ck_assert_str_eq(mc_step_kind_name(MC_STEP_SEND_RAW), "send_raw");
    ck_assert_str_eq(mc_step_kind_name(MC_STEP_EXPECT_CLOSE), "expect_close");
    mc_scenario_free(NULL);
}
END_TEST

static Suite *loader_suite(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = tcase_create("jsonpos");
    tcase_add_test(tc, jsonpos_paths_and_positions);
    tcase_add_test(tc, jsonpos_surrogates_and_scalars);
    tcase_add_test(tc, jsonpos_refuses_broken_text);
    tcase_add_test(tc, jsonpos_deep_nesting);
    tcase_add_test(tc, jsonpos_agrees_with_jansson);
    suite_add_tcase(s, tc);
    tc = tcase_create("good");
    tcase_add_test(tc, good_pop3_sketch);
    tcase_add_test(tc, good_imap_sketch);
    tcase_add_test(tc, good_cross_sketch);
    tcase_add_test(tc, good_every_step_kind);
    tcase_add_test(tc, good_any_of_captured);
    tcase_add_test(tc, docs_examples_load);
    tcase_add_test(tc, variables_across_sessions);
    tcase_add_test(tc, enum_names);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad");
    tcase_add_test(tc, bad_files);
    tcase_add_test(tc, file_size_limit);
    tcase_add_test(tc, file_unreadable);
    tcase_add_test(tc, too_many_errors);
    tcase_add_test(tc, errors_quote_safely);
    tcase_add_test(tc, errors_list_protocols_from_the_tables);
    suite_add_tcase(s, tc);
    tc = tcase_create("collect");
    tcase_add_test(tc, collect_files_and_folders);
    tcase_add_test(tc, collect_skips_schema_folder);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return mc_check_run(loader_suite());
}
