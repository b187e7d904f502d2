/*
 * loader_step — the "steps" array: one action per step, the session it runs on, and the
 * fields every step may carry (see loader_internal.h, docs/scenario-format.md).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/loader_internal.h"
#include "lib/sasl.h"

static const char *const ld_step_keys[] = {
    "session",      "connect", "send",     "continue",     "send_raw", "await",
    "login",        "auth",    "starttls", "send_message", "deliver",  "close",
    "expect_close", "wait",    "expect",   "timeout_ms",   "rfc",      "level",
    "why",          "soft",    "track",    NULL,
};

/* The action keys, each with the step kind it makes. */
static const struct {
    const char *key;
    enum mc_step_kind kind;
} ld_actions[] = {
    {"connect", MC_STEP_CONNECT},
    {"send", MC_STEP_SEND},
    {"send_raw", MC_STEP_SEND_RAW},
    {"await", MC_STEP_AWAIT},
    {"login", MC_STEP_LOGIN},
    {"auth", MC_STEP_AUTH},
    {"starttls", MC_STEP_STARTTLS},
    {"send_message", MC_STEP_SEND_MESSAGE},
    {"deliver", MC_STEP_DELIVER},
    {"close", MC_STEP_CLOSE},
    {"expect_close", MC_STEP_EXPECT_CLOSE},
    {"wait", MC_STEP_WAIT},
};
#define LD_ACTION_COUNT (sizeof ld_actions / sizeof ld_actions[0])

static const char *const ld_close_modes[] = {"quit", "abort", NULL};
static const char *const ld_message_keys[] = {"subject", "from", "to", "body_lines", "body", NULL};
static const char *const ld_deliver_keys[] = {"subject", "from", "to", "body_lines",
                                              "body",    "user", NULL};
static const char *const ld_piece_keys[] = {"text", "repeat", NULL};

/* subject, from, to: one line each; body: CRLF-separated lines. */
static void ld_message(struct ld *ld, json_t *v, const char *path, struct mc_step *st, bool deliver)
{
    struct mc_message_spec *m = &st->message;
    char p[LD_PATH_MAX];
    m->body_lines = LD_BODY_LINES_DEFAULT;
    if (!json_is_object(v)) {
        mc_ld_error(ld, path, "must be an object like {\"subject\": \"hello\", \"body_lines\": 3}");
        return;
    }
    mc_ld_check_keys(ld, v, path, deliver ? ld_deliver_keys : ld_message_keys);
    static const char *const fields[] = {"subject", "from", "to"};
    char **slots[] = {&m->subject, &m->from, &m->to};
    for (size_t i = 0; i < 3; i++) {
        json_t *f = json_object_get(v, fields[i]);
        mc_ld_path_key(p, path, fields[i]);
        if (f && mc_ld_string(ld, f, p, LD_STR_ONE_LINE, slots[i]) &&
            mc_ld_check_vars(ld, p, *slots[i], strlen(*slots[i])) &&
            mc_ld_uses_function(*slots[i], "literal"))
            mc_ld_error(ld, p, "${literal:...} holds a line break: it has no place in a header");
    }
    json_t *body = json_object_get(v, "body");
    json_t *lines = json_object_get(v, "body_lines");
    mc_ld_path_key(p, path, "body");
    if (body && mc_ld_string(ld, body, p, 0, &m->body))
        mc_ld_check_vars(ld, p, m->body, strlen(m->body));
    mc_ld_path_key(p, path, "body_lines");
    if (lines && body)
        mc_ld_error_key(ld, p, "give either 'body' or 'body_lines', not both");
    else if (lines)
        mc_ld_int(ld, lines, p, 0, LD_BODY_LINES_MAX, &m->body_lines);
    json_t *user = json_object_get(v, "user");
    mc_ld_path_key(p, path, "user");
    st->deliver_user = 1;
    if (deliver && user && mc_ld_int(ld, user, p, 1, LD_USERS_MAX, &st->deliver_user) &&
        st->deliver_user > ld->s->users)
        mc_ld_error(ld, p, "is user %d, but the scenario has %d user%s: set \"users\": %d",
                    st->deliver_user, ld->s->users, ld->s->users == 1 ? "" : "s", st->deliver_user);
}

/* One piece of a raw send: "text" or {"text": "A", "repeat": 2000}. */
static bool ld_raw_piece(struct ld *ld, json_t *v, const char *path, struct mc_raw_piece *out)
{
    json_t *text = v;
    char p[LD_PATH_MAX];
    mc_ld_path_copy(p, path);
    out->repeat = 1;
    if (json_is_object(v)) {
        mc_ld_check_keys(ld, v, path, ld_piece_keys);
        json_t *rep = json_object_get(v, "repeat");
        int n;
        mc_ld_path_key(p, path, "repeat");
        if (rep && mc_ld_int(ld, rep, p, 1, LD_RAW_REPEAT_MAX, &n))
            out->repeat = (size_t)n;
        text = mc_ld_required(ld, v, path, "text");
        if (!text)
            return false;
        mc_ld_path_key(p, path, "text");
    }
    if (!json_is_string(text)) {
        mc_ld_error(ld, p, "must be a string or {\"text\": \"...\", \"repeat\": N}");
        return false;
    }
    out->len = json_string_length(text);
    out->text = mc_xstrndup(json_string_value(text), out->len); /* NULs included */
    mc_ld_check_vars(ld, p, out->text, out->len);
    return true;
}

static void ld_send_raw(struct ld *ld, json_t *v, const char *path, struct mc_step *st)
{
    if (json_is_string(v)) {
        st->raw = mc_xcalloc(1, sizeof *st->raw);
        if (ld_raw_piece(ld, v, path, &st->raw[0]))
            st->raw_count = 1;
    } else if (json_is_array(v) && json_array_size(v) > 0) {
        st->raw = mc_xcalloc(json_array_size(v), sizeof *st->raw);
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            char p[LD_PATH_MAX];
            mc_ld_path_index(p, path, i);
            if (ld_raw_piece(ld, item, p, &st->raw[st->raw_count]))
                st->raw_count++;
            else
                free(st->raw[st->raw_count].text);
        }
    } else {
        mc_ld_error(ld, path,
                    "must be a string or a non-empty array of strings and "
                    "{\"text\": \"...\", \"repeat\": N}");
        return;
    }
    size_t total = 0;
    for (size_t i = 0; i < st->raw_count; i++) {
        const struct mc_raw_piece *r = &st->raw[i];
        if (r->len && r->repeat > (LD_RAW_TOTAL_MAX - total) / r->len) {
            mc_ld_error(ld, path, "sends more than %lu bytes in all", LD_RAW_TOTAL_MAX);
            return;
        }
        total += r->len * r->repeat;
    }
    if (total == 0 && st->raw_count > 0)
        mc_ld_error(ld, path, "sends nothing");
}

/* The step's "session": required except for deliver and wait. Returns its index or -1. */
static int ld_step_session(struct ld *ld, json_t *step, const char *path, enum mc_step_kind kind)
{
    char p[LD_PATH_MAX];
    mc_ld_path_key(p, path, "session");
    json_t *v = json_object_get(step, "session");
    if (kind == MC_STEP_DELIVER || kind == MC_STEP_WAIT) {
        if (v)
            mc_ld_error_key(ld, p, "a %s step uses no session: leave 'session' out",
                            mc_step_kind_name(kind));
        return -1;
    }
    char *name;
    if (!(v = mc_ld_required(ld, step, path, "session")) || !mc_ld_string(ld, v, p, 0, &name))
        return -1;
    const struct mc_scenario *s = ld->s;
    const char **names = mc_xcalloc(s->session_count + 1, sizeof *names);
    int found = -1;
    for (size_t i = 0; i < s->session_count; i++) {
        names[i] = s->sessions[i].name;
        if (strcmp(name, names[i]) == 0)
            found = (int)i;
    }
    const char *hint = mc_ld_suggest(name, names);
    if (found < 0 && hint)
        mc_ld_error(ld, p, "no session named '%s' in \"sessions\" (did you mean '%s'?)", name,
                    hint);
    else if (found < 0)
        mc_ld_error(ld, p, "no session named '%s' in \"sessions\"", name);
    free(names);
    free(name);
    return found;
}

/* Can a session of this protocol hand over a message (send_message)? */
static bool ld_delivers(const struct mc_protocol *p)
{
    return p->delivery_commands != NULL;
}

/* The value of the action key. */
static void ld_action(struct ld *ld, json_t *v, const char *path, struct mc_step *st)
{
    const struct mc_session_spec *ss = st->session >= 0 ? &ld->s->sessions[st->session] : NULL;
    const struct mc_protocol *proto = ss ? ss->proto : NULL;
    int i;
    switch (st->kind) {
    case MC_STEP_SEND:
        if (!json_is_string(v) || !strpbrk(json_string_value(v), "\r\n")) {
            if (mc_ld_string(ld, v, path, 0, &st->text) &&
                mc_ld_check_vars(ld, path, st->text, strlen(st->text)) &&
                mc_ld_uses_function(st->text, "literal") && ss && ss->proto &&
                !mc_ld_session_is_imap(ss))
                mc_ld_error(ld, path,
                            "${literal:...} is an IMAP literal (RFC 9051 4.3): session '%s' is "
                            "%s",
                            ss->name, proto->name);
        } else {
            mc_ld_error(ld, path,
                        "must be one line: the harness ends it with CRLF (use send_raw to send "
                        "CR or LF yourself)");
        }
        break;
    case MC_STEP_SEND_RAW:
        ld_send_raw(ld, v, path, st);
        break;
    case MC_STEP_AUTH:
        if (mc_ld_word(ld, v, path, mc_sasl_mechanisms(), true, &i)) /* lib/sasl.c's */
            st->text = mc_xstrdup(mc_sasl_mechanisms()[i]);
        break;
    case MC_STEP_STARTTLS:
        if (!mc_ld_true(ld, v, path) || !ss)
            break;
        if (ss->tls != MC_TLS_NONE)
            mc_ld_error(ld, path,
                        "session '%s' already has \"tls\": \"%s\"; a starttls step needs a "
                        "session without TLS (to test a second STARTTLS, send the command)",
                        ss->name, mc_tls_mode_name(ss->tls));
        else if (proto && !proto->starttls_command)
            mc_ld_error(ld, path, "%s has no STARTTLS command", proto->name);
        break;
    case MC_STEP_SEND_MESSAGE:
        if (proto && !proto->delivery_commands) {
            struct mc_buf fit = {0};
            mc_protocol_list(&fit, ld_delivers, ", ", " and ");
            mc_ld_error_key(ld, path, "session '%s' is %s: send_message is for %s", ss->name,
                            proto->name, fit.data);
            mc_buf_free(&fit);
        }
        ld_message(ld, v, path, st, false);
        break;
    case MC_STEP_DELIVER:
        ld->sessionless = true;
        ld_message(ld, v, path, st, true);
        ld->sessionless = false;
        break;
    case MC_STEP_CLOSE:
        if (mc_ld_word(ld, v, path, ld_close_modes, false, &i))
            st->text = mc_xstrdup(ld_close_modes[i]);
        break;
    case MC_STEP_WAIT:
        mc_ld_int(ld, v, path, 0, LD_WAIT_MS_MAX, &st->wait_ms);
        break;
    case MC_STEP_CONNECT:
    case MC_STEP_AWAIT:
    case MC_STEP_LOGIN:
    case MC_STEP_EXPECT_CLOSE:
        mc_ld_true(ld, v, path);
        break;
    }
}

/* Expect, timeout, citation, level, why. The expectation's named groups go into `groups`, those
   only some of its alternatives capture into `maybe`. */
static void ld_step_extras(struct ld *ld, json_t *v, const char *path, struct mc_step *st,
                           struct mc_strv *groups, struct mc_strv *maybe)
{
    char p[LD_PATH_MAX];
    json_t *f;
    const struct mc_session_spec *ss = st->session >= 0 ? &ld->s->sessions[st->session] : NULL;
    const struct mc_protocol *proto = ss ? ss->proto : NULL;
    mc_ld_path_key(p, path, "expect");
    if ((f = json_object_get(v, "expect"))) {
        if (st->kind == MC_STEP_DELIVER || st->kind == MC_STEP_WAIT) {
            mc_ld_error_key(ld, p, "a %s step reads no reply: 'expect' does not apply",
                            mc_step_kind_name(st->kind));
        } else {
            st->has_expect = true;
            mc_ld_expect(ld, f, p, ss, &st->expect, groups, maybe);
            st->expect_json = json_dumps(f, JSON_COMPACT | JSON_PRESERVE_ORDER);
        }
    }
    if (st->kind == MC_STEP_AWAIT && st->expect.any_of_count) {
        char q[LD_PATH_MAX];
        mc_ld_path_key(q, p, "any_of");
        mc_ld_error_key(ld, q,
                        "an await step waits until the lines of its expect have come; with "
                        "alternatives it could not tell which lines to wait for");
    }
    if (st->kind == MC_STEP_AWAIT && st->expect.lines.count == 0 &&
        st->expect.lines_in_order.count == 0 && st->expect.lines_shared.count == 0) {
        const char *k = proto ? proto->lines_key : "lines";
        mc_ld_error(ld, f ? p : path,
                    "an await step waits for lines: give \"expect\": {\"%s\": [...]} (or "
                    "\"%s_in_order\", \"%s_shared\")",
                    k, k, k);
    }
    mc_ld_path_key(p, path, "timeout_ms");
    if ((f = json_object_get(v, "timeout_ms")))
        mc_ld_int(ld, f, p, 1, LD_TIMEOUT_MS_MAX, &st->timeout_ms);
    mc_ld_path_key(p, path, "rfc");
    if ((f = json_object_get(v, "rfc")))
        mc_ld_rfc_refs(ld, f, p, &st->rfc);
    mc_ld_path_key(p, path, "level");
    if ((f = json_object_get(v, "level")))
        mc_ld_level(ld, f, p, &st->level);
    mc_ld_path_key(p, path, "why");
    if ((f = json_object_get(v, "why")))
        mc_ld_string(ld, f, p, LD_STR_NONEMPTY, &st->why);
}

/* The steps a soft failure can leave behind without the session losing its footing: a
   command whose whole reply came and was judged. */
static bool ld_soft_kind_ok(const struct mc_step *st)
{
    return st->kind == MC_STEP_SEND || st->kind == MC_STEP_SEND_RAW || st->kind == MC_STEP_AWAIT;
}

/* "soft" and "track". A soft step may fail and go on, so what it captures (and tracks) may be
   unset afterwards: its names move from `groups` to `maybe`. */
static void ld_step_soft_track(struct ld *ld, json_t *v, const char *path, struct mc_step *st,
                               struct mc_strv *groups, struct mc_strv *maybe)
{
    char p[LD_PATH_MAX];
    json_t *f;
    mc_ld_path_key(p, path, "expect");
    mc_ld_track_groups(ld, p, groups);
    mc_ld_path_key(p, path, "track");
    if ((f = json_object_get(v, "track")))
        mc_ld_track(ld, f, p, st, groups);
    mc_ld_path_key(p, path, "soft");
    if (!(f = json_object_get(v, "soft")) || !mc_ld_bool(ld, f, p, &st->soft) || !st->soft)
        return;
    if (!ld_soft_kind_ok(st)) {
        mc_ld_error_key(ld, p,
                        "'soft' goes with send, send_raw and await: after a failed %s the "
                        "session is not where the next steps expect it",
                        mc_step_kind_name(st->kind));
        st->soft = false;
    } else if (!st->has_expect) {
        mc_ld_error_key(ld, p,
                        "a soft step needs an \"expect\": a soft step goes on when the reply "
                        "does not match it, and this one has nothing to match");
        st->soft = false;
    }
    for (size_t i = 0; st->soft && i < groups->count; i++)
        mc_strv_push(maybe, groups->items[i].ptr, groups->items[i].len);
    if (st->soft)
        mc_strv_clear(groups);
}

static void ld_step(struct ld *ld, json_t *v, const char *path, struct mc_step *st)
{
    st->session = -1;
    st->level = -1;
    mc_ld_expect_defaults(&st->expect);
    if (mc_jsonpos_find(ld->pos, path, &st->line, &st->column) < 0)
        st->line = st->column = 1;
    if (!json_is_object(v)) {
        mc_ld_error(ld, path, "must be an object like {\"session\": \"a\", \"send\": \"NOOP\"}");
        return;
    }
    mc_ld_check_keys(ld, v, path, ld_step_keys);
    const char *action = NULL;
    for (size_t i = 0; i < LD_ACTION_COUNT; i++) {
        if (!json_object_get(v, ld_actions[i].key))
            continue;
        if (action) {
            char p[LD_PATH_MAX];
            mc_ld_path_key(p, path, ld_actions[i].key);
            mc_ld_error_key(ld, p, "a step does one thing: '%s' and '%s' need two steps", action,
                            ld_actions[i].key);
            continue;
        }
        action = ld_actions[i].key;
        st->kind = ld_actions[i].kind;
    }
    if (!action) {
        mc_ld_error(ld, path,
                    "has no action: give one of connect, send, send_raw, await, login, auth, "
                    "starttls, send_message, deliver, close, expect_close, wait");
        return;
    }
    st->session = ld_step_session(ld, v, path, st->kind);
    ld->step_session = st->session;
    char p[LD_PATH_MAX];
    mc_ld_path_key(p, path, action);
    ld_action(ld, json_object_get(v, action), p, st);
    st->new_command = st->kind == MC_STEP_SEND || st->kind == MC_STEP_SEND_RAW;
    json_t *cont = json_object_get(v, "continue");
    mc_ld_path_key(p, path, "continue");
    bool c;
    if (cont && st->kind != MC_STEP_SEND && st->kind != MC_STEP_SEND_RAW)
        mc_ld_error_key(ld, p, "'continue' only goes with 'send' or 'send_raw'");
    else if (cont && mc_ld_bool(ld, cont, p, &c))
        st->new_command = !c;

    struct mc_strv groups = {0}, maybe = {0};
    ld_step_extras(ld, v, path, st, &groups, &maybe);
    ld_step_soft_track(ld, v, path, st, &groups, &maybe);
    mc_ld_lists_after_step(ld, &groups);
    ld->step_session = -1;
    /* Captures become visible to the steps after this one. */
    for (size_t i = 0; i < groups.count; i++)
        mc_strv_push(&ld->captures, groups.items[i].ptr, groups.items[i].len);
    for (size_t i = 0; i < maybe.count; i++)
        mc_strv_push(&ld->maybe_captures, maybe.items[i].ptr, maybe.items[i].len);
    mc_strv_free(&groups);
    mc_strv_free(&maybe);
}

void mc_ld_steps(struct ld *ld, json_t *steps)
{
    struct mc_scenario *s = ld->s;
    if (!json_is_array(steps) || json_array_size(steps) == 0) {
        mc_ld_error(ld, "steps", "must be a non-empty array of steps");
        return;
    }
    s->steps = mc_xcalloc(json_array_size(steps), sizeof *s->steps);
    size_t i;
    json_t *v;
    json_array_foreach(steps, i, v)
    {
        char p[LD_PATH_MAX];
        mc_ld_path_index(p, "steps", i);
        s->step_count++;
        ld_step(ld, v, p, &s->steps[i]);
    }
}
