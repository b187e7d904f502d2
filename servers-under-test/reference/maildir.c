/*
 * maildir — the files behind a persistent mailstore (see maildir.h).
 *
 * Message files are named "SECONDS.MMICROSPPIDQCOUNTER.mailconform" (unique within a process
 * and across restarts), with the Maildir info ":2,FLAGS" once they are in cur/. Flag letters,
 * in the ASCII order the Maildir convention wants: D draft, F flagged, R replied (\Answered),
 * S seen, T trashed (\Deleted).
 */
#include "reference/maildir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "reference/mailstore.h"

#define MD_UIDS_FILE "mailconform-uids"
#define MD_NOSELECT_FILE "mailconform-noselect"
#define MD_LINE_MAX 4096 /* one UID line: a base name and a few keywords */

static const struct {
    char letter;
    unsigned flag;
} md_letters[] = {
    {'D', MS_FLAG_DRAFT}, {'F', MS_FLAG_FLAGGED}, {'R', MS_FLAG_ANSWERED},
    {'S', MS_FLAG_SEEN},  {'T', MS_FLAG_DELETED},
};

static int md_fail(struct mc_buf *err, const char *op, const char *path)
{
    int e = errno;
    mc_buf_reset(err);
    mc_buf_printf(err, "%s %s: %s", op, path, strerror(e));
    return -1;
}

static bool md_keep_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c >= 0x80;
}

char *md_encode_name(const char *name)
{
    struct mc_buf b = {0};
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (md_keep_byte(*p))
            mc_buf_append_char(&b, (char)*p);
        else
            mc_buf_printf(&b, "%%%02X", *p);
    }
    return mc_buf_steal(&b);
}

/* An upper-case hex digit only: md_encode_name writes those, so a name has one spelling. */
static int md_hex(char c)
{
    return c >= 'a' && c <= 'f' ? -1 : mc_hex_digit(c);
}

char *md_decode_name(const char *enc)
{
    struct mc_buf b = {0};
    for (const char *p = enc; *p; p++) {
        if (*p != '%') {
            if (!md_keep_byte((unsigned char)*p))
                goto bad;
            mc_buf_append_char(&b, *p);
            continue;
        }
        int hi = md_hex(p[1]), lo = hi < 0 ? -1 : md_hex(p[2]);
        if (hi < 0 || lo < 0 || hi * 16 + lo == 0)
            goto bad;
        mc_buf_append_char(&b, (char)(hi * 16 + lo));
        p += 2;
    }
    if (b.len == 0)
        goto bad;
    return mc_buf_steal(&b);
bad:
    mc_buf_free(&b);
    return NULL;
}

static char *md_path(const char *dir, const char *name)
{
    struct mc_buf b = {0};
    mc_buf_printf(&b, "%s/%s", dir, name);
    return mc_buf_steal(&b);
}

static int md_fsync_dir(const char *dir, struct mc_buf *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return md_fail(err, "open", dir);
    if (fsync(fd) != 0) {
        md_fail(err, "fsync", dir);
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* The directory that holds path ("a/b/c" -> "a/b"). */
static char *md_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? mc_xstrndup(path, (size_t)(slash - path)) : mc_xstrdup(".");
}

static int md_fsync_parent(const char *path, struct mc_buf *err)
{
    char *parent = md_parent(path);
    int rc = md_fsync_dir(parent, err);
    free(parent);
    return rc;
}

int md_mkdir(const char *path, struct mc_buf *err)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return md_fail(err, "mkdir", path);
    return 0;
}

int md_mailbox_create(const char *dir, struct mc_buf *err)
{
    static const char *const subs[] = {"tmp", "new", "cur"};
    if (md_mkdir(dir, err) != 0)
        return -1;
    for (size_t i = 0; i < 3; i++) {
        char *p = md_path(dir, subs[i]);
        int rc = md_mkdir(p, err);
        free(p);
        if (rc != 0)
            return -1;
    }
    if (md_fsync_dir(dir, err) != 0)
        return -1;
    return md_fsync_parent(dir, err);
}

static int md_empty_dir(const char *dir, struct mc_buf *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : md_fail(err, "opendir", dir);
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char *p = md_path(dir, de->d_name);
        if (unlink(p) != 0 && errno != ENOENT)
            rc = md_fail(err, "unlink", p);
        free(p);
    }
    closedir(d);
    return rc;
}

int md_mailbox_remove(const char *dir, struct mc_buf *err)
{
    static const char *const subs[] = {"tmp", "new", "cur"};
    for (size_t i = 0; i < 3; i++) {
        char *p = md_path(dir, subs[i]);
        int rc = md_empty_dir(p, err);
        if (rc == 0 && rmdir(p) != 0 && errno != ENOENT)
            rc = md_fail(err, "rmdir", p);
        free(p);
        if (rc != 0)
            return -1;
    }
    if (md_empty_dir(dir, err) != 0)
        return -1;
    if (rmdir(dir) != 0 && errno != ENOENT)
        return md_fail(err, "rmdir", dir);
    return md_fsync_parent(dir, err);
}

int md_rename(const char *from, const char *to, struct mc_buf *err)
{
    if (rename(from, to) != 0)
        return md_fail(err, "rename", from);
    if (md_fsync_parent(to, err) != 0)
        return -1;
    return md_fsync_parent(from, err);
}

int md_list_dirs(const char *dir, struct mc_strv *names, struct mc_buf *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : md_fail(err, "opendir", dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *p = md_path(dir, de->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
            mc_strv_push_str(names, de->d_name);
        free(p);
    }
    closedir(d);
    return 0;
}

static int md_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Creates path with data, fsync'ed; with date != (time_t)-1 it becomes the mtime. */
static int md_write_new_file(const char *path, const char *data, size_t len, time_t date,
                             struct mc_buf *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, 0600);
    if (fd < 0)
        return md_fail(err, "open", path);
    if (md_write_all(fd, data, len) != 0) {
        md_fail(err, "write", path);
        goto fail;
    }
    if (date != (time_t)-1) {
        struct timespec ts[2] = {{.tv_sec = date}, {.tv_sec = date}};
        if (futimens(fd, ts) != 0) {
            md_fail(err, "futimens", path);
            goto fail;
        }
    }
    if (fsync(fd) != 0) {
        md_fail(err, "fsync", path);
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        md_fail(err, "close", path);
        goto fail;
    }
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(path);
    return -1;
}

int md_write_file_atomic(const char *path, const char *data, size_t len, struct mc_buf *err)
{
    struct mc_buf tmp = {0};
    mc_buf_printf(&tmp, "%s.tmp", path);
    unlink(tmp.data); /* a leftover of a crash */
    int rc = md_write_new_file(tmp.data, data, len, (time_t)-1, err);
    if (rc == 0 && rename(tmp.data, path) != 0) {
        rc = md_fail(err, "rename", tmp.data);
        unlink(tmp.data);
    }
    if (rc == 0)
        rc = md_fsync_parent(path, err);
    mc_buf_free(&tmp);
    return rc;
}

int md_read_file(const char *path, struct mc_buf *out, bool *missing, struct mc_buf *err)
{
    *missing = false;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        if (errno == ENOENT) {
            *missing = true;
            return 0;
        }
        return md_fail(err, "open", path);
    }
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            md_fail(err, "read", path);
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        mc_buf_append(out, chunk, (size_t)n);
    }
    close(fd);
    if (!out->data)
        mc_buf_append(out, "", 0);
    return 0;
}

int md_remove_file(const char *path, struct mc_buf *err)
{
    if (unlink(path) != 0) {
        if (errno == ENOENT)
            return 0;
        return md_fail(err, "unlink", path);
    }
    return md_fsync_parent(path, err);
}

static void md_info(struct mc_buf *b, unsigned flags)
{
    mc_buf_append_str(b, ":2,");
    for (size_t i = 0; i < sizeof md_letters / sizeof md_letters[0]; i++)
        if (flags & md_letters[i].flag)
            mc_buf_append_char(b, md_letters[i].letter);
}

static unsigned md_parse_info(const char *name)
{
    const char *info = strstr(name, ":2,");
    unsigned flags = 0;
    if (!info)
        return 0;
    for (const char *p = info + 3; *p; p++)
        for (size_t i = 0; i < sizeof md_letters / sizeof md_letters[0]; i++)
            if (*p == md_letters[i].letter)
                flags |= md_letters[i].flag;
    return flags;
}

/* "cur/BASE:2,FS" -> "BASE" */
static char *md_base(const char *file)
{
    const char *slash = strrchr(file, '/');
    const char *start = slash ? slash + 1 : file;
    const char *colon = strchr(start, ':');
    return colon ? mc_xstrndup(start, (size_t)(colon - start)) : mc_xstrdup(start);
}

int md_deliver(const char *dir, const void *data, size_t len, unsigned flags, time_t date,
               char **file_out, struct mc_buf *err)
{
    static unsigned counter;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct mc_buf base = {0}, tmp = {0}, final = {0}, rel = {0};
    mc_buf_printf(&base, "%lld.M%06ldP%ldQ%u.mailconform", (long long)now.tv_sec,
                  now.tv_nsec / 1000, (long)getpid(), ++counter);
    mc_buf_printf(&tmp, "%s/tmp/%s", dir, base.data);
    if (flags == 0) {
        mc_buf_printf(&rel, "new/%s", base.data);
    } else {
        mc_buf_printf(&rel, "cur/%s", base.data);
        md_info(&rel, flags);
    }
    mc_buf_printf(&final, "%s/%s", dir, rel.data);
    int rc = md_write_new_file(tmp.data, data, len, date, err);
    if (rc == 0 && rename(tmp.data, final.data) != 0) {
        rc = md_fail(err, "rename", tmp.data);
        unlink(tmp.data);
    }
    if (rc == 0 && (rc = md_fsync_parent(final.data, err)) != 0)
        unlink(final.data);
    if (rc == 0)
        *file_out = mc_buf_steal(&rel);
    mc_buf_free(&base);
    mc_buf_free(&tmp);
    mc_buf_free(&final);
    mc_buf_free(&rel);
    return rc;
}

int md_set_flags(const char *dir, const char *file, unsigned flags, char **file_out,
                 struct mc_buf *err)
{
    char *base = md_base(file);
    struct mc_buf rel = {0}, from = {0}, to = {0};
    mc_buf_printf(&rel, "cur/%s", base);
    md_info(&rel, flags);
    free(base);
    int rc = 0;
    if (strcmp(rel.data, file) != 0) {
        mc_buf_printf(&from, "%s/%s", dir, file);
        mc_buf_printf(&to, "%s/%s", dir, rel.data);
        rc = md_rename(from.data, to.data, err);
    }
    if (rc == 0)
        *file_out = mc_buf_steal(&rel);
    mc_buf_free(&rel);
    mc_buf_free(&from);
    mc_buf_free(&to);
    return rc;
}

int md_unlink(const char *dir, const char *file, struct mc_buf *err)
{
    char *p = md_path(dir, file);
    int rc = md_remove_file(p, err);
    free(p);
    return rc;
}

int md_write_uids(const char *dir, uint32_t uidvalidity, uint32_t uidnext,
                  const struct md_uid_entry *entries, size_t n, struct mc_buf *err)
{
    struct mc_buf b = {0};
    mc_buf_printf(&b, "uidvalidity %u\nuidnext %u\n", (unsigned)uidvalidity, (unsigned)uidnext);
    for (size_t i = 0; i < n; i++) {
        char *base = md_base(entries[i].file);
        mc_buf_printf(&b, "%u %s", (unsigned)entries[i].uid, base);
        free(base);
        for (size_t k = 0; entries[i].keywords && k < entries[i].keywords->count; k++)
            mc_buf_printf(&b, " %s", entries[i].keywords->items[k].ptr);
        mc_buf_append_char(&b, '\n');
    }
    char *p = md_path(dir, MD_UIDS_FILE);
    int rc = md_write_file_atomic(p, b.data, b.len, err);
    free(p);
    mc_buf_free(&b);
    return rc;
}

int md_set_noselect(const char *dir, bool noselect, struct mc_buf *err)
{
    char *p = md_path(dir, MD_NOSELECT_FILE);
    int rc = noselect ? md_write_file_atomic(p, "", 0, err) : md_remove_file(p, err);
    free(p);
    return rc;
}

/* ---- loading ---- */

struct md_known {
    uint32_t uid;
    char *base;
    struct mc_strv keywords;
    bool used;
};

static int md_known_cmp(const void *a, const void *b)
{
    return strcmp(((const struct md_known *)a)->base, ((const struct md_known *)b)->base);
}

static int md_msg_cmp(const void *a, const void *b)
{
    const struct md_loaded_message *x = a, *y = b;
    if (x->uid != y->uid)
        return x->uid < y->uid ? -1 : 1;
    return strcmp(x->file, y->file);
}

static unsigned long md_number(const char *s, const char **end)
{
    char *e;
    errno = 0;
    unsigned long v = strtoul(s, &e, 10);
    if (e == s || errno || v > UINT32_MAX)
        v = 0, e = (char *)s;
    *end = e;
    return v;
}

/* Parses the UID file; unparsable lines are skipped (the files themselves are the truth). */
static void md_parse_uids(char *text, struct md_loaded_mailbox *out, struct md_known **known,
                          size_t *nknown)
{
    size_t cap = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (!nl)
            break; /* a torn last line */
        *nl = '\0';
        const char *end;
        if (!strncmp(line, "uidvalidity ", 12)) {
            out->uidvalidity = (uint32_t)md_number(line + 12, &end);
        } else if (!strncmp(line, "uidnext ", 8)) {
            out->uidnext = (uint32_t)md_number(line + 8, &end);
        } else {
            uint32_t uid = (uint32_t)md_number(line, &end);
            if (uid != 0 && *end == ' ' && nl - line < MD_LINE_MAX) {
                char *save, *tok = strtok_r((char *)end + 1, " ", &save);
                if (tok) {
                    if (*nknown == cap) {
                        cap = cap ? cap * 2 : 64;
                        *known = mc_xrealloc(*known, cap * sizeof **known);
                    }
                    struct md_known *k = &(*known)[(*nknown)++];
                    memset(k, 0, sizeof *k);
                    k->uid = uid;
                    k->base = mc_xstrdup(tok);
                    while ((tok = strtok_r(NULL, " ", &save)))
                        mc_strv_push_str(&k->keywords, tok);
                }
            }
        }
        line = nl + 1;
    }
}

static int md_scan(const char *dir, const char *sub, size_t max_size, struct md_loaded_mailbox *out,
                   size_t *cap, struct mc_buf *err)
{
    char *subdir = md_path(dir, sub);
    DIR *d = opendir(subdir);
    if (!d) {
        int rc = errno == ENOENT ? 0 : md_fail(err, "opendir", subdir);
        free(subdir);
        return rc;
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *p = md_path(subdir, de->d_name);
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max_size) {
            free(p);
            continue;
        }
        struct mc_buf data = {0};
        bool missing;
        rc = md_read_file(p, &data, &missing, err);
        free(p);
        if (rc != 0 || missing) {
            mc_buf_free(&data);
            continue;
        }
        if (out->count == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            out->msgs = mc_xrealloc(out->msgs, *cap * sizeof *out->msgs);
        }
        struct md_loaded_message *m = &out->msgs[out->count++];
        memset(m, 0, sizeof *m);
        struct mc_buf rel = {0};
        mc_buf_printf(&rel, "%s/%s", sub, de->d_name);
        m->file = mc_buf_steal(&rel);
        m->flags = strcmp(sub, "cur") == 0 ? md_parse_info(de->d_name) : 0;
        m->date = st.st_mtime;
        m->size = data.len;
        m->data = mc_buf_steal(&data);
    }
    closedir(d);
    free(subdir);
    return rc;
}

int md_load_mailbox(const char *dir, size_t max_size, struct md_loaded_mailbox *out,
                    struct mc_buf *err)
{
    memset(out, 0, sizeof *out);
    struct mc_buf text = {0};
    bool missing;
    char *p = md_path(dir, MD_UIDS_FILE);
    int rc = md_read_file(p, &text, &missing, err);
    free(p);
    struct md_known *known = NULL;
    size_t nknown = 0, cap = 0;
    if (rc == 0 && !missing)
        md_parse_uids(text.data, out, &known, &nknown);
    mc_buf_free(&text);
    p = md_path(dir, MD_NOSELECT_FILE);
    out->noselect = access(p, F_OK) == 0;
    free(p);
    if (rc == 0)
        rc = md_scan(dir, "new", max_size, out, &cap, err);
    if (rc == 0)
        rc = md_scan(dir, "cur", max_size, out, &cap, err);
    if (out->uidnext == 0)
        out->uidnext = 1;
    if (nknown)
        qsort(known, nknown, sizeof *known, md_known_cmp);
    for (size_t i = 0; rc == 0 && i < out->count; i++) {
        struct md_loaded_message *m = &out->msgs[i];
        struct md_known key = {.base = md_base(m->file)};
        struct md_known *k =
            nknown ? bsearch(&key, known, nknown, sizeof *known, md_known_cmp) : NULL;
        free(key.base);
        if (k && !k->used) {
            k->used = true;
            m->uid = k->uid;
            m->keywords = k->keywords;
            memset(&k->keywords, 0, sizeof k->keywords);
            if (m->uid >= out->uidnext)
                out->uidnext = m->uid + 1;
        }
    }
    /* Files the UID file does not know (a crash between rename and UID file, or mail dropped
       in by hand): new UIDs in name order, after every known one. */
    if (out->count) {
        qsort(out->msgs, out->count, sizeof *out->msgs, md_msg_cmp);
        for (size_t i = 0; i < out->count && out->msgs[i].uid == 0; i++)
            out->msgs[i].uid = out->uidnext++;
        qsort(out->msgs, out->count, sizeof *out->msgs, md_msg_cmp);
    }
    for (size_t i = 0; i < nknown; i++) {
        free(known[i].base);
        mc_strv_free(&known[i].keywords);
    }
    free(known);
    if (rc != 0)
        md_loaded_mailbox_free(out);
    return rc;
}

void md_loaded_mailbox_free(struct md_loaded_mailbox *lm)
{
    for (size_t i = 0; i < lm->count; i++) {
        free(lm->msgs[i].file);
        free(lm->msgs[i].data);
        mc_strv_free(&lm->msgs[i].keywords);
    }
    free(lm->msgs);
    memset(lm, 0, sizeof *lm);
}
