/*
 * explain_expect — what a step expects, and where its ${variables} come from, in words (see
 * explain_words.h).
 *
 * Each key of an `expect` (docs/scenario-format.md, "Expectations") becomes one clause, in the
 * terms of the session's protocol: a protocol with reply codes (SMTP, LMTP) speaks of codes,
 * one with untagged lines (IMAP) of tagged replies, the others (POP3) of the status words its
 * table lists ("+OK", "-ERR"). A step without `expect` gets its action's default, as the
 * engine applies it (run_ops.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/explain_words.h"
#include "engine/matcher.h"
#include "engine/vars.h"

/* --- the protocol's vocabulary --- */

bool mc_explain_has_tags(const struct mc_protocol *p)
{
    return p->lines_key && strcmp(p->lines_key, "untagged") == 0;
}

static void positive(const struct mc_protocol *p, struct mc_buf *out)
{
    if (p->reply_codes)
        mc_buf_append_str(out, "positive (a 2xx or 3xx code)");
    else if (mc_explain_has_tags(p))
        mc_buf_append_str(out, "positive (a tagged OK)");
    else
        mc_buf_printf(out, "positive (%s)", p->status_words ? p->status_words[0] : "OK");
}

static void negative(const struct mc_protocol *p, struct mc_buf *out)
{
    if (p->reply_codes)
        mc_buf_append_str(out, "negative (a 4xx or 5xx code)");
    else if (mc_explain_has_tags(p))
        mc_buf_append_str(out, "negative (a tagged NO or BAD)");
    else if (p->status_words && p->status_words[0] && p->status_words[1])
        mc_buf_printf(out, "negative (%s)", p->status_words[1]);
    else
        mc_buf_append_str(out, "negative");
}

static const char *status_line(const struct mc_protocol *p)
{
    return p->reply_codes           ? "the last line of the reply"
           : mc_explain_has_tags(p) ? "the tagged line"
                                    : "the status line (the first line)";
}

static const char *data_lines(const struct mc_protocol *p)
{
    return p->reply_codes           ? "lines of the reply (the text after each code)"
           : mc_explain_has_tags(p) ? "untagged lines (\"* ...\")"
                                    : "lines of the body (after the status line)";
}

void mc_explain_greeting(const struct mc_protocol *p, struct mc_buf *out)
{
    mc_buf_append_str(out, "the server speaks first, and its greeting must be ");
    if (p->reply_codes)
        mc_buf_append_str(out, "positive (220)");
    else if (mc_explain_has_tags(p))
        mc_buf_append_str(out, "positive (\"* OK\" or \"* PREAUTH\")");
    else
        positive(p, out);
}

const char *mc_explain_level(enum mc_level level)
{
    switch (level) {
    case MC_LEVEL_MUST:
        return "MUST: an absolute requirement of the specification (RFC 2119)";
    case MC_LEVEL_SHOULD:
        return "SHOULD: recommended; a server may differ only for a reason it understands "
               "well (RFC 2119)";
    default:
        return "MAY: truly optional (RFC 2119)";
    }
}

/* --- clauses --- */

static void push(struct mc_strv *lines, const char *indent, struct mc_buf *b)
{
    struct mc_buf l = {0};
    mc_buf_printf(&l, "%s%s", indent, b->data ? b->data : "");
    mc_strv_push(lines, l.data, l.len);
    mc_buf_free(&l);
    mc_buf_reset(b);
}

/* " (it captures ${a}, ${b})" for the pattern's named groups. */
static void captures(const char *pattern, struct mc_buf *out)
{
    struct mc_strv names = {0};
    mc_regex_group_names(pattern, &names);
    for (size_t i = 0; i < names.count; i++)
        mc_buf_printf(out, "%s${%s}", i ? ", " : " (it captures ", names.items[i].ptr);
    if (names.count)
        mc_buf_append_char(out, ')');
    mc_strv_free(&names);
}

static void pattern_list(const struct mc_patterns *ps, const char *indent, struct mc_strv *lines)
{
    struct mc_buf b = {0}, in = {0};
    mc_buf_printf(&in, "%s    ", indent);
    for (size_t i = 0; i < ps->count; i++) {
        mc_buf_append_str(&b, ps->items[i]);
        captures(ps->items[i], &b);
        push(lines, in.data, &b);
    }
    mc_buf_free(&b);
    mc_buf_free(&in);
}

static void status_clauses(const struct mc_expect *e, const struct mc_protocol *p,
                           const char *indent, struct mc_strv *lines)
{
    struct mc_buf b = {0};
    if (e->ok >= 0) {
        mc_buf_append_str(&b, "the reply must be ");
        (e->ok ? positive : negative)(p, &b);
        push(lines, indent, &b);
    }
    if (e->status) {
        bool tagged =
            mc_explain_has_tags(p) &&
            (!strcmp(e->status, "OK") || !strcmp(e->status, "NO") || !strcmp(e->status, "BAD"));
        mc_buf_printf(&b, tagged ? "the reply must be a tagged %s" : "the status must be %s",
                      e->status);
        push(lines, indent, &b);
    }
    if (e->continuation) {
        mc_buf_append_str(&b, p->reply_codes ? "the server must ask for more (a 3xx code, "
                                               "such as 354 after DATA)"
                                             : "the server must ask for more (a continuation "
                                               "request, \"+ ...\")");
        push(lines, indent, &b);
    }
    if (e->code) {
        mc_buf_printf(&b, "it must be a %d reply (the reply code)", e->code);
        push(lines, indent, &b);
    }
    if (e->code_class) {
        mc_buf_printf(&b, "it must be a %dxx reply (the first digit of the code)", e->code_class);
        push(lines, indent, &b);
    }
    if (e->enhanced) {
        mc_buf_printf(&b, "the enhanced status code (RFC 3463) of the last line must be %s",
                      e->enhanced);
        push(lines, indent, &b);
    }
    if (e->match) {
        mc_buf_printf(&b, "%s must match the regular expression  %s", status_line(p), e->match);
        captures(e->match, &b);
        push(lines, indent, &b);
    }
    if (e->not_match) {
        mc_buf_printf(&b, "%s must not match  %s", status_line(p), e->not_match);
        push(lines, indent, &b);
    }
    mc_buf_free(&b);
}

static void line_clauses(const struct mc_expect *e, const struct mc_protocol *p, const char *indent,
                         struct mc_strv *lines)
{
    struct mc_buf b = {0};
    if (e->lines.count) {
        mc_buf_printf(
            &b, "each pattern must match a different one of the %s, in any order:", data_lines(p));
        push(lines, indent, &b);
        pattern_list(&e->lines, indent, lines);
    }
    if (e->lines_in_order.count) {
        mc_buf_printf(&b,
                      "each pattern must match a different one of the %s, in this order (other "
                      "lines may come between):",
                      data_lines(p));
        push(lines, indent, &b);
        pattern_list(&e->lines_in_order, indent, lines);
    }
    if (e->lines_shared.count) {
        mc_buf_printf(&b,
                      "each pattern must match one of the %s; one line may match several "
                      "patterns, and may be a line matched above:",
                      data_lines(p));
        push(lines, indent, &b);
        pattern_list(&e->lines_shared, indent, lines);
    }
    if (e->lines_may_given && e->lines_may.count == 0) {
        mc_buf_printf(&b, "no other %s may come", data_lines(p));
        push(lines, indent, &b);
    } else if (e->lines_may_given) {
        mc_buf_printf(&b, "any other of the %s must match one of:", data_lines(p));
        push(lines, indent, &b);
        pattern_list(&e->lines_may, indent, lines);
    }
    if (e->lines_none.count) {
        mc_buf_printf(&b, "none of the %s may match any of:", data_lines(p));
        push(lines, indent, &b);
        pattern_list(&e->lines_none, indent, lines);
    }
    if (e->lines_each.count) {
        mc_buf_printf(&b,
                      "each of the %s that matches one of these adds the values of its named "
                      "groups to lists (one value per line):",
                      data_lines(p));
        push(lines, indent, &b);
        pattern_list(&e->lines_each, indent, lines);
    }
    if (e->checks.count) {
        mc_buf_append_str(&b, "then these relations between the captured values must hold:");
        push(lines, indent, &b);
        pattern_list(&e->checks, indent, lines);
    }
    if (e->multiline >= 0) {
        mc_buf_append_str(&b, e->multiline ? "the reply is read as multi-line: a body ended by a "
                                             "line holding a single \".\""
                                           : "the reply is read as a single line");
        push(lines, indent, &b);
    }
    for (size_t i = 0; i < e->captured_count; i++) {
        mc_buf_printf(&b,
                      "${%s}, captured by an earlier step, must have been captured and "
                      "match  %s",
                      e->captured[i].name, e->captured[i].pattern);
        push(lines, indent, &b);
    }
    mc_buf_free(&b);
}

static void expect_clauses(const struct mc_expect *e, const struct mc_protocol *p,
                           const char *indent, struct mc_strv *lines)
{
    size_t before = lines->count;
    status_clauses(e, p, indent, lines);
    line_clauses(e, p, indent, lines);
    if (!e->any_of_count)
        return;
    struct mc_buf b = {0}, in = {0};
    mc_buf_printf(&b,
                  "%sat least one of these %zu alternatives must hold (the first that does "
                  "gives its captures):",
                  lines->count > before ? "and " : "", e->any_of_count);
    push(lines, indent, &b);
    mc_buf_printf(&in, "%s       ", indent);
    for (size_t i = 0; i < e->any_of_count; i++) {
        size_t first = lines->count;
        expect_clauses(&e->any_of[i], p, in.data, lines);
        if (lines->count == first) {
            mc_buf_append_str(&b, "(anything)");
            push(lines, in.data, &b);
        }
        /* number the alternative on its first line: "    1. " replaces the indent */
        struct mc_buf numbered = {0};
        mc_buf_printf(&numbered, "%s  %2zu. %s", indent, i + 1, lines->items[first].ptr + in.len);
        free(lines->items[first].ptr);
        lines->items[first].ptr = mc_buf_steal(&numbered);
        lines->items[first].len = strlen(lines->items[first].ptr);
    }
    mc_buf_free(&b);
    mc_buf_free(&in);
}

/* The expectation of a step that gives none: its action's default (run_ops.c). */
static void default_expect(const struct mc_step *st, const struct mc_protocol *p,
                           struct mc_strv *lines)
{
    struct mc_buf b = {0};
    switch (st->kind) {
    case MC_STEP_CONNECT:
        mc_explain_greeting(p, &b);
        break;
    case MC_STEP_SEND:
        mc_buf_append_str(&b, "any complete reply (this step checks nothing about it)");
        break;
    case MC_STEP_SEND_RAW:
        mc_buf_append_str(&b, "nothing: no reply is read");
        break;
    case MC_STEP_CLOSE:
        if (strcmp(st->text, "quit") == 0) {
            mc_buf_append_str(&b, "the reply must be ");
            positive(p, &b);
            mc_buf_append_str(&b, ", and then the server must close the connection");
        } else {
            mc_buf_append_str(&b, "nothing");
        }
        break;
    case MC_STEP_EXPECT_CLOSE:
        mc_buf_append_str(&b, "the server closes the connection");
        break;
    case MC_STEP_DELIVER:
        mc_buf_append_str(&b, "the message must be accepted");
        break;
    case MC_STEP_WAIT:
        mc_buf_append_str(&b, "nothing");
        break;
    default: /* login, auth, starttls, send_message */
        mc_buf_append_str(&b, "the reply must be ");
        positive(p, &b);
        break;
    }
    push(lines, "", &b);
    mc_buf_free(&b);
}

void mc_explain_expect(const struct mc_scenario *sc, size_t i, struct mc_strv *lines)
{
    const struct mc_step *st = &sc->steps[i];
    const struct mc_protocol *p = st->session >= 0 ? sc->sessions[st->session].proto : NULL;
    if (!p) { /* deliver, wait */
        struct mc_buf b = {0};
        mc_buf_append_str(&b,
                          st->kind == MC_STEP_DELIVER ? "the message must be accepted" : "nothing");
        push(lines, "", &b);
        mc_buf_free(&b);
        return;
    }
    if (!st->has_expect) {
        default_expect(st, p, lines);
        return;
    }
    expect_clauses(&st->expect, p, "", lines);
    struct mc_buf b = {0};
    if (st->kind == MC_STEP_LOGIN)
        mc_buf_append_str(&b, "(these apply to the last reply; every earlier one must be "
                              "positive)");
    else if (st->kind == MC_STEP_CLOSE && strcmp(st->text, "quit") == 0)
        mc_buf_append_str(&b, "and then the server must close the connection");
    if (b.len)
        push(lines, "", &b);
    mc_buf_free(&b);
}

/* --- variables --- */

static void collect_name(const char *name, size_t len, void *ctx)
{
    struct mc_strv *names = ctx;
    for (size_t i = 0; i < names->count; i++)
        if (names->items[i].len == len && memcmp(names->items[i].ptr, name, len) == 0)
            return;
    mc_strv_push(names, name, len);
}

static void collect_text(const char *text, struct mc_strv *names)
{
    if (text)
        mc_vars_each_reference(text, collect_name, names);
}

static void collect_patterns(const struct mc_patterns *ps, struct mc_strv *names)
{
    for (size_t i = 0; i < ps->count; i++)
        collect_text(ps->items[i], names);
}

static void collect_expect(const struct mc_expect *e, struct mc_strv *names)
{
    collect_text(e->match, names);
    collect_text(e->not_match, names);
    collect_patterns(&e->lines, names);
    collect_patterns(&e->lines_in_order, names);
    collect_patterns(&e->lines_shared, names);
    collect_patterns(&e->lines_may, names);
    collect_patterns(&e->lines_none, names);
    collect_patterns(&e->lines_each, names);
    collect_patterns(&e->checks, names);
    for (size_t i = 0; i < e->captured_count; i++) {
        collect_name(e->captured[i].name, strlen(e->captured[i].name), names);
        collect_text(e->captured[i].pattern, names);
    }
    for (size_t i = 0; i < e->any_of_count; i++)
        collect_expect(&e->any_of[i], names);
}

static bool patterns_capture(const struct mc_patterns *ps, const char *name)
{
    bool found = false;
    for (size_t i = 0; i < ps->count && !found; i++) {
        struct mc_strv groups = {0};
        mc_regex_group_names(ps->items[i], &groups);
        for (size_t k = 0; k < groups.count; k++)
            found = found || strcmp(groups.items[k].ptr, name) == 0;
        mc_strv_free(&groups);
    }
    return found;
}

static bool expect_captures(const struct mc_expect *e, const char *name)
{
    char *match_item = e->match;
    struct mc_patterns match = {&match_item, e->match ? 1 : 0};
    if (patterns_capture(&match, name) || patterns_capture(&e->lines, name) ||
        patterns_capture(&e->lines_in_order, name) || patterns_capture(&e->lines_shared, name) ||
        patterns_capture(&e->lines_may, name) || patterns_capture(&e->lines_each, name))
        return true;
    for (size_t i = 0; i < e->any_of_count; i++)
        if (expect_captures(&e->any_of[i], name))
            return true;
    return false;
}

/* Where the value of ${name} comes from, as step `i` sees it. */
static void describe_var(const struct mc_scenario *sc, size_t i, const char *name, struct mc_buf *b)
{
    static const struct {
        const char *prefix, *what;
    } user_vars[] = {{"user", "login name"}, {"password", "password"}, {"address", "mail address"}};
    const struct mc_step *st = &sc->steps[i];
    for (size_t k = 0; k < sizeof user_vars / sizeof user_vars[0]; k++) {
        size_t n = strlen(user_vars[k].prefix);
        if (strncmp(name, user_vars[k].prefix, n) != 0)
            continue;
        if (name[n] == '\0' && st->session >= 0) {
            mc_buf_printf(b, "the %s of the session's user (test user %d), from the target%s",
                          user_vars[k].what, sc->sessions[st->session].user,
                          k == 1 ? "; reports and transcripts mask it" : "");
            return;
        }
        if (name[n] >= '1' && name[n] <= '9' &&
            strspn(name + n, "0123456789") == strlen(name + n)) {
            mc_buf_printf(b, "the %s of test user %s, from the target", user_vars[k].what,
                          name + n);
            return;
        }
    }
    if (strcmp(name, "domain") == 0) {
        mc_buf_append_str(b, "the target's mail domain");
    } else if (strcmp(name, "host") == 0) {
        mc_buf_append_str(b, "the target's host name");
    } else if (strcmp(name, "run_id") == 0) {
        mc_buf_append_str(b, "12 hex digits, new for each run of the scenario, so that parallel "
                             "runs never find each other's mail");
    } else if (strcmp(name, "fixtures") == 0) {
        mc_buf_printf(b, "how many messages fixtures delivered before the first step (%d)",
                      sc->fixture_messages);
    } else if (strcmp(name, "tag") == 0) {
        mc_buf_append_str(b, "the tag of this step's IMAP command");
    } else if (strcmp(name, "nul") == 0) {
        mc_buf_append_str(b, "one NUL octet");
    } else if (strcmp(name, "reply_octets") == 0 || strcmp(name, "reply_lines") == 0) {
        mc_buf_append_str(b, name[6] == 'o' ? "the octets of this reply's data lines, a CRLF "
                                              "counted for each"
                                            : "how many data lines this reply has");
    } else if (st->has_expect && patterns_capture(&st->expect.lines_each, name)) {
        mc_buf_append_str(b, "the list this step collects: one value per line its pattern "
                             "matches");
    } else {
        for (size_t k = i; k-- > 0;) {
            if (sc->steps[k].has_expect && expect_captures(&sc->steps[k].expect, name)) {
                mc_buf_printf(b,
                              "captured from the reply of step %zu, by the named group "
                              "(?<%s>...)",
                              k + 1, name);
                return;
            }
        }
        if (st->has_expect && expect_captures(&st->expect, name))
            mc_buf_printf(b, "captured from this step's reply, by the named group (?<%s>...)",
                          name);
        else
            mc_buf_append_str(b, "captured by an earlier step");
    }
}

void mc_explain_vars(const struct mc_scenario *sc, size_t i, struct mc_strv *lines)
{
    const struct mc_step *st = &sc->steps[i];
    struct mc_strv names = {0};
    if (st->kind == MC_STEP_LOGIN || st->kind == MC_STEP_AUTH) { /* the commands use them */
        collect_name("user", 4, &names);
        collect_name("password", 8, &names);
    } else if (st->kind != MC_STEP_CLOSE) {
        collect_text(st->text, &names);
    }
    for (size_t k = 0; k < st->raw_count; k++)
        collect_text(st->raw[k].text, &names); /* up to a NUL: what the loader checked */
    collect_text(st->message.subject, &names);
    collect_text(st->message.from, &names);
    collect_text(st->message.to, &names);
    collect_text(st->message.body, &names);
    if (st->has_expect)
        collect_expect(&st->expect, &names);
    for (size_t k = 0; k < names.count; k++) {
        struct mc_buf b = {0};
        mc_buf_printf(&b, "${%s}: ", names.items[k].ptr);
        describe_var(sc, i, names.items[k].ptr, &b);
        mc_strv_push(lines, b.data, b.len);
        mc_buf_free(&b);
    }
    mc_strv_free(&names);
}
