/*
 * test_render — the pieces every rendering of a saved report shares (harness/render/): XML
 * escaping (what XML 1.0 forbids becomes \xHH, never raw), the transcript printer (step
 * boundaries, base64 decoded and escaped, long lines cut with a mark, bare LF and truncation
 * said, ranges from a hand-edited report clamped) and the protocol group of a scenario.
 */
#include <check.h>
#include <string.h>

#include "render/render_common.h"
#include "render/render_transcript.h"
#include "support_check.h"

static char *xml(const char *s, size_t len, bool attribute)
{
    struct mc_buf b = {0};
    mc_render_xml_escape(&b, s, len, attribute);
    return mc_buf_steal(&b);
}

#define XML_IS(in, attr, want)                                                                     \
    do {                                                                                           \
        char *got_ = xml(in, sizeof(in) - 1, attr);                                                \
        ck_assert_str_eq(got_, want);                                                              \
        free(got_);                                                                                \
    } while (0)

START_TEST(test_xml_markup)
{
    XML_IS("<a href=\"x\">&</a>", false, "&lt;a href=\"x\"&gt;&amp;&lt;/a&gt;");
    XML_IS("<a href=\"x\">&</a>", true, "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
}
END_TEST

START_TEST(test_xml_whitespace)
{
    XML_IS("a\tb\nc\rd", false, "a\tb\nc&#13;d");
    XML_IS("a\tb\nc\rd", true, "a&#9;b&#10;c&#13;d");
}
END_TEST

START_TEST(test_xml_forbidden_become_escapes)
{
    XML_IS("no\0such\x01\x1b[2J\x7f", false, "no\\x00such\\x01\\x1b[2J\\x7f");
    XML_IS("\xef\xbf\xbe|\xef\xbf\xbf", false, "\\xef\\xbf\\xbe|\\xef\\xbf\\xbf"); /* U+FFFE/F */
    XML_IS("c1 \xc2\x85", false, "c1 \\xc2\\x85");
    XML_IS("bad \xff\xc3", false, "bad \\xff\\xc3"); /* not UTF-8, cut sequence */
    XML_IS("Gr\xc3\xbc\xc3\x9f"
           "e \xe2\x9c\x93",
           false,
           "Gr\xc3\xbc\xc3\x9f"
           "e \xe2\x9c\x93");
}
END_TEST

static char *transcript(const char *report_json, size_t width)
{
    json_error_t je;
    json_t *sc = json_loads(report_json, 0, &je);
    ck_assert_msg(sc != NULL, "%s", je.text);
    struct mc_buf b = {0};
    struct mc_transcript_style st = {.indent = "> ", .width = width};
    mc_render_transcript(sc, &st, &b);
    json_decref(sc);
    return mc_buf_steal(&b);
}

START_TEST(test_transcript_steps_and_sides)
{
    char *t = transcript(
        "{\"steps\": [{\"index\": -1, \"label\": \"open\", \"outcome\": \"pass\", \"transcript\": "
        "[0, 2]},"
        "             {\"index\": 0, \"label\": \"send STAT\", \"outcome\": \"fail\", "
        "\"transcript\": [2, 2]},"
        "             {\"index\": 1, \"label\": \"quit\", \"outcome\": \"not_run\", "
        "\"transcript\": [4, 0]}],"
        " \"transcript\": [{\"t\": 0, \"session\": \"a\", \"dir\": \"event\", \"text\": "
        "\"connect\"},"
        "   {\"t\": 0.001, \"session\": \"a\", \"dir\": \"server\", \"text\": \"+OK hi\\r\\n\"},"
        "   {\"t\": 0.002, \"session\": \"a\", \"dir\": \"client\", \"text\": \"STAT\\r\\n\"},"
        "   {\"t\": 0.003, \"session\": null, \"dir\": \"server\", \"text\": \"-ERR no\\r\\n\"}]}",
        0);
    ck_assert_str_eq(t, "> ---- implicit step: open [pass]\n"
                        ">    0.000 a        -- connect\n"
                        ">    0.001 a        S: +OK hi\n"
                        "> ---- step 1: send STAT [fail]\n"
                        ">    0.002 a        C: STAT\n"
                        ">    0.003 fixture  S: -ERR no\n"
                        "> ---- step 2: quit [not_run]\n");
    free(t);
}
END_TEST

START_TEST(test_transcript_bytes_escaped_and_cut)
{
    /* base64 of "-ERR no\0such\x1b\r\n" and a 12-octet line, cut at 11; a bare LF; a body */
    char *t = transcript(
        "{\"transcript_truncated\": true, \"transcript\": ["
        "   {\"t\": 0, \"session\": \"a\", \"dir\": \"server\", \"base64\": "
        "\"LUVSUiBubwBzdWNoGw0K\"},"
        "   {\"t\": 0, \"session\": \"a\", \"dir\": \"server\", \"text\": \"abcdefghijkl\\r\\n\"},"
        "   {\"t\": 0, \"session\": \"a\", \"dir\": \"server\", \"text\": \"bare\\n\"},"
        "   {\"t\": 0, \"session\": \"a\", \"dir\": \"client\", \"text\": \"l1\\r\\nl2\\r\\n\"},"
        "   {\"t\": 0, \"session\": \"a\", \"dir\": \"client\", \"base64\": \"!!\"}]}",
        11);
    ck_assert_str_eq(t, ">    0.000 a        S: -ERR no\\x00suc [... 2 more octet(s) cut]\n"
                        ">    0.000 a        S: abcdefghijk [... 1 more octet(s) cut]\n"
                        ">    0.000 a        S: bare [LF without CR]\n"
                        ">    0.000 a        C: l1\n"
                        ">                   C: l2\n"
                        ">    0.000 a        C: [an entry with no bytes, or bad base64]\n"
                        "> [transcript truncated: it reached the harness's budget (16 MiB); "
                        "later bytes were not recorded]\n");
    free(t);
}
END_TEST

START_TEST(test_transcript_bad_ranges_clamped)
{
    char *t = transcript("{\"steps\": [{\"index\": 0, \"label\": \"x\", \"outcome\": \"pass\", "
                         "\"transcript\": [5, 9]},"
                         "             {\"index\": 1, \"label\": \"y\", \"outcome\": \"pass\", "
                         "\"transcript\": [-3, 1]},"
                         "             {\"index\": 2, \"label\": \"z\", \"outcome\": \"pass\", "
                         "\"transcript\": \"no\"}],"
                         " \"transcript\": [{\"t\": 0, \"session\": \"a\", \"dir\": \"client\", "
                         "\"text\": \"A\\r\\n\"}]}",
                         0);
    ck_assert_str_eq(t, ">    0.000 a        C: A\n"
                        "> ---- step 1: x [pass]\n"
                        "> ---- step 2: y [pass]\n"
                        "> ---- step 3: z [pass]\n");
    free(t);
    t = transcript("{}", 0);
    ck_assert_str_eq(t, "> (no transcript: nothing crossed the wire)\n");
    free(t);
}
END_TEST

START_TEST(test_protocol_group)
{
    json_t *one =
        json_loads("{\"sessions\": [{\"protocol\": \"imap\"}, {\"protocol\": \"imap\"}]}", 0, NULL);
    json_t *two =
        json_loads("{\"sessions\": [{\"protocol\": \"smtp\"}, {\"protocol\": \"imap\"}]}", 0, NULL);
    json_t *none = json_loads("{\"sessions\": []}", 0, NULL);
    ck_assert_str_eq(mc_render_protocol_group(one), "imap");
    ck_assert_str_eq(mc_render_protocol_group(two), MC_RENDER_CROSS);
    ck_assert_str_eq(mc_render_protocol_group(none), MC_RENDER_NO_PROTOCOL);
    json_decref(one);
    json_decref(two);
    json_decref(none);
}
END_TEST

static Suite *render_suite(void)
{
    Suite *s = suite_create("render");
    TCase *tc = tcase_create("render");
    tcase_add_test(tc, test_xml_markup);
    tcase_add_test(tc, test_xml_whitespace);
    tcase_add_test(tc, test_xml_forbidden_become_escapes);
    tcase_add_test(tc, test_transcript_steps_and_sides);
    tcase_add_test(tc, test_transcript_bytes_escaped_and_cut);
    tcase_add_test(tc, test_transcript_bad_ranges_clamped);
    tcase_add_test(tc, test_protocol_group);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return mc_check_run(render_suite());
}
