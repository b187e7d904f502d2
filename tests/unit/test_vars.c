/*
 * test_vars — ${name} variables: the map, substitution in text and regex modes, and errors.
 */
#include <check.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vars.h"
#include "support_check.h"

static struct mc_vars *v;
static struct mc_buf out, err;

static void setup(void)
{
    v = mc_vars_new();
    memset(&out, 0, sizeof out);
    memset(&err, 0, sizeof err);
}

static void teardown(void)
{
    mc_vars_free(v);
    mc_buf_free(&out);
    mc_buf_free(&err);
}

static int expand(const char *in, enum mc_expand_mode mode)
{
    mc_buf_reset(&out);
    mc_buf_reset(&err);
    return mc_vars_expand(v, NULL, in, strlen(in), mode, &out, &err);
}

START_TEST(test_set_get_overwrite)
{
    size_t len = 99;
    ck_assert_ptr_null(mc_vars_get(v, "user", &len));
    mc_vars_set(v, "user", "alice", 5);
    ck_assert_str_eq(mc_vars_get(v, "user", &len), "alice");
    ck_assert_uint_eq(len, 5);
    mc_vars_set(v, "user", "bob", 3);
    ck_assert_str_eq(mc_vars_get(v, "user", &len), "bob");
    ck_assert_uint_eq(len, 3);
    ck_assert_ptr_null(mc_vars_get(v, "use", NULL));
    ck_assert_ptr_null(mc_vars_get(v, "users", NULL));
    mc_vars_set(v, "empty", "", 0);
    ck_assert_str_eq(mc_vars_get(v, "empty", &len), "");
    ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_many_names)
{
    char name[32], value[32];
    /* Insert in a scrambled order; every name must still be found (sorted array). */
    for (int i = 0; i < 500; i++) {
        int k = (i * 7919) % 500;
        snprintf(name, sizeof name, "v%d", k);
        snprintf(value, sizeof value, "value-%d", k);
        mc_vars_set(v, name, value, strlen(value));
    }
    for (int k = 0; k < 500; k++) {
        snprintf(name, sizeof name, "v%d", k);
        snprintf(value, sizeof value, "value-%d", k);
        const char *got = mc_vars_get(v, name, NULL);
        ck_assert_ptr_nonnull(got);
        ck_assert_str_eq(got, value);
    }
    ck_assert_ptr_null(mc_vars_get(v, "v500", NULL));
}
END_TEST

START_TEST(test_binary_value)
{
    const char bin[] = {'a', '\0', 'b', '\xff', '\r', '\n'};
    size_t len = 0;
    mc_vars_set(v, "bin", bin, sizeof bin);
    const char *got = mc_vars_get(v, "bin", &len);
    ck_assert_uint_eq(len, sizeof bin);
    ck_assert_mem_eq(got, bin, sizeof bin);
    ck_assert_int_eq(expand("<${bin}>", MC_EXPAND_TEXT), 0);
    ck_assert_uint_eq(out.len, sizeof bin + 2);
    ck_assert_mem_eq(out.data + 1, bin, sizeof bin);
    ck_assert_int_eq(out.data[out.len], '\0');
}
END_TEST

START_TEST(test_expand_text)
{
    mc_vars_set(v, "user", "alice", 5);
    mc_vars_set(v, "domain", "example.org", 11);
    mc_vars_set(v, "_x9", "X", 1);
    ck_assert_int_eq(expand("MAIL FROM:<${user}@${domain}>", MC_EXPAND_TEXT), 0);
    ck_assert_str_eq(out.data, "MAIL FROM:<alice@example.org>");
    ck_assert_int_eq(expand("${_x9}${_x9}", MC_EXPAND_TEXT), 0);
    ck_assert_str_eq(out.data, "XX");
    ck_assert_int_eq(expand("no variables", MC_EXPAND_TEXT), 0);
    ck_assert_str_eq(out.data, "no variables");
    ck_assert_uint_eq(err.len, 0);
}
END_TEST

START_TEST(test_expand_appends)
{
    mc_vars_set(v, "a", "1", 1);
    mc_buf_reset(&out);
    mc_buf_append_str(&out, "keep:");
    ck_assert_int_eq(mc_vars_expand(v, NULL, "${a}", 4, MC_EXPAND_TEXT, &out, &err), 0);
    ck_assert_str_eq(out.data, "keep:1");
    /* On error the output is left as it was. */
    ck_assert_int_eq(mc_vars_expand(v, NULL, "x${a}${b}", 9, MC_EXPAND_TEXT, &out, &err), -1);
    ck_assert_str_eq(out.data, "keep:1");
    ck_assert_uint_eq(out.len, 6);
}
END_TEST

START_TEST(test_expand_length_not_nul)
{
    mc_vars_set(v, "a", "1", 1);
    /* Only `len` bytes are read: the "${a}" after them is not substituted. */
    ck_assert_int_eq(mc_vars_expand(v, NULL, "x${a}${a}", 5, MC_EXPAND_TEXT, &out, &err), 0);
    ck_assert_str_eq(out.data, "x1");
    /* "${a" cut by len is unterminated even though the string goes on. */
    mc_buf_reset(&out);
    ck_assert_int_eq(mc_vars_expand(v, NULL, "${a}", 3, MC_EXPAND_TEXT, &out, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.data, "unterminated"));
}
END_TEST

START_TEST(test_local_first)
{
    struct mc_vars *local = mc_vars_new();
    mc_vars_set(v, "user", "global", 6);
    mc_vars_set(v, "domain", "d", 1);
    mc_vars_set(local, "user", "mine", 4);
    ck_assert_int_eq(mc_vars_expand(v, local, "${user}@${domain}", 17, MC_EXPAND_TEXT, &out, &err),
                     0);
    ck_assert_str_eq(out.data, "mine@d");
    mc_vars_free(local);
}
END_TEST

START_TEST(test_dollars)
{
    mc_vars_set(v, "x", "X", 1);
    ck_assert_int_eq(expand("$$", MC_EXPAND_TEXT), 0);
    ck_assert_str_eq(out.data, "$");
    ck_assert_int_eq(expand("$${x}", MC_EXPAND_TEXT), 0);
    ck_assert_str_eq(out.data, "${x}");
    ck_assert_int_eq(expand("$$$${x}", MC_EXPAND_TEXT), 0);
    ck_assert_str_eq(out.data, "$${x}");
    ck_assert_int_eq(expand("$$${x}", MC_EXPAND_TEXT), 0);
    ck_assert_str_eq(out.data, "$X");
    ck_assert_int_eq(expand("^a$", MC_EXPAND_TEXT), 0);
    ck_assert_str_eq(out.data, "^a$");
    ck_assert_int_eq(expand("(a$|b) $x $ $1", MC_EXPAND_TEXT), 0);
    ck_assert_str_eq(out.data, "(a$|b) $x $ $1");
    ck_assert_int_eq(expand("cost: 5$", MC_EXPAND_TEXT), 0);
    ck_assert_str_eq(out.data, "cost: 5$");
    ck_assert_uint_eq(err.len, 0);
}
END_TEST

START_TEST(test_unknown)
{
    mc_vars_set(v, "uid", "1", 1);
    ck_assert_int_eq(expand("UID FETCH ${uidd} FLAGS", MC_EXPAND_TEXT), -1);
    ck_assert_str_eq(err.data, "unknown variable ${uidd}");
    ck_assert_uint_eq(out.len, 0);
}
END_TEST

START_TEST(test_unterminated)
{
    ck_assert_int_eq(expand("abc ${user", MC_EXPAND_TEXT), -1);
    ck_assert_ptr_nonnull(strstr(err.data, "unterminated \"${\" at offset 4"));
    ck_assert_int_eq(expand("${", MC_EXPAND_TEXT), -1);
    ck_assert_ptr_nonnull(strstr(err.data, "unterminated"));
}
END_TEST

START_TEST(test_bad_names)
{
    const char *bad[] = {"${}", "${1a}", "${a b}", "${a-b}", "${é}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(expand(bad[i], MC_EXPAND_TEXT), -1);
        ck_assert_msg(strstr(err.data, "invalid variable name") != NULL, "%s: %s", bad[i],
                      err.data);
    }
    /* The error stays printable ASCII even for 8-bit names. */
    for (size_t i = 0; i < err.len; i++)
        ck_assert((unsigned char)err.data[i] >= 0x20 && (unsigned char)err.data[i] < 0x7f);
}
END_TEST

/* Compiles `pattern` (non-UTF, like the matcher) and matches it against subject. */
static int pcre_matches(const char *pattern, size_t plen, const char *subject, size_t slen)
{
    int code;
    PCRE2_SIZE offset;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, plen, 0, &code, &offset, NULL);
    ck_assert_msg(re != NULL, "pattern does not compile: %s", pattern);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR)subject, slen, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc >= 0;
}

START_TEST(test_regex_quoting)
{
    mc_vars_set(v, "v", "a.b*c", 5);
    ck_assert_int_eq(expand("^${v}$", MC_EXPAND_REGEX), 0);
    ck_assert_str_eq(out.data, "^a\\.b\\*c$");
    ck_assert(pcre_matches(out.data, out.len, "a.b*c", 5));
    ck_assert(!pcre_matches(out.data, out.len, "axbbbc", 6));
    /* TEXT mode leaves it alone. */
    ck_assert_int_eq(expand("${v}", MC_EXPAND_TEXT), 0);
    ck_assert_str_eq(out.data, "a.b*c");
}
END_TEST

START_TEST(test_regex_quoting_every_byte)
{
    /* Every byte value, including NUL, \E, \Q, brackets, and 8-bit bytes. */
    char all[256 + 6];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    memcpy(all + 256, "\\E\\Q.*", 6);
    mc_vars_set(v, "all", all, sizeof all);
    ck_assert_int_eq(expand("^${all}$", MC_EXPAND_REGEX), 0);
    ck_assert_ptr_null(memchr(out.data, '\0', out.len));
    ck_assert(pcre_matches(out.data, out.len, all, sizeof all));
    all[200] = 'x';
    ck_assert(!pcre_matches(out.data, out.len, all, sizeof all));
}
END_TEST

START_TEST(test_regex_quoting_extended)
{
    /* Under (?x) an unescaped space or '#' would be dropped or start a comment. */
    mc_vars_set(v, "v", "a b#c", 5);
    ck_assert_int_eq(expand("(?x) ^ ${v} $", MC_EXPAND_REGEX), 0);
    ck_assert(pcre_matches(out.data, out.len, "a b#c", 5));
    ck_assert(!pcre_matches(out.data, out.len, "ab", 2));
}
END_TEST

struct refs {
    char names[8][32];
    int count;
};

static void collect(const char *name, size_t len, void *ctx)
{
    struct refs *r = ctx;
    ck_assert_int_lt(r->count, 8);
    ck_assert_uint_lt(len, 32);
    memcpy(r->names[r->count], name, len);
    r->names[r->count][len] = '\0';
    r->count++;
}

START_TEST(test_each_reference)
{
    struct refs r = {0};
    mc_vars_each_reference("MAIL FROM:<${user}@${domain}> $$ $${not} $x ${b_2}${bad name}${user}",
                           collect, &r);
    ck_assert_int_eq(r.count, 4);
    ck_assert_str_eq(r.names[0], "user");
    ck_assert_str_eq(r.names[1], "domain");
    ck_assert_str_eq(r.names[2], "b_2");
    ck_assert_str_eq(r.names[3], "user");
    r.count = 0;
    mc_vars_each_reference("no refs, $ and $$ only, then ${unterminated", collect, &r);
    ck_assert_int_eq(r.count, 0);
    mc_vars_each_reference("", collect, &r);
    ck_assert_int_eq(r.count, 0);
}
END_TEST

static Suite *vars_suite(void)
{
    Suite *s = suite_create("vars");
    TCase *tc = tcase_create("vars");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_set_get_overwrite);
    tcase_add_test(tc, test_many_names);
    tcase_add_test(tc, test_binary_value);
    tcase_add_test(tc, test_expand_text);
    tcase_add_test(tc, test_expand_appends);
    tcase_add_test(tc, test_expand_length_not_nul);
    tcase_add_test(tc, test_local_first);
    tcase_add_test(tc, test_dollars);
    tcase_add_test(tc, test_unknown);
    tcase_add_test(tc, test_unterminated);
    tcase_add_test(tc, test_bad_names);
    tcase_add_test(tc, test_regex_quoting);
    tcase_add_test(tc, test_regex_quoting_every_byte);
    tcase_add_test(tc, test_regex_quoting_extended);
    tcase_add_test(tc, test_each_reference);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return mc_check_run(vars_suite());
}
