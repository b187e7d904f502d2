/*
 * provenance — where a run's scenarios came from (see provenance.h).
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addclosefrom_np (glibc 2.34) */
#include "cli/provenance.h"

#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"

extern char **environ;

#define PROVENANCE_GIT_OUTPUT_MAX 4096 /* octets of git's answer read */

static int by_id(const void *a, const void *b)
{
    const struct mc_scenario *const *x = a, *const *y = b;
    return strcmp((*x)->id, (*y)->id);
}

/* SHA-256 over "id NUL file-bytes NUL" of every scenario, in id order. */
static void scenario_set_hash(struct mc_scenario *const *scenarios, size_t count, char hex[65])
{
    struct mc_scenario **sorted = mc_xcalloc(count + 1, sizeof *sorted);
    memcpy(sorted, scenarios, count * sizeof *sorted);
    qsort(sorted, count, sizeof *sorted, by_id);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 0; i < count; i++) {
        EVP_DigestUpdate(md, sorted[i]->id, strlen(sorted[i]->id) + 1);
        FILE *f = fopen(sorted[i]->file, "rb");
        char buf[8192];
        size_t n;
        while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
            EVP_DigestUpdate(md, buf, n);
        if (f)
            fclose(f);
        EVP_DigestUpdate(md, "", 1);
    }
    unsigned char digest[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(md, digest, &len);
    EVP_MD_CTX_free(md);
    for (unsigned i = 0; i < len && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    free(sorted);
}

/* Runs git with `args` in `dir`; its standard output (trimmed), or NULL when it failed. */
static char *git_output(const char *dir, const char *const *args)
{
    char *argv[12];
    size_t n = 0;
    argv[n++] = (char *)"git";
    argv[n++] = (char *)"-C";
    argv[n++] = (char *)dir;
    for (size_t i = 0; args[i] && n < 11; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    int out[2];
    if (pipe(out) != 0)
        return NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1); /* nothing else of ours */
    pid_t pid;
    int rc = posix_spawnp(&pid, "git", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    struct mc_buf b = {0};
    char buf[512];
    ssize_t got;
    while (rc == 0 && (got = read(out[0], buf, sizeof buf)) > 0)
        if (b.len < PROVENANCE_GIT_OUTPUT_MAX)
            mc_buf_append(&b, buf, (size_t)got);
    close(out[0]);
    int status = 0;
    if (rc == 0)
        waitpid(pid, &status, 0);
    if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        mc_buf_free(&b);
        return NULL;
    }
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
        b.data[--b.len] = '\0';
    if (!b.data)
        mc_buf_append_str(&b, "");
    return mc_buf_steal(&b);
}

static char *git_revision(const char *path)
{
    char *copy = mc_xstrdup(path);
    char *dir = copy;
    if (access(path, F_OK) == 0) {
        char probe[4096];
        snprintf(probe, sizeof probe, "%s/.", path);
        if (access(probe, F_OK) != 0) /* a file: its folder */
            dir = dirname(copy);
    }
    static const char *const head[] = {"rev-parse", "HEAD", NULL};
    char *rev = git_output(dir, head);
    if (rev && *rev) {
        const char *status_args[] = {"status", "--porcelain", "--", ".", NULL};
        char *dirty = git_output(dir, status_args);
        if (dirty && *dirty) {
            size_t n = strlen(rev);
            rev = mc_xrealloc(rev, n + 7);
            memcpy(rev + n, "+dirty", 7);
        }
        free(dirty);
    } else {
        free(rev);
        rev = NULL;
    }
    free(copy);
    return rev;
}

char *mc_provenance_scenario_set(struct mc_scenario *const *scenarios, size_t count,
                                 const char *first_path)
{
    char hex[65] = {0};
    scenario_set_hash(scenarios, count, hex);
    char *rev = first_path ? git_revision(first_path) : NULL;
    json_t *o = json_pack("{s:I, s:s, s:o}", "count", (json_int_t)count, "sha256", hex,
                          "git_revision", rev ? json_string(rev) : json_null());
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    free(rev);
    return text;
}
