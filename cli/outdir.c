/*
 * outdir.c: the output folder of `rmtk analyze` (design in docs/report.md, "The output folder").
 *
 * rmtk owns the files it writes into --out DIR and only those. A run writes everything into a
 * private staging folder DIR/.rmtk-staging.PID (report.json, summary.csv, report.html, figures/,
 * layers/)
 * together with the list of those files, DIR/.rmtk-staging.PID/rmtk-manifest.txt, and a copy of
 * the previous run's manifest. Then it commits:
 *
 *   1. rename DIR/.rmtk-staging.PID -> DIR/.rmtk-commit           (the commit point, atomic)
 *   2. remove DIR/rmtk-manifest.txt                               (the folder is now "in commit")
 *   3. remove the files of the previous manifest that the new run does not write
 *   4. rename each new file from DIR/.rmtk-commit into DIR
 *   5. rename the new manifest into DIR, last; remove DIR/.rmtk-commit
 *
 * Steps 2-5 are idempotent: a run killed after step 1 is finished by the next rmtk that opens
 * the folder (cli_outdir_prepare) before it does anything else. So at any moment, either
 * DIR/rmtk-manifest.txt exists and the files it lists are one run's complete set, or it is absent
 * and DIR/.rmtk-commit holds the rest of a commit that the next run completes. A run killed
 * before step 1 leaves only its staging folder, which the next run removes (its process is gone).
 * Files not named by a manifest are never touched; a manifest line that is not a plain relative
 * path of the form NAME, figures/NAME or layers/NAME is ignored (a hand-edited manifest cannot
 * delete files elsewhere).
 *
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP while computing removes the (then empty) staging folder.
 *
 * Fault injection for the tests: RMTK_TEST_KILL_AFTER_RENAMES=K makes the process kill itself
 * (SIGKILL) after the K-th rename of step 4.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST "rmtk-manifest.txt"
#define PREVIOUS "previous-manifest.txt"
#define COMMIT ".rmtk-commit"
#define STAGING ".rmtk-staging."

/* buf = a/b (a, b < 4096 by the length check of cli_outdir_prepare). */
static void join(char *buf, size_t n, const char *a, const char *b)
{
    int k = snprintf(buf, n, "%s/%s", a, b);
    if (k < 0 || (size_t)k >= n)
        buf[0] = '\0'; /* not reachable with the checked lengths; an empty path fails safely */
}

/* A manifest entry we are willing to create or delete: NAME, figures/NAME or layers/NAME, NAME
 * made of [A-Za-z0-9._-], not starting with '.'. */
static int safe_entry(const char *p)
{
    if (strncmp(p, "figures/", 8) == 0 || strncmp(p, "layers/", 7) == 0)
        p += p[0] == 'f' ? 8 : 7;
    if (!*p || *p == '.')
        return 0;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* The entries of a manifest (one path a line, '#' comments), as a NULL-terminated malloc'ed
 * array of malloc'ed strings; an empty list when the file does not exist. NULL on no memory. */
static char **manifest_read(const char *path)
{
    size_t len = 0, n = 0;
    char *text = cli_read_file(path, &len);
    char **list = calloc(1, sizeof *list);
    if (!list || !text) {
        free(text);
        return list;
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !safe_entry(line))
            continue;
        char **nl = realloc(list, (n + 2) * sizeof *list);
        char *dup = strdup(line);
        if (!nl || !dup) {
            free(dup);
            list = nl ? nl : list;
            list[n] = NULL;
            break;
        }
        list = nl;
        list[n++] = dup;
        list[n] = NULL;
    }
    free(text);
    return list;
}

static void list_free(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

static int list_has(char *const *list, const char *s)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* Removes a folder of ours: its regular files, those of its figures/ and layers/ subfolders,
 * then the folders. */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        join(path, sizeof path, dir, e->d_name);
        struct stat sb;
        if (lstat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode) &&
            (strcmp(e->d_name, "figures") == 0 || strcmp(e->d_name, "layers") == 0))
            remove_tree(path);
        else if (S_ISREG(sb.st_mode))
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int renames_done;

static int checked_rename(const char *from, const char *to)
{
    if (rename(from, to) != 0)
        return -1;
    const char *k = getenv("RMTK_TEST_KILL_AFTER_RENAMES");
    if (k && *k && ++renames_done >= (int)strtol(k, NULL, 10))
        raise(SIGKILL);
    return 0;
}

/* Steps 2-5 of the commit, when DIR/.rmtk-commit exists. */
static int finish_commit(const char *dir)
{
    char commit[4096], path[4096], from[4096];
    join(commit, sizeof commit, dir, COMMIT);
    struct stat sb;
    if (lstat(commit, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return RMTK_OK;
    join(path, sizeof path, commit, MANIFEST);
    char **now = manifest_read(path);
    join(path, sizeof path, commit, PREVIOUS);
    char **before = manifest_read(path);
    int st = now && before ? RMTK_OK : RMTK_ERR_NOMEM;
    /* 2: the folder is in commit */
    join(path, sizeof path, dir, MANIFEST);
    if (!st && unlink(path) != 0 && errno != ENOENT)
        st = RMTK_ERR_IO;
    /* 3: the previous run's files that this run does not write */
    for (size_t i = 0; !st && before[i]; i++) {
        if (list_has(now, before[i]))
            continue;
        join(path, sizeof path, dir, before[i]);
        if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode))
            unlink(path);
    }
    /* 4: the new files */
    join(path, sizeof path, dir, "figures");
    if (!st && mkdir(path, 0777) != 0 && errno != EEXIST)
        st = RMTK_ERR_IO;
    join(path, sizeof path, dir, "layers");
    if (!st && mkdir(path, 0777) != 0 && errno != EEXIST)
        st = RMTK_ERR_IO;
    for (size_t i = 0; !st && now[i]; i++) {
        join(from, sizeof from, commit, now[i]);
        join(path, sizeof path, dir, now[i]);
        if (lstat(from, &sb) == 0 && checked_rename(from, path) != 0)
            st = RMTK_ERR_IO;
    }
    /* 5: the manifest, last */
    join(from, sizeof from, commit, MANIFEST);
    join(path, sizeof path, dir, MANIFEST);
    if (!st && checked_rename(from, path) != 0)
        st = RMTK_ERR_IO;
    if (st)
        cli_error("%s: cannot complete the output commit (%s): %s", dir,
                  st == RMTK_ERR_IO ? strerror(errno) : rmtk_status_str(st), path);
    else
        remove_tree(commit);
    join(path, sizeof path, dir, "figures");
    rmdir(path); /* only when empty: other people's files stay */
    join(path, sizeof path, dir, "layers");
    rmdir(path);
    list_free(now);
    list_free(before);
    return st;
}

/* Staging folders of runs whose process is gone. */
static void remove_stale_staging(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, STAGING, strlen(STAGING)) != 0)
            continue;
        char *end;
        long pid = strtol(e->d_name + strlen(STAGING), &end, 10);
        if (*end || pid <= 0 || (pid != (long)getpid() && kill((pid_t)pid, 0) == 0))
            continue;
        join(path, sizeof path, dir, e->d_name);
        remove_tree(path);
    }
    closedir(d);
}

/* Interrupted while computing (Ctrl-C, kill): the staging folder holds only its empty figures/
 * then, which two rmdir calls (async-signal-safe) remove before the signal takes its default
 * course. Later (files written), the next run removes it. */
static char sig_stage[4096], sig_fig[4200];
static const int caught[] = {SIGINT, SIGTERM, SIGHUP};

static void on_signal(int sig)
{
    rmdir(sig_fig);
    rmdir(sig_stage);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_signals(int on)
{
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on ? on_signal : SIG_DFL;
        sigemptyset(&sa.sa_mask);
        sigaction(caught[i], &sa, NULL);
    }
}

int cli_outdir_prepare(const char *cmd, const char *opt, const char *dir, cli_outdir *od)
{
    struct stat sb;
    memset(od, 0, sizeof *od);
    if (strlen(dir) > 3000) {
        cli_error("%s: %s %.40s...: path too long", cmd, opt, dir);
        return RMTK_ERR_ARG;
    }
    if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
        cli_error("%s: %s %s names a file, not a folder (give a folder; it is created if "
                  "missing)",
                  cmd, opt, dir);
        return RMTK_ERR_ARG;
    }
    if (cli_mkdir_p(dir) != RMTK_OK) {
        cli_error("%s: %s %s cannot be created (nothing was computed)", cmd, opt, dir);
        return RMTK_ERR_IO;
    }
    int st = finish_commit(dir);
    if (st)
        return st;
    remove_stale_staging(dir);
    snprintf(od->dir, sizeof od->dir, "%s", dir);
    snprintf(od->stage, sizeof od->stage, "%s/" STAGING "%ld", dir, (long)getpid());
    remove_tree(od->stage);
    char fig[4200];
    join(fig, sizeof fig, od->stage, "figures");
    if (mkdir(od->stage, 0777) != 0 || mkdir(fig, 0777) != 0) {
        int e = errno;
        remove_tree(od->stage);
        cli_error("%s: %s %s is not writable: %s (nothing was computed)", cmd, opt, dir,
                  strerror(e));
        od->stage[0] = '\0';
        return RMTK_ERR_IO;
    }
    snprintf(sig_stage, sizeof sig_stage, "%s", od->stage);
    snprintf(sig_fig, sizeof sig_fig, "%s", fig);
    catch_signals(1);
    return RMTK_OK;
}

void cli_outdir_abandon(cli_outdir *od)
{
    if (od->stage[0]) {
        catch_signals(0);
        remove_tree(od->stage);
    }
    od->stage[0] = '\0';
}

/* Appends the regular files of stage/sub (sub "", "figures" or "layers") to f, sorted by readdir
 * order; a subfolder the run did not create (layers/ with --no-plots) lists nothing. */
static int list_files(FILE *f, const char *stage, const char *sub)
{
    char path[4200];
    snprintf(path, sizeof path, "%s%s%s", stage, *sub ? "/" : "", sub);
    DIR *d = opendir(path);
    if (!d)
        return *sub && errno == ENOENT ? RMTK_OK : RMTK_ERR_IO;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char p[4400], rel[512];
        join(p, sizeof p, path, e->d_name);
        snprintf(rel, sizeof rel, "%s%s%s", sub, *sub ? "/" : "", e->d_name);
        struct stat sb;
        if (lstat(p, &sb) != 0 || !S_ISREG(sb.st_mode) || !strcmp(e->d_name, MANIFEST) ||
            !strcmp(e->d_name, PREVIOUS) || !safe_entry(rel))
            continue;
        fprintf(f, "%s\n", rel);
    }
    closedir(d);
    return RMTK_OK;
}

static int copy_file(const char *from, const char *to)
{
    size_t len = 0;
    char *text = cli_read_file(from, &len);
    if (!text)
        return errno == ENOENT ? RMTK_OK : RMTK_ERR_IO;
    FILE *f = fopen(to, "w");
    int st = f && fwrite(text, 1, len, f) == len ? RMTK_OK : RMTK_ERR_IO;
    if (f && fclose(f) != 0)
        st = RMTK_ERR_IO;
    free(text);
    return st;
}

int cli_outdir_commit(cli_outdir *od)
{
    char path[4200], prev[4200];
    join(path, sizeof path, od->stage, MANIFEST);
    FILE *f = fopen(path, "w");
    int st = f ? RMTK_OK : RMTK_ERR_IO;
    if (f) {
        fprintf(f, "# rmtk %s: the files of the last `rmtk analyze` into this folder (paths "
                   "relative to it).\n# rmtk removes these, and only these, before its next run "
                   "here writes its own (docs/report.md).\n",
                rmtk_version());
        st = list_files(f, od->stage, "");
        if (!st)
            st = list_files(f, od->stage, "figures");
        if (!st)
            st = list_files(f, od->stage, "layers");
        if (fflush(f) != 0 || fsync(fileno(f)) != 0)
            st = RMTK_ERR_IO;
        if (fclose(f) != 0)
            st = RMTK_ERR_IO;
    }
    join(prev, sizeof prev, od->dir, MANIFEST);
    join(path, sizeof path, od->stage, PREVIOUS);
    if (!st)
        st = copy_file(prev, path);
    join(path, sizeof path, od->dir, COMMIT);
    if (!st && rename(od->stage, path) != 0)
        st = RMTK_ERR_IO;
    if (st) {
        cli_error("%s: cannot commit the outputs: %s", od->dir, strerror(errno));
        cli_outdir_abandon(od);
        return st;
    }
    od->stage[0] = '\0';
    catch_signals(0);
    return finish_commit(od->dir);
}
