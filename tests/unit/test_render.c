/*
 * test_render — the pieces every rendering of a saved report shares (harness/render/): XML
 * escaping (what XML 1.0 forbids becomes \xHH, never raw), the transcript printer (step
 * boundaries, base64 decoded and escaped, long lines and long runs of lines cut with a mark,
 * runs cut into lines as streams, bare LF, missing line ends and truncation said, ranges from a
 * hand-edited report clamped, explain's step hook, colour) and the protocol group of a
 * scenario.
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
    /* one run of server lines: the time once, the session on every line */
    ck_assert_str_eq(t, ">    0.000 a        S: -ERR no\\x00suc [... 2 more octet(s) cut]\n"
                        ">          a        S: abcdefghijk [... 1 more octet(s) cut]\n"
                        ">          a        S: bare [LF without CR]\n"
                        ">    0.000 a        C: l1\n"
                        ">          a        C: l2\n"
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
    ck_assert_str_eq(t, "> ---- outside any step\n"
                        ">    0.000 a        C: A\n"
                        "> ---- step 1: x [pass]\n"
                        "> ---- step 2: y [pass]\n"
                        "> ---- step 3: z [pass]\n");
    free(t);
    t = transcript("{}", 0);
    ck_assert_str_eq(t, "> (no transcript: nothing crossed the wire)\n");
    free(t);
}
END_TEST

/* A report scenario with one client entry of `lines` lines "line N" and a last line ".". */
static json_t *long_run(size_t lines)
{
    struct mc_buf text = {0};
    for (size_t i = 1; i < lines; i++)
        mc_buf_printf(&text, "line %zu\r\n", i);
    mc_buf_append_str(&text, ".\r\n");
    json_t *sc = json_pack("{s:[{s:f, s:s, s:s, s:s}]}", "transcript", "t", 0.5, "session", "a",
                           "dir", "client", "text", text.data);
    mc_buf_free(&text);
    return sc;
}

START_TEST(test_transcript_long_run_shortened)
{
    /* 30 lines: the first 18, a mark for 8 lines of 9 octets each ("line 19" and CRLF), the last 4
     */
    json_t *sc = long_run(30);
    struct mc_buf b = {0};
    mc_render_transcript(sc, NULL, &b);
    struct mc_buf want = {0};
    mc_buf_append_str(&want, "   0.500 a        C: line 1\n");
    for (int i = 2; i <= 18; i++)
        mc_buf_printf(&want, "         a        C: line %d\n", i);
    mc_buf_append_str(&want, "         a        C: [... 8 line(s) (72 octet(s)) left out]\n");
    for (int i = 27; i <= 29; i++)
        mc_buf_printf(&want, "         a        C: line %d\n", i);
    mc_buf_append_str(&want, "         a        C: .\n");
    ck_assert_str_eq(b.data, want.data);
    json_decref(sc);
    mc_buf_free(&want);
    /* 24 lines are shown whole */
    sc = long_run(24);
    mc_buf_reset(&b);
    mc_render_transcript(sc, NULL, &b);
    ck_assert_ptr_null(strstr(b.data, "left out"));
    ck_assert_ptr_nonnull(strstr(b.data, "line 23\n         a        C: .\n"));
    json_decref(sc);
    mc_buf_free(&b);
}
END_TEST

START_TEST(test_transcript_runs_as_streams)
{
    /* an IMAP literal with no line end joins the line after it; a later entry at another time
       shows its time; an event ends the run; a backslash not before x or \ stays single; a run
       that does not end says so */
    char *t = transcript(
        "{\"steps\": [{\"index\": 0, \"label\": \"fetch\", \"outcome\": \"pass\", "
        "\"transcript\": [0, 3]}],"
        " \"transcript\": ["
        "   {\"t\": 0.1, \"session\": \"s\", \"dir\": \"server\", \"text\": "
        "\"* 1 FETCH (FLAGS (\\\\Seen) BODY[] {5}\\r\\n\"},"
        "   {\"t\": 0.1, \"session\": \"s\", \"dir\": \"server\", \"text\": \"hello\"},"
        "   {\"t\": 0.2, \"session\": \"s\", \"dir\": \"server\", \"text\": \")\\r\\nA1 "
        "OK\\r\\n\"},"
        "   {\"t\": 0.3, \"session\": \"s\", \"dir\": \"event\", \"text\": \"close \\u001b[2J\"},"
        "   {\"t\": 0.4, \"session\": \"s\", \"dir\": \"server\", \"text\": \"* BYE \\\\x41\"}]}",
        0);
    ck_assert_str_eq(t, "> ---- step 1: fetch [pass]\n"
                        ">    0.100 s        S: * 1 FETCH (FLAGS (\\Seen) BODY[] {5}\n"
                        ">          s        S: hello)\n"
                        ">    0.200 s        S: A1 OK\n"
                        "> ---- after the last step\n"
                        ">    0.300 s        -- close \\x1b[2J\n"
                        ">    0.400 s        S: * BYE \\\\x41 [no line end]\n");
    free(t);
}
END_TEST

static void hook(void *arg, struct mc_buf *out, const json_t *step, size_t pos, bool after)
{
    (*(int *)arg)++;
    mc_buf_printf(out, "%s %zu %s\n", after ? "after" : "before", pos,
                  json_string_value(json_object_get(step, "label")));
}

START_TEST(test_transcript_step_hook_colour_no_times)
{
    json_t *sc = json_loads(
        "{\"steps\": [{\"index\": 0, \"label\": \"x\", \"outcome\": \"fail\", \"transcript\": "
        "[0, 1]}], \"transcript\": [{\"t\": 0, \"session\": \"a\", \"dir\": \"client\", "
        "\"text\": \"A\\r\\n\"}]}",
        0, NULL);
    int calls = 0;
    struct mc_buf b = {0};
    struct mc_transcript_style st = {.hide_times = true, .step = hook, .arg = &calls};
    mc_render_transcript(sc, &st, &b);
    ck_assert_str_eq(b.data, "before 0 x\na        C: A\nafter 0 x\n");
    ck_assert_int_eq(calls, 2);
    mc_buf_reset(&b);
    st = (struct mc_transcript_style){.color = true};
    mc_render_transcript(sc, &st, &b);
    ck_assert_str_eq(b.data, "\033[1m----\033[0m step 1: x [\033[31mfail\033[0m]\n"
                             "\033[2m   0.000\033[0m a        \033[36mC:\033[0m A\n");
    json_decref(sc);
    mc_buf_free(&b);
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
    tcase_add_test(tc, test_transcript_long_run_shortened);
    tcase_add_test(tc, test_transcript_runs_as_streams);
    tcase_add_test(tc, test_transcript_step_hook_colour_no_times);
    tcase_add_test(tc, test_protocol_group);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return mc_check_run(render_suite());
}
