/*
 * outfile — whole-or-nothing output files (outfile.h).
 */
#include "lib/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void outfile_clear(struct mc_outfile *of)
{
    free(of->path);
    free(of->tmp);
    *of = (struct mc_outfile){0};
}

int mc_outfile_open(struct mc_outfile *of, const char *path, struct mc_buf *err)
{
    *of = (struct mc_outfile){0};
    if (strcmp(path, "-") == 0) {
        of->f = stdout;
        return 0;
    }
    of->path = mc_xstrdup(path);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        of->direct = true; /* /dev/null, /dev/stdout, a FIFO: never renamed over */
        of->f = fopen(path, "w");
        if (!of->f) {
            mc_buf_printf(err, "%s: %s", path, strerror(errno));
            outfile_clear(of);
            return -1;
        }
        return 0;
    }
    struct mc_buf tmp = {0};
    mc_buf_printf(&tmp, "%s.tmp", path);
    of->tmp = mc_buf_steal(&tmp);
    /* O_NOFOLLOW: a symbolic link planted at FILE.tmp (a shared /tmp) is not written through */
    int fd = open(of->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    of->f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!of->f) {
        mc_buf_printf(err, "%s: %s", of->tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        outfile_clear(of);
        return -1;
    }
    return 0;
}

/* A device or pipe written in place: flushed and closed, nothing synced or renamed. */
static int commit_direct(struct mc_outfile *of, struct mc_buf *err)
{
    int rc = fflush(of->f) == 0 && !ferror(of->f) ? 0 : -1;
    if (fclose(of->f) != 0)
        rc = -1;
    if (rc)
        mc_buf_printf(err, "%s: %s", of->path, strerror(errno));
    outfile_clear(of);
    return rc;
}

int mc_outfile_commit(struct mc_outfile *of, struct mc_buf *err)
{
    if (!of->path) { /* standard output */
        int rc = fflush(of->f) == 0 && !ferror(of->f) ? 0 : -1;
        if (rc)
            mc_buf_printf(err, "standard output: %s", strerror(errno));
        *of = (struct mc_outfile){0};
        return rc;
    }
    if (of->direct)
        return commit_direct(of, err);
    int rc = 0;
    if (fflush(of->f) != 0 || ferror(of->f) || fsync(fileno(of->f)) != 0) {
        mc_buf_printf(err, "%s: %s", of->tmp, strerror(errno));
        rc = -1;
    }
    if (fclose(of->f) != 0 && rc == 0) {
        mc_buf_printf(err, "%s: %s", of->tmp, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(of->tmp, of->path) != 0) {
        mc_buf_printf(err, "%s: %s", of->path, strerror(errno));
        rc = -1;
    }
    if (rc != 0)
        unlink(of->tmp);
    outfile_clear(of);
    return rc;
}

void mc_outfile_abort(struct mc_outfile *of)
{
    if (of->path) {
        fclose(of->f);
        if (!of->direct)
            unlink(of->tmp);
    }
    outfile_clear(of);
}
