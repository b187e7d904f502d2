/*
 * loader — scenario files in, struct mc_scenario out, or every mistake with its place
 * (see loader.h and docs/scenario-format.md).
 *
 * jansson parses (duplicate keys are refused, \u0000 is kept for raw sends); jsonpos finds where
 * each value sits; the checks then walk the document once, building the model as they go and
 * reporting every error instead of stopping at the first. This file holds the file handling,
 * the top level, the sessions and mc_scenario_collect; steps are in loader_step.c, expectations
 * in loader_expect.c, the shared checks in loader_check.c.
 */
#include "engine/loader.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/loader_internal.h"

static const char *const ld_top_keys[] = {
    "$schema",  "id",    "title",    "description", "rfc",   "level", "tags",
    "requires", "users", "fixtures", "sessions",    "steps", NULL,
};
static const char *const ld_session_keys[] = {"protocol", "tls", "endpoint", "user", NULL};
static const char *const ld_tls_modes[] = {"none", "implicit", "starttls", NULL};

/* Reads at most MC_SCENARIO_FILE_MAX bytes; -1 with an error line otherwise. */
static int ld_read_file(const char *path, struct mc_buf *text, struct mc_buf *errors)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        mc_buf_printf(errors, "%s:1:1: (file): cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        mc_buf_append(text, chunk, n);
        if (text->len > MC_SCENARIO_FILE_MAX) {
            mc_buf_printf(errors,
                          "%s:1:1: (file): larger than %d bytes, the limit for a scenario file: "
                          "split it into several scenarios\n",
                          path, MC_SCENARIO_FILE_MAX);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        mc_buf_printf(errors, "%s:1:1: (file): cannot read: %s\n", path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    return rc;
}

static bool ld_char_in(char c, const char *extra)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c && strchr(extra, c));
}

/* ^[a-z0-9]+(\.[a-z0-9-]+)+$ */
static bool ld_id_valid(const char *id)
{
    size_t i = 0, dots = 0;
    while (ld_char_in(id[i], ""))
        i++;
    if (i == 0)
        return false;
    while (id[i] == '.') {
        size_t start = ++i;
        while (ld_char_in(id[i], "-"))
            i++;
        if (i == start)
            return false;
        dots++;
    }
    return id[i] == '\0' && dots > 0;
}

/* ^[a-z][a-z0-9_]*$ */
static bool ld_session_name_valid(const char *name)
{
    if (!(name[0] >= 'a' && name[0] <= 'z'))
        return false;
    for (size_t i = 1; name[i]; i++)
        if (!ld_char_in(name[i], "_"))
            return false;
    return true;
}

/* Capability or endpoint names: letters, digits and = . _ + - */
static bool ld_token_valid(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!ld_char_in(*s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ=._+-"))
            return false;
    return true;
}

static void ld_requires(struct ld *ld, json_t *v)
{
    struct mc_scenario *s = ld->s;
    if (!json_is_array(v)) {
        mc_ld_error(ld, "requires", "must be an array of strings like \"imap:IDLE\"");
        return;
    }
    s->requires = mc_xcalloc(json_array_size(v), sizeof *s->requires);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        char p[LD_PATH_MAX];
        char *r;
        mc_ld_path_index(p, "requires", i);
        if (!mc_ld_string(ld, item, p, LD_STR_NONEMPTY, &r))
            continue;
        const char *colon = strchr(r, ':');
        bool known = false;
        if (colon) {
            size_t n = (size_t)(colon - r);
            known = n == 8 && strncmp(r, "endpoint", n) == 0;
            const char *const *names = mc_protocol_names();
            for (size_t k = 0; names[k] && !known; k++)
                known = strlen(names[k]) == n && strncmp(r, names[k], n) == 0;
        }
        if (!colon || !known || !ld_token_valid(colon + 1)) {
            struct mc_buf protocols = {0};
            mc_protocol_list(&protocols, NULL, ", ", " or ");
            mc_ld_error(ld, p,
                        "'%s' is not PROTOCOL:CAPABILITY (%s, e.g. \"imap:IDLE\", "
                        "\"smtp:AUTH=PLAIN\") or endpoint:NAME",
                        r, protocols.data);
            mc_buf_free(&protocols);
            free(r);
            continue;
        }
        s->requires[s->require_count++] = r;
    }
}

static void ld_tags(struct ld *ld, json_t *v)
{
    struct mc_scenario *s = ld->s;
    if (!json_is_array(v)) {
        mc_ld_error(ld, "tags", "must be an array of strings");
        return;
    }
    s->tags = mc_xcalloc(json_array_size(v), sizeof *s->tags);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        char p[LD_PATH_MAX];
        mc_ld_path_index(p, "tags", i);
        char *t;
        if (mc_ld_string(ld, item, p, LD_STR_NONEMPTY | LD_STR_ONE_LINE, &t))
            s->tags[s->tag_count++] = t;
    }
}

static void ld_fixtures(struct ld *ld, json_t *v)
{
    static const char *const keys[] = {"messages", NULL};
    if (!json_is_object(v)) {
        mc_ld_error(ld, "fixtures", "must be an object like {\"messages\": 2}");
        return;
    }
    mc_ld_check_keys(ld, v, "fixtures", keys);
    json_t *m = json_object_get(v, "messages");
    if (m)
        mc_ld_int(ld, m, "fixtures.messages", 0, LD_FIXTURE_MESSAGES_MAX, &ld->s->fixture_messages);
}

static void ld_session(struct ld *ld, const char *path, json_t *v, struct mc_session_spec *ss)
{
    char p[LD_PATH_MAX];
    ss->user = 1;
    if (!json_is_object(v)) {
        mc_ld_error(ld, path, "must be an object like {\"protocol\": \"imap\"}");
        return;
    }
    mc_ld_check_keys(ld, v, path, ld_session_keys);
    json_t *proto = mc_ld_required(ld, v, path, "protocol");
    int i;
    mc_ld_path_key(p, path, "protocol");
    if (proto && mc_ld_word(ld, proto, p, mc_protocol_names(), false, &i)) {
        ss->proto = mc_protocol_find(mc_protocol_names()[i]);
        if (!ss->proto)
            mc_ld_error(ld, p, "protocol '%s' is not built into this mailconform",
                        mc_protocol_names()[i]);
    }
    json_t *tls = json_object_get(v, "tls");
    mc_ld_path_key(p, path, "tls");
    ss->tls_given = tls != NULL;
    if (tls && mc_ld_word(ld, tls, p, ld_tls_modes, false, &i)) {
        ss->tls = i == 0 ? MC_TLS_NONE : i == 1 ? MC_TLS_IMPLICIT : MC_TLS_STARTTLS;
        if (ss->proto && ss->tls == MC_TLS_IMPLICIT && !mc_protocol_scheme(ss->proto, true))
            mc_ld_error(ld, p, "%s has no implicit TLS port: use \"starttls\" or \"none\"",
                        ss->proto->name);
        if (ss->proto && ss->tls == MC_TLS_STARTTLS && !ss->proto->starttls_command)
            mc_ld_error(ld, p, "%s has no STARTTLS command: use \"implicit\" or \"none\"",
                        ss->proto->name);
    }
    json_t *endpoint = json_object_get(v, "endpoint");
    mc_ld_path_key(p, path, "endpoint");
    if (endpoint && mc_ld_string(ld, endpoint, p, LD_STR_NONEMPTY, &ss->endpoint) &&
        !ld_token_valid(ss->endpoint))
        mc_ld_error(ld, p, "'%s' is not an endpoint name (letters, digits, '.', '_', '-')",
                    ss->endpoint);
    json_t *user = json_object_get(v, "user");
    mc_ld_path_key(p, path, "user");
    if (user && mc_ld_int(ld, user, p, 1, LD_USERS_MAX, &ss->user) && ss->user > ld->s->users)
        mc_ld_error(ld, p, "is user %d, but the scenario has %d user%s: set \"users\": %d",
                    ss->user, ld->s->users, ld->s->users == 1 ? "" : "s", ss->user);
}

static void ld_sessions(struct ld *ld, json_t *v)
{
    struct mc_scenario *s = ld->s;
    if (!json_is_object(v) || json_object_size(v) == 0) {
        mc_ld_error(ld, "sessions",
                    "must be an object that names at least one session, like "
                    "{\"a\": {\"protocol\": \"pop3\"}}");
        return;
    }
    s->sessions = mc_xcalloc(json_object_size(v), sizeof *s->sessions);
    const char *name;
    json_t *spec;
    json_object_foreach(v, name, spec)
    {
        char p[LD_PATH_MAX];
        mc_ld_path_key(p, "sessions", name);
        if (!ld_session_name_valid(name))
            mc_ld_error_key(
                ld, p, "session name '%s' must start with a-z and go on with a-z, 0-9 or _", name);
        struct mc_session_spec *ss = &s->sessions[s->session_count++];
        ss->name = mc_xstrdup(name);
        ld_session(ld, p, spec, ss);
    }
}

static void ld_builtins(struct ld *ld)
{
    static const char *const names[] = {"user",   "password", "address", "domain",   "host",
                                        "run_id", "tag",      "nul",     "fixtures", NULL};
    for (size_t i = 0; names[i]; i++)
        mc_strv_push_str(&ld->builtins, names[i]);
    for (int u = 1; u <= ld->s->users; u++) {
        char n[32];
        snprintf(n, sizeof n, "user%d", u);
        mc_strv_push_str(&ld->builtins, n);
        snprintf(n, sizeof n, "password%d", u);
        mc_strv_push_str(&ld->builtins, n);
        snprintf(n, sizeof n, "address%d", u);
        mc_strv_push_str(&ld->builtins, n);
    }
}

static void ld_top(struct ld *ld, json_t *root)
{
    struct mc_scenario *s = ld->s;
    json_t *v;
    mc_ld_check_keys(ld, root, "", ld_top_keys);
    if ((v = json_object_get(root, "$schema")))
        mc_ld_string(ld, v, "$schema", 0, NULL);
    mc_jsonpos_find(ld->pos, "id", &s->id_line, &s->id_column);
    if ((v = mc_ld_required(ld, root, "", "id")) &&
        mc_ld_string(ld, v, "id", LD_STR_NONEMPTY, &s->id) && !ld_id_valid(s->id))
        mc_ld_error(ld, "id",
                    "'%s' is not a scenario id: lower-case words joined by dots, at least two, "
                    "like \"pop3.update.dele-without-quit\"",
                    s->id);
    if ((v = mc_ld_required(ld, root, "", "title")))
        mc_ld_string(ld, v, "title", LD_STR_NONEMPTY | LD_STR_ONE_LINE, &s->title);
    if ((v = mc_ld_required(ld, root, "", "description")))
        mc_ld_string(ld, v, "description", LD_STR_NONEMPTY, &s->description);
    if ((v = mc_ld_required(ld, root, "", "rfc")))
        mc_ld_rfc_refs(ld, v, "rfc", &s->rfc);
    int level;
    if ((v = mc_ld_required(ld, root, "", "level")) && mc_ld_level(ld, v, "level", &level))
        s->level = (enum mc_level)level;
    if ((v = json_object_get(root, "tags")))
        ld_tags(ld, v);
    if ((v = json_object_get(root, "requires")))
        ld_requires(ld, v);
    s->users = 1;
    if ((v = json_object_get(root, "users")))
        mc_ld_int(ld, v, "users", 1, LD_USERS_MAX, &s->users);
    if ((v = json_object_get(root, "fixtures")))
        ld_fixtures(ld, v);
    ld_builtins(ld);
    if ((v = mc_ld_required(ld, root, "", "sessions")))
        ld_sessions(ld, v);
    if ((v = mc_ld_required(ld, root, "", "steps")))
        mc_ld_steps(ld, v);
}

struct mc_scenario *mc_scenario_load(const char *path, struct mc_buf *errors)
{
    struct mc_buf text = {0};
    if (ld_read_file(path, &text, errors) < 0) {
        mc_buf_free(&text);
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(text.data ? text.data : "", text.len,
                              JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root) {
        mc_buf_printf(errors, "%s:%d:%d: (json): %s\n", path, je.line > 0 ? je.line : 1,
                      je.column > 0 ? je.column : 1, je.text);
        mc_buf_free(&text);
        return NULL;
    }
    struct mc_jsonpos *pos = mc_jsonpos_build(text.data, text.len);
    mc_buf_free(&text);
    struct ld ld = {.file = path, .pos = pos, .errors = errors, .step_session = -1};
    ld.s = mc_xcalloc(1, sizeof *ld.s);
    ld.s->file = mc_xstrdup(path);
    ld.s->users = 1;
    if (json_is_object(root))
        ld_top(&ld, root);
    else
        mc_ld_error(&ld, "",
                    "a scenario is a JSON object {\"id\": ..., \"steps\": [...]}, not "
                    "an array");
    json_decref(root);
    mc_ld_flush_errors(&ld);
    mc_jsonpos_free(pos);
    mc_strv_free(&ld.builtins);
    mc_strv_free(&ld.lists);
    mc_strv_free(&ld.step_lists);
    mc_strv_free(&ld.captures);
    mc_strv_free(&ld.maybe_captures);
    mc_ld_track_free(&ld);
    if (ld.error_count > 0) {
        mc_scenario_free(ld.s);
        return NULL;
    }
    return ld.s;
}

/* --- collecting scenario files --- */

static int ld_cmp_str(const void *a, const void *b)
{
    return strcmp(((const struct mc_str *)a)->ptr, ((const struct mc_str *)b)->ptr);
}

static bool ld_is_json_name(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/* Appends the *.json files under `dir` (not sorted). Hidden entries, folders named "schema"
   and symbolic links to folders are skipped (the last so that a loop of links cannot recurse
   forever). */
static void ld_walk(const char *dir, struct mc_strv *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        struct mc_buf p = {0};
        size_t dl = strlen(dir);
        mc_buf_printf(&p, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", e->d_name);
        struct stat lst, st;
        if (lstat(p.data, &lst) == 0 && stat(p.data, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                if (!S_ISLNK(lst.st_mode) && strcmp(e->d_name, "schema") != 0)
                    ld_walk(p.data, out);
            } else if (S_ISREG(st.st_mode) && ld_is_json_name(e->d_name)) {
                mc_strv_push(out, p.data, p.len);
            }
        }
        mc_buf_free(&p);
    }
    closedir(d);
}

static void ld_push_unique(struct mc_strv *files, const char *path)
{
    for (size_t i = 0; i < files->count; i++)
        if (strcmp(files->items[i].ptr, path) == 0)
            return;
    mc_strv_push_str(files, path);
}

int mc_scenario_collect(const char *const *paths, size_t count, struct mc_strv *files,
                        struct mc_buf *errors)
{
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            mc_buf_printf(errors, "%s: %s\n", paths[i], strerror(errno));
            rc = -1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            ld_push_unique(files, paths[i]); /* named explicitly: taken whatever its name */
            continue;
        }
        struct mc_strv found = {0};
        ld_walk(paths[i], &found);
        if (found.count > 1)
            qsort(found.items, found.count, sizeof *found.items, ld_cmp_str);
        for (size_t k = 0; k < found.count; k++)
            ld_push_unique(files, found.items[k].ptr);
        mc_strv_free(&found);
    }
    return rc;
}

/* Two files with one id would make reports and deviations ambiguous. */
static int ld_check_unique_ids(struct mc_scenario *const *list, size_t count, struct mc_buf *errors)
{
    int rc = 0;
    for (size_t i = 1; i < count; i++) {
        for (size_t k = 0; k < i; k++) {
            if (strcmp(list[i]->id, list[k]->id) != 0)
                continue;
            mc_buf_printf(errors, "%s:%d:%d: id: '%s' is already the id of %s\n", list[i]->file,
                          list[i]->id_line, list[i]->id_column, list[i]->id, list[k]->file);
            rc = -1;
            break;
        }
    }
    return rc;
}

int mc_scenario_load_all(const char *const *paths, size_t count, struct mc_scenario ***out,
                         size_t *loaded, size_t *files_seen, struct mc_buf *errors)
{
    struct mc_strv files = {0};
    int rc = mc_scenario_collect(paths, count, &files, errors);
    *out = mc_xcalloc(files.count + 1, sizeof **out);
    *loaded = 0;
    for (size_t i = 0; i < files.count; i++) {
        struct mc_scenario *s = mc_scenario_load(files.items[i].ptr, errors);
        if (s)
            (*out)[(*loaded)++] = s;
        else
            rc = -1;
    }
    if (ld_check_unique_ids(*out, *loaded, errors) != 0)
        rc = -1;
    if (files_seen)
        *files_seen = files.count;
    mc_strv_free(&files);
    return rc;
}
