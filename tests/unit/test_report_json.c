/*
 * test_report_json — the JSON report writer (harness/engine/report_json.c, report_stream.c).
 *
 * Builds a small run by hand (a passing POP3 scenario and a failing IMAP+POP3 one whose
 * transcript holds a CRLF line, a line of invalid UTF-8 with a NUL, and a UTF-8 line with a
 * NUL), writes it, reads it back with jansson and checks what renderers and the replaying
 * server rely on. The reports are also checked against reports/schema/report.schema.json with
 * tools/validate-report, whose exit status must be exactly the expected one: 0 valid, 1 invalid;
 * 2 (it could not check, e.g. /usr/bin/python3 without python3-jsonschema, which
 * tools/install-deps test-tools installs) fails the test either way. The report is written piece
 * by piece (a scenario as soon as it finished, its transcript entry by entry): the file must
 * still be byte for byte what jansson prints for the whole document, and a scenario written
 * early and freed must come out as if it had been kept.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/report.h"
#include "engine/result.h"
#include "support_check.h"

/* ---- fixtures ---- */

static struct mc_protocol proto_pop3 = {.name = "pop3"};
static struct mc_protocol proto_imap = {.name = "imap"};

static struct mc_rfc_ref refs_1939[] = {{1939, "5"}};
static struct mc_rfc_ref refs_3501[] = {{3501, "6.3.1"}, {3501, NULL}};
static struct mc_rfc_ref refs_step[] = {{1939, "4"}};

static struct mc_session_spec sessions_a[] = {{"a", &proto_pop3, MC_TLS_NONE, NULL, 1, false}};
static struct mc_session_spec sessions_b[] = {
    {"in", &proto_imap, MC_TLS_IMPLICIT, "imaps", 1, true},
    {"pop", &proto_pop3, MC_TLS_STARTTLS, NULL, 1, true},
    {"pop2", &proto_pop3, MC_TLS_NONE, NULL, 2, false},
};

static char *tags_a[] = {"pop3", "basic"};

static struct mc_step steps_a[] = {
    {.kind = MC_STEP_SEND,
     .line = 12,
     .column = 5,
     .session = 0,
     .text = "STAT",
     .level = -1,
     .expect_json = "{\"ok\":true}"},
};

static struct mc_step steps_b[] = {
    {.kind = MC_STEP_SEND,
     .line = 20,
     .column = 7,
     .session = 0,
     .text = "SELECT INBOX",
     .level = -1,
     .expect_json = "{\"ok\":true}"},
    {.kind = MC_STEP_SEND,
     .line = 27,
     .column = 7,
     .session = 1,
     .text = "STAT",
     .level = MC_LEVEL_MUST,
     .rfc = {refs_step, 1},
     .why = "STAT answers +OK nn mm in the TRANSACTION state",
     .expect_json = "{\"ok\":true,\"match\":\"^\\\\+OK \\\\d+ \\\\d+$\"}"},
};

static struct mc_scenario scenario_a = {
    .file = "scenarios/pop3/stat.json",
    .id = "pop3.stat",
    .title = "STAT counts the maildrop",
    .description = "RFC 1939 section 5: STAT.",
    .rfc = {refs_1939, 1},
    .level = MC_LEVEL_MUST,
    .tags = tags_a,
    .tag_count = 2,
    .users = 1,
    .sessions = sessions_a,
    .session_count = 1,
    .steps = steps_a,
    .step_count = 1,
};

static struct mc_scenario scenario_b = {
    .file = "scenarios/cross/select-stat.json",
    .id = "cross.select-stat",
    .title = "IMAP and POP3 see the same mailbox",
    .rfc = {refs_3501, 2},
    .level = MC_LEVEL_SHOULD,
    .users = 2,
    .sessions = sessions_b,
    .session_count = 3,
    .steps = steps_b,
    .step_count = 2,
};

#define ENTRY(T, S, D, BYTES)                                                                      \
    {                                                                                              \
        T, S, D, BYTES, sizeof(BYTES) - 1                                                          \
    }

static struct mc_transcript_entry transcript_a[] = {
    ENTRY(0.0, 0, MC_DIR_EVENT, "connect 127.0.0.1:110"),
    ENTRY(0.0123, 0, MC_DIR_SERVER, "+OK ready\r\n"),
    ENTRY(0.02, 0, MC_DIR_CLIENT, "STAT\r\n"),
    ENTRY(0.03, 0, MC_DIR_SERVER, "+OK 2 320\r\n"),
};

static struct mc_transcript_entry transcript_b[] = {
    ENTRY(0.001, -1, MC_DIR_EVENT, "fixtures delivered"),
    ENTRY(0.01, 0, MC_DIR_CLIENT, "A0001 SELECT INBOX\r\n"),
    ENTRY(0.02, 0, MC_DIR_SERVER, "A0001 OK [READ-WRITE] done\r\n"),
    ENTRY(0.03, 1, MC_DIR_CLIENT, "USER mc01\r\n"),
    ENTRY(0.04, 1, MC_DIR_SERVER,
          "\xff\x00"
          "bad\r\n"),
    ENTRY(0.05, 1, MC_DIR_SERVER,
          "a\x00"
          "b\r\n"),
    ENTRY(0.06, 1, MC_DIR_SERVER, "caf\xc3\xa9 \xe2\x9c\x93\r\n"),
};

static struct mc_step_result step_results_a[] = {
    {.index = -1,
     .label = "connect",
     .session = 0,
     .outcome = MC_OUTCOME_PASS,
     .transcript_first = 0,
     .transcript_count = 2},
    {.index = 0,
     .label = "send STAT",
     .session = 0,
     .outcome = MC_OUTCOME_PASS,
     .start = 0.02,
     .duration = 0.0101,
     .sent = "STAT",
     .expected = "{\"ok\":true}",
     .got = "+OK 2 320",
     .transcript_first = 2,
     .transcript_count = 2},
};

static struct mc_step_result step_results_b[] = {
    {.index = -1,
     .label = "fixtures",
     .session = -1,
     .outcome = MC_OUTCOME_PASS,
     .transcript_first = 0,
     .transcript_count = 1},
    {.index = 0,
     .label = "send SELECT INBOX",
     .session = 0,
     .outcome = MC_OUTCOME_PASS,
     .start = 0.01,
     .duration = 0.01,
     .sent = "SELECT INBOX",
     .expected = "{\"ok\":true}",
     .got = "A0001 OK [READ-WRITE] done",
     .transcript_first = 1,
     .transcript_count = 2},
    {.index = 1,
     .label = "send STAT",
     .session = 1,
     .outcome = MC_OUTCOME_FAIL,
     .start = 0.03,
     .duration = 0.03,
     .sent = "STAT",
     .expected = "{\"ok\":true,\"match\":\"^\\\\+OK \\\\d+ \\\\d+$\"}",
     .got = "\xff"
            "bad",
     .why = "expected +OK, got a line that is not a POP3 status",
     .transcript_first = 3,
     .transcript_count = 4},
};

static char *users[] = {"mc01", "mc02"};

static struct mc_scenario_result scenario_results[] = {
    {.scenario = &scenario_a,
     .outcome = MC_OUTCOME_PASS,
     .run_id = "r1-1",
     .started = 1795428000.5,
     .duration = 0.04,
     .users = users,
     .user_count = 1,
     .steps = step_results_a,
     .step_count = 2,
     .transcript = transcript_a,
     .transcript_count = 4},
    {.scenario = &scenario_b,
     .outcome = MC_OUTCOME_FAIL,
     .run_id = "r1-2",
     .started = 1795428000.6,
     .duration = 0.07,
     .users = users,
     .user_count = 2,
     .steps = step_results_b,
     .step_count = 3,
     .transcript = transcript_b,
     .transcript_count = 7,
     .transcript_truncated = true},
};

/* Static strings: borrowed, never freed. */
static struct mc_str caps_plain[] = {{"TOP", 3, true}, {"UIDL", 4, true}, {"STLS", 4, true}};
static struct mc_str caps_tls[] = {{"TOP", 3, true}, {"UIDL", 4, true}, {"SASL=PLAIN", 10, true}};

static struct mc_capability_probe probes[] = {
    {.endpoint = "pop3",
     .protocol = "pop3",
     .plain = {caps_plain, 3, 3},
     .after_tls = {caps_tls, 3, 3},
     .greeting = "+OK ready"},
    {.endpoint = "imaps", .protocol = "imap", .error = "connection refused"},
};

static struct mc_run_result make_run(void)
{
    struct mc_run_result run = {
        .tool_version = "0.1.0-test",
        .target_name = "reference",
        .target_source = "imap://127.0.0.1:1143",
        .started = 1795428000.123,
        .finished = 1795428001.5,
        .jobs = 4,
        .scenarios = scenario_results,
        .scenario_count = 2,
        .probes = probes,
        .probe_count = 2,
    };
    return run;
}

/* ---- helpers ---- */

static char tmpdir[] = "/tmp/mc-report-XXXXXX";

static void setup(void)
{
    strcpy(tmpdir, "/tmp/mc-report-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

#define PATH_SIZE 512

static void tmp_path(char *out, const char *name)
{
    snprintf(out, PATH_SIZE, "%s/%s", tmpdir, name);
}

/* Did the writer leave its PATH.tmp behind? */
static bool tmp_file_left(const char *path)
{
    char tmp[PATH_SIZE + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    return access(tmp, F_OK) == 0;
}

static json_t *load_report(const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    ck_assert_msg(root != NULL, "%s:%d: %s", path, jerr.line, jerr.text);
    return root;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static char data[1 << 16];
    size_t n = fread(data, 1, sizeof data - 1, f);
    data[n] = '\0';
    fclose(f);
    return data;
}

static json_int_t int_of(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
    return json_integer_value(v);
}

static const char *string_of(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    ck_assert_msg(json_is_string(v), "%s is not a string", key);
    return json_string_value(v);
}

static void assert_counts(const json_t *c, int total, int pass, int fail)
{
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(int_of(c, "total"), total);
    ck_assert_int_eq(int_of(c, "pass"), pass);
    ck_assert_int_eq(int_of(c, "fail"), fail);
    ck_assert_int_eq(int_of(c, "skip"), 0);
    ck_assert_int_eq(int_of(c, "error"), 0);
    ck_assert_int_eq(int_of(c, "deviation"), 0);
    ck_assert_int_eq(int_of(c, "not_run"), 0);
}

/* The source tree: MC_SOURCE_DIR under ctest, else the current directory (a manual build from
   the repository root). */
static const char *source_dir(void)
{
    const char *d = getenv("MC_SOURCE_DIR");
    return d && *d ? d : ".";
}

/* tools/validate-report's exit statuses */
#define VALIDATE_VALID 0
#define VALIDATE_INVALID 1

/* Runs tools/validate-report on `report` (its messages go to standard error) and checks that
   it exits with `want`. */
static void assert_validates(const char *report, int want)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s/tools/validate-report' '%s' >&2", source_dir(), report);
    int st = system(cmd);
    ck_assert_msg(st != -1 && WIFEXITED(st), "cannot run %s", cmd);
    ck_assert_msg(WEXITSTATUS(st) == want,
                  "tools/validate-report %s exited with %d, expected %d (%s); 2 means it could "
                  "not check: see its message above",
                  report, WEXITSTATUS(st), want, want == VALIDATE_VALID ? "valid" : "invalid");
}

/* ---- tests ---- */

START_TEST(test_top_level_and_summary)
{
    struct mc_run_result run = make_run();
    struct mc_buf err = {0};
    char path[PATH_SIZE];
    tmp_path(path, "report.json");

    ck_assert_msg(mc_report_write_json(&run, path, &err) == 0, "%s", err.data);
    ck_assert(!tmp_file_left(path));

    json_t *root = load_report(path);
    ck_assert_str_eq(string_of(root, "format"), "mailconform-report");
    ck_assert_int_eq(int_of(root, "format_version"), 1);
    ck_assert_str_eq(string_of(json_object_get(root, "tool"), "name"), "mailconform");
    ck_assert_str_eq(string_of(json_object_get(root, "tool"), "version"), "0.1.0-test");
    ck_assert_str_eq(string_of(json_object_get(root, "target"), "name"), "reference");
    ck_assert_str_eq(string_of(root, "started"), "2026-11-23T10:00:00.123Z");
    ck_assert_str_eq(string_of(root, "finished"), "2026-11-23T10:00:01.500Z");
    ck_assert_double_eq_tol(json_real_value(json_object_get(root, "duration_s")), 1.377, 1e-9);
    ck_assert_int_eq(int_of(root, "jobs"), 4);

    /* Keys come out in the documented order. */
    const char *expected_keys[] = {"format",        "format_version", "tool",       "target",
                                   "started",       "finished",       "duration_s", "jobs",
                                   "run",           "summary",        "endpoints",  "capabilities",
                                   "retired_users", "deviations",     "scenarios"};
    size_t k = 0;
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        ck_assert_uint_lt(k, sizeof expected_keys / sizeof expected_keys[0]);
        ck_assert_str_eq(key, expected_keys[k++]);
    }
    ck_assert_uint_eq(k, sizeof expected_keys / sizeof expected_keys[0]);

    json_t *summary = json_object_get(root, "summary");
    assert_counts(summary, 2, 1, 1);
    json_t *by_protocol = json_object_get(summary, "by_protocol");
    ck_assert_uint_eq(json_object_size(by_protocol), 2);
    assert_counts(json_object_get(by_protocol, "pop3"), 2, 1, 1); /* counted once per scenario */
    assert_counts(json_object_get(by_protocol, "imap"), 1, 0, 1);
    json_t *by_level = json_object_get(summary, "by_level");
    assert_counts(json_object_get(by_level, "MUST"), 1, 1, 0);
    assert_counts(json_object_get(by_level, "SHOULD"), 1, 0, 1);
    assert_counts(json_object_get(by_level, "MAY"), 0, 0, 0);
    json_t *by_rfc = json_object_get(summary, "by_rfc");
    ck_assert_uint_eq(json_object_size(by_rfc), 2);
    assert_counts(json_object_get(by_rfc, "1939"), 2, 1, 1); /* via the step's own citation */
    assert_counts(json_object_get(by_rfc, "3501"), 1, 0, 1);

    /* Sorted keys: imap before pop3, 1939 before 3501. */
    const char *text = slurp(path);
    const char *imap = strstr(text, "\"imap\": {"), *pop3 = strstr(text, "\"pop3\": {");
    const char *rfc1939 = strstr(text, "\"1939\": {"), *rfc3501 = strstr(text, "\"3501\": {");
    ck_assert(imap && pop3 && imap < pop3);
    ck_assert(rfc1939 && rfc3501 && rfc1939 < rfc3501);
    /* Indented by 2, relative times printed short. */
    ck_assert_ptr_nonnull(strstr(text, "{\n  \"format\": \"mailconform-report\",\n"));
    ck_assert_ptr_nonnull(strstr(text, "\"t\": 0.0123,"));

    json_t *caps = json_object_get(root, "capabilities");
    ck_assert_uint_eq(json_array_size(caps), 2);
    json_t *cap0 = json_array_get(caps, 0);
    ck_assert_str_eq(string_of(cap0, "greeting"), "+OK ready");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(cap0, "after_tls"), 2)),
                     "SASL=PLAIN");
    ck_assert(json_is_null(json_object_get(cap0, "error")));
    ck_assert_str_eq(string_of(json_array_get(caps, 1), "error"), "connection refused");
    ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(caps, 1), "plain")), 0);

    json_decref(root);
    mc_buf_free(&err);
    assert_validates(path, VALIDATE_VALID);
}
END_TEST

START_TEST(test_scenarios_steps_failure)
{
    struct mc_run_result run = make_run();
    struct mc_buf err = {0};
    char path[PATH_SIZE];
    tmp_path(path, "report.json");
    ck_assert_msg(mc_report_write_json(&run, path, &err) == 0, "%s", err.data);
    json_t *root = load_report(path);
    json_t *scenarios = json_object_get(root, "scenarios");
    ck_assert_uint_eq(json_array_size(scenarios), 2);

    json_t *a = json_array_get(scenarios, 0);
    ck_assert_str_eq(string_of(a, "id"), "pop3.stat");
    ck_assert_str_eq(string_of(a, "file"), "scenarios/pop3/stat.json");
    ck_assert_str_eq(string_of(a, "level"), "MUST");
    ck_assert_str_eq(string_of(a, "outcome"), "pass");
    ck_assert_str_eq(string_of(a, "started"), "2026-11-23T10:00:00.500Z");
    ck_assert(json_is_null(json_object_get(a, "reason")));
    ck_assert(json_is_null(json_object_get(a, "failure")));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(a, "tags"), 1)), "basic");
    json_t *ref = json_array_get(json_object_get(a, "rfc"), 0);
    ck_assert_int_eq(int_of(ref, "rfc"), 1939);
    ck_assert_str_eq(string_of(ref, "section"), "5");
    json_t *sess = json_array_get(json_object_get(a, "sessions"), 0);
    ck_assert_str_eq(string_of(sess, "name"), "a");
    ck_assert_str_eq(string_of(sess, "protocol"), "pop3");
    ck_assert_str_eq(string_of(sess, "tls"), "none");
    ck_assert(json_is_null(json_object_get(sess, "endpoint")));

    /* An implicit step: no index into the file, no expectation, the scenario's citation. */
    json_t *connect = json_array_get(json_object_get(a, "steps"), 0);
    ck_assert_int_eq(int_of(connect, "index"), -1);
    ck_assert(json_is_null(json_object_get(connect, "line")));
    ck_assert(json_is_null(json_object_get(connect, "expected")));
    ck_assert_str_eq(string_of(connect, "session"), "a");
    ck_assert_str_eq(string_of(connect, "level"), "MUST");
    json_t *stat = json_array_get(json_object_get(a, "steps"), 1);
    ck_assert_int_eq(int_of(stat, "line"), 12);
    ck_assert_int_eq(int_of(stat, "column"), 5);
    ck_assert(json_is_true(json_object_get(json_object_get(stat, "expected"), "ok")));
    ck_assert_double_eq_tol(json_real_value(json_object_get(stat, "duration_s")), 0.0101, 1e-12);
    json_t *range = json_object_get(stat, "transcript");
    ck_assert_int_eq(json_integer_value(json_array_get(range, 0)), 2);
    ck_assert_int_eq(json_integer_value(json_array_get(range, 1)), 2);
    ck_assert(json_is_false(json_object_get(a, "transcript_truncated")));
    json_t *ta = json_object_get(a, "transcript");
    ck_assert_str_eq(string_of(json_array_get(ta, 1), "text"), "+OK ready\r\n");
    ck_assert_str_eq(string_of(json_array_get(ta, 1), "dir"), "server");
    ck_assert_str_eq(string_of(json_array_get(ta, 0), "dir"), "event");

    json_t *b = json_array_get(scenarios, 1);
    ck_assert_str_eq(string_of(b, "outcome"), "fail");
    ck_assert_str_eq(string_of(b, "level"), "SHOULD");
    ck_assert(json_is_null(json_object_get(b, "description")));
    ck_assert(
        json_is_null(json_object_get(json_array_get(json_object_get(b, "rfc"), 1), "section")));
    ck_assert_uint_eq(json_array_size(json_object_get(b, "users")), 2);
    ck_assert_str_eq(string_of(json_array_get(json_object_get(b, "sessions"), 0), "tls"),
                     "implicit");
    ck_assert_str_eq(string_of(json_array_get(json_object_get(b, "sessions"), 0), "endpoint"),
                     "imaps");
    ck_assert_str_eq(string_of(json_array_get(json_object_get(b, "sessions"), 1), "tls"),
                     "starttls");

    json_t *steps = json_object_get(b, "steps");
    json_t *fixtures = json_array_get(steps, 0);
    ck_assert(json_is_null(json_object_get(fixtures, "session")));
    /* The step without its own citation inherits the scenario's ... */
    json_t *select = json_array_get(steps, 1);
    ck_assert_int_eq(int_of(json_array_get(json_object_get(select, "rfc"), 0), "rfc"), 3501);
    ck_assert_str_eq(string_of(select, "level"), "SHOULD");
    /* ... the one with its own keeps it. */
    json_t *bad = json_array_get(steps, 2);
    ck_assert_str_eq(string_of(bad, "outcome"), "fail");
    ck_assert_str_eq(string_of(bad, "level"), "MUST");
    ck_assert_int_eq(int_of(json_array_get(json_object_get(bad, "rfc"), 0), "rfc"), 1939);
    ck_assert_str_eq(string_of(bad, "got"), "\xef\xbf\xbd"
                                            "bad"); /* U+FFFD for the bad byte */

    json_t *expected = json_object_get(bad, "expected");
    ck_assert(json_is_object(expected));
    ck_assert_str_eq(string_of(expected, "match"), "^\\+OK \\d+ \\d+$");

    json_t *failure = json_object_get(b, "failure");
    ck_assert(json_is_object(failure));
    ck_assert_int_eq(int_of(failure, "position"), 2);
    ck_assert_int_eq(int_of(failure, "step"), 1);
    ck_assert_int_eq(int_of(failure, "line"), 27);
    ck_assert_str_eq(string_of(failure, "session"), "pop");
    ck_assert_str_eq(string_of(failure, "outcome"), "fail");
    ck_assert_str_eq(string_of(failure, "level"), "MUST");
    ck_assert_str_eq(string_of(failure, "why"),
                     "expected +OK, got a line that is not a POP3 status");
    ck_assert_str_eq(string_of(failure, "rationale"),
                     "STAT answers +OK nn mm in the TRANSACTION state");
    ck_assert(json_equal(json_object_get(failure, "expected"), expected));
    ck_assert_str_eq(string_of(json_array_get(json_object_get(failure, "rfc"), 0), "section"), "4");

    /* Exact bytes: text when UTF-8 without NUL, base64 otherwise, never both. */
    ck_assert(json_is_true(json_object_get(b, "transcript_truncated")));
    json_t *tb = json_object_get(b, "transcript");
    ck_assert_uint_eq(json_array_size(tb), 7);
    ck_assert(json_is_null(json_object_get(json_array_get(tb, 0), "session")));
    json_t *user = json_array_get(tb, 3);
    ck_assert_str_eq(string_of(user, "text"), "USER mc01\r\n");
    ck_assert_str_eq(string_of(user, "session"), "pop");
    ck_assert_str_eq(string_of(user, "dir"), "client");
    ck_assert_ptr_null(json_object_get(user, "base64"));
    json_t *invalid = json_array_get(tb, 4);
    ck_assert_str_eq(string_of(invalid, "base64"), "/wBiYWQNCg==");
    ck_assert_ptr_null(json_object_get(invalid, "text"));
    json_t *nul = json_array_get(tb, 5);
    ck_assert_str_eq(string_of(nul, "base64"), "YQBiDQo=");
    ck_assert_ptr_null(json_object_get(nul, "text"));
    ck_assert_str_eq(string_of(json_array_get(tb, 6), "text"), "caf\xc3\xa9 \xe2\x9c\x93\r\n");
    ck_assert_double_eq_tol(json_real_value(json_object_get(json_array_get(tb, 6), "t")), 0.06,
                            1e-12);

    json_decref(root);
    mc_buf_free(&err);
}
END_TEST

START_TEST(test_zero_scenarios)
{
    struct mc_run_result run = {.started = 1795428000.0, .finished = 1795428000.0};
    struct mc_buf err = {0};
    char path[PATH_SIZE];
    tmp_path(path, "empty.json");
    ck_assert_msg(mc_report_write_json(&run, path, &err) == 0, "%s", err.data);

    json_t *root = load_report(path);
    ck_assert_str_eq(string_of(json_object_get(root, "tool"), "version"), MC_VERSION);
    ck_assert(json_is_null(json_object_get(json_object_get(root, "target"), "name")));
    json_t *summary = json_object_get(root, "summary");
    assert_counts(summary, 0, 0, 0);
    ck_assert_uint_eq(json_object_size(json_object_get(summary, "by_protocol")), 0);
    ck_assert_uint_eq(json_object_size(json_object_get(summary, "by_rfc")), 0);
    assert_counts(json_object_get(json_object_get(summary, "by_level"), "MAY"), 0, 0, 0);
    ck_assert_uint_eq(json_array_size(json_object_get(root, "scenarios")), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(root, "capabilities")), 0);
    ck_assert_double_eq(json_real_value(json_object_get(root, "duration_s")), 0.0);
    json_decref(root);
    mc_buf_free(&err);
    assert_validates(path, VALIDATE_VALID);
}
END_TEST

START_TEST(test_schema_rejects_broken_report)
{
    /* The validator must say no, with a path, to a report that breaks the schema. */
    struct mc_run_result run = make_run();
    char path[PATH_SIZE];
    tmp_path(path, "broken.json");
    ck_assert_int_eq(mc_report_write_json(&run, path, NULL), 0);
    json_t *root = load_report(path);
    json_t *entry = json_array_get(
        json_object_get(json_array_get(json_object_get(root, "scenarios"), 1), "transcript"), 4);
    json_object_set_new(entry, "text", json_string("both text and base64"));
    json_object_set_new(json_array_get(json_object_get(root, "scenarios"), 0), "outcome",
                        json_string("passed"));
    ck_assert_int_eq(json_dump_file(root, path, JSON_INDENT(2)), 0);
    json_decref(root);

    assert_validates(path, VALIDATE_INVALID);
}
END_TEST

START_TEST(test_stdout)
{
    struct mc_run_result run = make_run();
    char path[PATH_SIZE];
    tmp_path(path, "stdout.json");
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_ge(dup2(fd, STDOUT_FILENO), 0);
    close(fd);
    int rc = mc_report_write_json(&run, "-", NULL);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    ck_assert_int_eq(rc, 0);

    json_t *root = load_report(path);
    ck_assert_uint_eq(json_array_size(json_object_get(root, "scenarios")), 2);
    json_decref(root);
}
END_TEST

START_TEST(test_errors_leave_old_report)
{
    struct mc_run_result run = make_run();
    struct mc_buf err = {0};
    char path[PATH_SIZE];
    tmp_path(path, "keep.json");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"old\": true}\n", f);
    fclose(f);

    /* A step that names a session the scenario does not have: refused, with context. */
    step_results_b[2].session = 7;
    int rc = mc_report_write_json(&run, path, &err);
    step_results_b[2].session = 1;
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_nonnull(strstr(err.data, "scenarios/cross/select-stat.json"));
    ck_assert_ptr_nonnull(strstr(err.data, "cross.select-stat"));
    ck_assert_ptr_nonnull(strstr(err.data, "send STAT"));
    ck_assert_ptr_nonnull(strstr(err.data, "session"));
    ck_assert_str_eq(slurp(path), "{\"old\": true}\n");
    ck_assert(!tmp_file_left(path));

    /* An expectation that is not a JSON object. */
    mc_buf_reset(&err);
    step_results_b[1].expected = "[1, 2]";
    rc = mc_report_write_json(&run, path, &err);
    step_results_b[1].expected = "{\"ok\":true}";
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_nonnull(strstr(err.data, "not a JSON object"));

    /* A transcript range past the end. */
    mc_buf_reset(&err);
    step_results_b[2].transcript_count = 5;
    rc = mc_report_write_json(&run, path, &err);
    step_results_b[2].transcript_count = 4;
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_nonnull(strstr(err.data, "transcript range"));
    ck_assert_str_eq(slurp(path), "{\"old\": true}\n");

    /* A directory that does not exist: the path is in the message. */
    mc_buf_reset(&err);
    ck_assert_int_eq(mc_report_write_json(&run, "/nonexistent-mc-dir/r.json", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.data, "/nonexistent-mc-dir/r.json"));
    mc_buf_free(&err);

    /* And after all that the model still writes fine. */
    ck_assert_int_eq(mc_report_write_json(&run, path, NULL), 0);
    ck_assert_ptr_nonnull(strstr(slurp(path), "\"format\": \"mailconform-report\""));
}
END_TEST

/* What a jansson dump of the whole document prints (the writer before it streamed). */
static void assert_whole_dump(const char *path)
{
    char *text = mc_xstrdup(slurp(path));
    json_t *root = load_report(path);
    char *again = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    ck_assert_ptr_nonnull(again);
    size_t n = strlen(again);
    ck_assert_uint_eq(strlen(text), n + 1);
    ck_assert_int_eq(memcmp(text, again, n), 0);
    ck_assert_int_eq(text[n], '\n');
    free(again);
    free(text);
    json_decref(root);
}

START_TEST(test_streamed_is_whole_dump)
{
    struct mc_run_result run = make_run();
    char path[PATH_SIZE];
    tmp_path(path, "whole.json");
    ck_assert_int_eq(mc_report_write_json(&run, path, NULL), 0);
    assert_whole_dump(path);
    run.scenario_count = 0;
    ck_assert_int_eq(mc_report_write_json(&run, path, NULL), 0);
    assert_whole_dump(path);
    ck_assert_ptr_nonnull(strstr(slurp(path), "\"scenarios\": []\n}\n"));
}
END_TEST

/* A heap copy of the fixture's scenario results, transcripts included, that can be freed. */
static struct mc_scenario_result *heap_results(void)
{
    struct mc_scenario_result *r = mc_xcalloc(2, sizeof *r);
    memcpy(r, scenario_results, 2 * sizeof *r);
    for (size_t i = 0; i < 2; i++) {
        struct mc_transcript_entry *t = mc_xcalloc(r[i].transcript_count, sizeof *t);
        for (size_t k = 0; k < r[i].transcript_count; k++) {
            t[k] = r[i].transcript[k];
            t[k].data = mc_xstrndup(t[k].data, t[k].len);
        }
        r[i].transcript = t;
        r[i].transcript_cap = r[i].transcript_count;
    }
    return r;
}

static size_t files_in(const char *dir)
{
    char cmd[PATH_SIZE + 32];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    unsigned n = 0;
    ck_assert_int_eq(fscanf(p, "%u", &n), 1);
    pclose(p);
    return n;
}

/* Scenario 1 finishes first: it is written and its transcript freed at once; scenario 0 is
   written at the end from memory. The report is the one written from the whole result, and the
   spool is nowhere to be seen. */
START_TEST(test_sink_writes_as_scenarios_finish)
{
    struct mc_run_result run = make_run();
    char whole[PATH_SIZE], streamed[PATH_SIZE];
    tmp_path(whole, "whole.json");
    tmp_path(streamed, "streamed.json");
    ck_assert_int_eq(mc_report_write_json(&run, whole, NULL), 0);
    char *want = mc_xstrdup(slurp(whole));

    struct mc_buf err = {0};
    run.scenarios = heap_results();
    struct mc_report_sink *sink = mc_report_sink_open(streamed, &err);
    ck_assert_msg(sink != NULL, "%s", err.data);
    mc_report_sink_scenario(sink, &run.scenarios[1], 1);
    mc_scenario_result_release_transcript(&run.scenarios[1]);
    ck_assert_ptr_null(run.scenarios[1].transcript);
    ck_assert_uint_eq(files_in(tmpdir), 1); /* the spool has no name */
    ck_assert_msg(mc_report_sink_finish(sink, &run, &err) == 0, "%s", err.data);
    ck_assert_str_eq(slurp(streamed), want);
    ck_assert_uint_eq(files_in(tmpdir), 2);

    /* A transcript freed before it was written cannot be reported: said, nothing written. */
    mc_scenario_result_release_transcript(&run.scenarios[0]);
    ck_assert_int_eq(mc_report_write_json(&run, streamed, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.data, "keep_transcripts"));
    ck_assert_str_eq(slurp(streamed), want);
    ck_assert(!tmp_file_left(streamed));
    free(run.scenarios);
    free(want);
    mc_buf_free(&err);
}
END_TEST

START_TEST(test_outcome_names)
{
    ck_assert_str_eq(mc_outcome_name(MC_OUTCOME_PASS), "pass");
    ck_assert_str_eq(mc_outcome_name(MC_OUTCOME_FAIL), "fail");
    ck_assert_str_eq(mc_outcome_name(MC_OUTCOME_SKIP), "skip");
    ck_assert_str_eq(mc_outcome_name(MC_OUTCOME_ERROR), "error");
    ck_assert_str_eq(mc_outcome_name(MC_OUTCOME_DEVIATION), "deviation");
    ck_assert_str_eq(mc_outcome_name(MC_OUTCOME_NOT_RUN), "not_run");
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report_json");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_outcome_names);
    tcase_add_test(tc, test_top_level_and_summary);
    tcase_add_test(tc, test_scenarios_steps_failure);
    tcase_add_test(tc, test_zero_scenarios);
    tcase_add_test(tc, test_schema_rejects_broken_report);
    tcase_add_test(tc, test_stdout);
    tcase_add_test(tc, test_errors_leave_old_report);
    tcase_add_test(tc, test_streamed_is_whole_dump);
    tcase_add_test(tc, test_sink_writes_as_scenarios_finish);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return mc_check_run(report_suite());
}
