/*
 * mpi-driver.c: `mpirun -np N rmtk analyze FILE... --out DIR` (docs/mpi.md). The library never
 * sees MPI: every rank opens the models (index only) and builds the same analysis; rank 0
 * coordinates and writes the one report, ranks 1..N-1 compute. Rank 0 hands out the analysed
 * matrices largest first (rows x cols), a chunk of the worker's --threads matrices at a time; a
 * worker computes its chunk with rmtk_analysis_run_entries, sends each matrix's results
 * (rmtk_analysis_entry_export) and asks for the next chunk. A worker holds two chunks, the one
 * it computes and the next, so that it never waits for rank 0. Rank 0 imports every result
 * into its analysis (rmtk_analysis_entry_import) and writes report.json and summary.csv with the
 * ordinary writers: byte-identical to the single-process run, since each matrix's results
 * depend only on the matrix, the parameters and its index. The rank count, hosts, threads and
 * wall time go into report.json's "provenance".
 *
 * At start every rank reports its status (models opened?), the byte size of every input, a
 * fingerprint of its analysis (entry names, shapes, dtypes, skips) and its host; a mismatch is
 * an error (files must be readable by every rank at the same path). Communication errors
 * return (MPI_ERRORS_RETURN on MPI_COMM_WORLD) and name the matrices the peer held. When a rank
 * dies, mpirun stops the job by sending SIGTERM to the others: rank 0's handler then prints the
 * matrices each rank held before exiting.
 *
 * Rank 0 waits for messages by polling (MPI_Iprobe with a sleep growing to 0.2 ms), so it costs
 * almost no CPU: run one more rank than the cores meant for computing.
 *
 * Built without MPI (RMTK_MPI=OFF), or run without mpirun, the CLI is rank 0 of 1 and
 * cmd-analyze.c behaves exactly as before: every function here is then a pass-through.
 */
#include "cli.h"

#include <string.h>

#ifndef RMTK_HAVE_MPI

int cli_mpi_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}
int cli_mpi_finalize(int st) { return st; }
int cli_mpi_rank(void) { return 0; }
int cli_mpi_size(void) { return 1; }
int32_t cli_mpi_threads(int32_t threads) { return threads; }
int cli_mpi_setup(const char *const *files, int nfiles, rmtk_analysis *an, int32_t threads,
                  int st)
{
    (void)threads;
    (void)files;
    (void)nfiles;
    (void)an;
    return st;
}
int cli_mpi_analysis_run(rmtk_analysis *an, rmtk_progress_fn progress, void *user)
{
    return rmtk_analysis_run(an, progress, user);
}
const char *cli_mpi_errmsg(const rmtk_analysis *an) { return rmtk_analysis_errmsg(an); }
int cli_mpi_complete(void) { return 1; }
int cli_mpi_finish(int st) { return st; }

#else /* RMTK_HAVE_MPI */

#include <dirent.h>
#include <mpi.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { TAG_READY = 1, TAG_WORK = 2, TAG_RESULT = 3, TAG_FATAL = 4 };

static int g_on, g_rank, g_size;
static char g_err[8192];    /* the message of a failed distributed run (cli_mpi_errmsg) */
static char (*g_hosts)[MPI_MAX_PROCESSOR_NAME];
static int *g_threads;      /* per rank: the worker threads (chunk size) */
static double g_wall;
static int g_incomplete;    /* the distributed run stopped before every matrix came back */

int cli_mpi_rank(void) { return g_rank; }
int cli_mpi_size(void) { return g_on ? g_size : 1; }

/* mpirun (Open MPI, MPICH's hydra, PMIx launchers) announces itself in the environment: only
 * then is MPI initialised, so that a plain `rmtk` never starts MPI's runtime. */
static int launched_by_mpirun(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

int cli_mpi_init(int *argc, char ***argv)
{
    if (!launched_by_mpirun())
        return 0;
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return RMTK_ERR_IO;
    /* Errors come back as codes, so rank 0 can say which matrix a failed peer held. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    g_on = 1;
    return 0;
}

int cli_mpi_finalize(int st)
{
    if (g_on)
        MPI_Finalize();
    free(g_hosts);
    free(g_threads);
    return st;
}

static const char *mpi_errstr(int code, char *buf)
{
    int len = 0;
    if (MPI_Error_string(code, buf, &len) != MPI_SUCCESS)
        snprintf(buf, MPI_MAX_ERROR_STRING, "MPI error %d", code);
    return buf;
}

/* ---- setup: same inputs, same analysis on every rank ------------------------------------ */

/* The byte size of an input: a file's, or the sum of the regular files in a directory (a
 * sharded checkpoint); -1 when it cannot be read. */
static long long input_size(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return -1;
    if (!S_ISDIR(sb.st_mode))
        return (long long)sb.st_size;
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long long sum = 0;
    struct dirent *de;
    char p[4200];
    while ((de = readdir(d)) != NULL) {
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
            sum += (long long)sb.st_size;
    }
    closedir(d);
    return sum;
}

/* FNV-1a over what identifies the entries: two ranks that built different analyses differ. */
static unsigned long long fingerprint(const rmtk_analysis *an)
{
    unsigned long long h = 1469598103934665603ull;
    size_t n = an ? rmtk_analysis_count(an) : 0;
    for (size_t i = 0; i < n; i++) {
        rmtk_analysis_row r;
        if (rmtk_analysis_row_get(an, i, &r) != RMTK_OK)
            continue;
        long long v[4] = {r.rows, r.cols, r.skip, 0};
        for (const char *c = r.name; *c; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211ull;
        for (size_t b = 0; b < sizeof v; b++)
            h = (h ^ ((const unsigned char *)v)[b]) * 1099511628211ull;
        for (const char *c = r.dtype; *c; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211ull;
    }
    return h;
}

enum { HOSTLEN = MPI_MAX_PROCESSOR_NAME };

typedef struct {
    long long status, threads, nentries;
    unsigned long long fp;
    long long sizes[]; /* nfiles */
} setup_rec;

/* A worker's thread count when --threads is not given: the cores shared among the ranks of its
 * node (Open MPI's OMPI_COMM_WORLD_LOCAL_SIZE), at least 1. */
static int worker_threads(void)
{
    const char *ls = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    long cores = sysconf(_SC_NPROCESSORS_ONLN), local = ls ? strtol(ls, NULL, 10) : 1;
    if (cores < 1)
        cores = 1;
    if (local < 1)
        local = 1;
    return cores / local > 0 ? (int)(cores / local) : 1;
}

int32_t cli_mpi_threads(int32_t threads)
{
    return g_on && g_size > 1 && g_rank > 0 && threads == 0 ? worker_threads() : threads;
}

int cli_mpi_setup(const char *const *files, int nfiles, rmtk_analysis *an, int32_t threads,
                  int st)
{
    if (!g_on)
        return st;
    size_t rec = sizeof(setup_rec) + (size_t)nfiles * sizeof(long long);
    setup_rec *mine = calloc(1, rec);
    unsigned char *all = g_rank == 0 ? calloc((size_t)g_size, rec) : NULL;
    char host[HOSTLEN] = {0};
    int hl = 0;
    g_hosts = calloc((size_t)g_size, HOSTLEN);
    g_threads = calloc((size_t)g_size, sizeof *g_threads);
    if (!mine || (g_rank == 0 && !all) || !g_hosts || !g_threads) {
        cli_error("analyze: out of memory (MPI setup)");
        MPI_Abort(MPI_COMM_WORLD, RMTK_ERR_NOMEM);
    }
    MPI_Get_processor_name(host, &hl);
    mine->status = st;
    mine->threads = threads;
    mine->nentries = an ? (long long)rmtk_analysis_count(an) : -1;
    mine->fp = fingerprint(an);
    for (int f = 0; f < nfiles; f++)
        mine->sizes[f] = input_size(files[f]);
    int rc = MPI_Gather(mine, (int)rec, MPI_BYTE, all, (int)rec, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (rc == MPI_SUCCESS)
        rc = MPI_Allgather(host, HOSTLEN, MPI_CHAR, g_hosts, HOSTLEN, MPI_CHAR,
                           MPI_COMM_WORLD);
    long long verdict = st;
    if (rc == MPI_SUCCESS && g_rank == 0) {
        const setup_rec *r0 = (const setup_rec *)all;
        for (int r = 0; r < g_size && !verdict; r++) {
            const setup_rec *x = (const setup_rec *)(all + (size_t)r * rec);
            g_threads[r] = x->threads > 0 ? (int)x->threads : 1;
            if (x->status) {
                cli_error("analyze: rank %d (%s) could not open the inputs (%s; its message "
                          "above)", r, g_hosts[r], rmtk_status_str((int)x->status));
                verdict = x->status;
                break;
            }
            for (int f = 0; f < nfiles; f++)
                if (x->sizes[f] != r0->sizes[f]) {
                    cli_error("analyze: %s is %lld bytes on rank 0 (%s) but %lld on rank %d "
                              "(%s): files must be readable by every rank at the same path "
                              "(docs/mpi.md)", files[f], r0->sizes[f], g_hosts[0],
                              x->sizes[f], r, g_hosts[r]);
                    verdict = RMTK_ERR_IO;
                    break;
                }
            if (!verdict && (x->nentries != r0->nentries || x->fp != r0->fp)) {
                cli_error("analyze: rank %d (%s) sees other matrices than rank 0 (%lld vs %lld "
                          "entries, or other names or shapes): files must be readable by every "
                          "rank at the same path, with the same options (docs/mpi.md)", r,
                          g_hosts[r], x->nentries, r0->nentries);
                verdict = RMTK_ERR_IO;
            }
        }
    }
    if (rc == MPI_SUCCESS)
        rc = MPI_Bcast(&verdict, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) {
        char es[MPI_MAX_ERROR_STRING];
        cli_error("analyze: rank %d: MPI failed during the setup: %s", g_rank,
                  mpi_errstr(rc, es));
        verdict = RMTK_ERR_IO;
    }
    free(mine);
    free(all);
    return (int)verdict;
}

/* ---- rank 0: hand out, collect ------------------------------------------------------------ */

/* What each worker holds, for the SIGTERM handler: two buffers, the handler reads the one
 * published last (formatted outside the handler, written with write(2) inside). */
static char g_held[2][16384];
static volatile sig_atomic_t g_held_cur;

static void on_sigterm(int sig)
{
    (void)sig;
    static const char head[] = "rmtk: analyze: the MPI job was stopped (a rank died or was "
                               "killed, or mpirun was interrupted); matrices held (being "
                               "computed or queued): ";
    const char *m = g_held[g_held_cur];
    ssize_t w = write(2, head, sizeof head - 1);
    w = write(2, m, strlen(m));
    w = write(2, "\n", 1);
    (void)w;
    _exit(RMTK_ERR_IO);
}

/* A worker keeps PREFETCH chunks: it computes one while the next is queued, so the round trip
 * to rank 0 is hidden behind the computation. */
enum { PREFETCH = 2 };

typedef struct {
    size_t *idx;     /* held entries (being computed or queued) */
    size_t n;
    long chunks_out; /* non-empty chunks sent and not yet reported done */
    int zero_sent;   /* told "no more work" */
    int finished;
} worker_state;

static void publish_held(const rmtk_analysis *an, const worker_state *ws)
{
    int next = !g_held_cur;
    char *b = g_held[next];
    size_t cap = sizeof g_held[0], len = 0;
    b[0] = '\0';
    for (int r = 1; r < g_size && len + 1 < cap; r++) {
        if (!ws[r].n)
            continue;
        len += (size_t)snprintf(b + len, cap - len, "%srank %d (%s): ", len ? "; " : "", r,
                                g_hosts[r]);
        for (size_t j = 0; j < ws[r].n && len + 1 < cap; j++) {
            rmtk_analysis_row row;
            rmtk_analysis_row_get(an, ws[r].idx[j], &row);
            len += (size_t)snprintf(b + len, cap - len, "%s%s", j ? ", " : "", row.name);
        }
    }
    if (len >= cap)
        b[cap - 1] = '\0';
    if (!b[0])
        snprintf(b, cap, "none");
    g_held_cur = next;
}

static const char *held_names(const rmtk_analysis *an, const worker_state *w, char *buf,
                              size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t j = 0; j < w->n && len + 1 < cap; j++) {
        rmtk_analysis_row row;
        rmtk_analysis_row_get(an, w->idx[j], &row);
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", j ? ", " : "", row.name);
    }
    return buf[0] ? buf : "no matrix";
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Largest first: rows x cols descending, then entry order (deterministic). */
static const rmtk_analysis *g_sort_an;
static int by_size(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    rmtk_analysis_row ra, rb;
    rmtk_analysis_row_get(g_sort_an, a, &ra);
    rmtk_analysis_row_get(g_sort_an, b, &rb);
    double sa = (double)ra.rows * (double)ra.cols, sb = (double)rb.rows * (double)rb.cols;
    if (sa != sb)
        return sa > sb ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* Waits for the next message from any rank without spinning: MPI_Iprobe, then a sleep that
 * grows from 20 us to 0.2 ms (a reply waits at most ~0.2 ms; the CPU cost is a few
 * thousand wake-ups a second). */
static int wait_message(MPI_Status *stt)
{
    long ns = 20000;
    for (;;) {
        int flag = 0;
        int rc = MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, stt);
        if (rc != MPI_SUCCESS || flag)
            return rc;
        struct timespec t = {0, ns};
        nanosleep(&t, NULL);
        ns = ns < 200000 ? ns * 2 : 200000;
    }
}

static int master(rmtk_analysis *an, rmtk_progress_fn progress, void *user)
{
    size_t n = rmtk_analysis_count(an), total = 0;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    worker_state *ws = calloc((size_t)g_size, sizeof *ws);
    unsigned long long *msg = malloc((n + 1) * sizeof *msg);
    unsigned char *buf = NULL;
    size_t bufcap = 0;
    if (!order || !ws || !msg) {
        cli_error("analyze: out of memory (MPI driver, rank 0)");
        MPI_Abort(MPI_COMM_WORLD, RMTK_ERR_NOMEM); /* the workers wait for work: stop them */
        return RMTK_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        rmtk_analysis_row r;
        rmtk_analysis_row_get(an, i, &r);
        if (r.skip == RMTK_SKIP_NONE)
            order[total++] = i;
    }
    g_sort_an = an;
    qsort(order, total, sizeof *order, by_size);
    for (int r = 1; r < g_size; r++)
        if (!(ws[r].idx = malloc((size_t)PREFETCH * (size_t)(g_threads[r] > 0 ? g_threads[r] : 1) *
                                 sizeof(size_t))))
            snprintf(g_err, sizeof g_err, "out of memory (MPI driver)");
    publish_held(an, ws);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigterm;
    sigaction(SIGTERM, &sa, &old);

    size_t next = 0, done = 0;
    int nfinished = 0, st = g_err[0] ? RMTK_ERR_NOMEM : RMTK_OK;
    double t0 = now();
    if (progress)
        progress(user, 0, total, "");
    while (nfinished < g_size - 1) {
        MPI_Status stt;
        char es[MPI_MAX_ERROR_STRING], names[4096];
        int rc = wait_message(&stt), count = 0;
        if (rc == MPI_SUCCESS)
            rc = MPI_Get_count(&stt, MPI_BYTE, &count);
        int src = rc == MPI_SUCCESS ? stt.MPI_SOURCE : -1;
        if (rc == MPI_SUCCESS && (size_t)count + 1 > bufcap) {
            unsigned char *nb = realloc(buf, (size_t)count + 1);
            if (!nb) {
                snprintf(g_err, sizeof g_err, "out of memory for a %d-byte result", count);
                st = RMTK_ERR_NOMEM;
                break;
            }
            buf = nb;
            bufcap = (size_t)count + 1;
        }
        if (rc == MPI_SUCCESS)
            rc = MPI_Recv(buf, count, MPI_BYTE, src, stt.MPI_TAG, MPI_COMM_WORLD,
                          MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) {
            snprintf(g_err, sizeof g_err, "MPI receive failed%s%s: %s",
                     src > 0 ? " from a rank holding " : "",
                     src > 0 ? held_names(an, &ws[src], names, sizeof names) : "",
                     mpi_errstr(rc, es));
            st = RMTK_ERR_IO;
            break; /* the communicator is broken: no orderly stop */
        }
        worker_state *w = &ws[src];
        if (stt.MPI_TAG == TAG_RESULT) {
            unsigned long long idx = 0;
            if (count >= 8)
                memcpy(&idx, buf, 8);
            size_t j;
            for (j = 0; j < w->n && w->idx[j] != idx; j++)
                ;
            if (count < 8 || j == w->n) {
                if (!st)
                    snprintf(g_err, sizeof g_err, "rank %d (%s) sent a result for entry %llu, "
                             "which it did not hold", src, g_hosts[src], idx);
                st = st ? st : RMTK_ERR_INTERNAL;
                continue;
            }
            int ist = rmtk_analysis_entry_import(an, (size_t)idx, buf + 8, (size_t)count - 8);
            if (ist && !st) {
                snprintf(g_err, sizeof g_err, "rank %d (%s): %s", src, g_hosts[src],
                         rmtk_analysis_errmsg(an));
                st = ist;
            }
            w->idx[j] = w->idx[--w->n];
            publish_held(an, ws);
            done++;
            if (progress) {
                rmtk_analysis_row row;
                rmtk_analysis_row_get(an, (size_t)idx, &row);
                progress(user, done, total, row.name);
            }
        } else if (stt.MPI_TAG == TAG_READY) {
            /* {chunks wanted, 1 when a chunk was just finished} */
            int32_t ready[2] = {0, 0};
            if (count == (int)sizeof ready)
                memcpy(ready, buf, sizeof ready);
            if (ready[1])
                w->chunks_out--;
            size_t chunk = (size_t)(g_threads[src] > 0 ? g_threads[src] : 1);
            for (int32_t c = 0; c < ready[0] && rc == MPI_SUCCESS; c++) {
                size_t k = 0;
                while (!st && next < total && k < chunk && w->n < PREFETCH * chunk) {
                    w->idx[w->n++] = order[next];
                    msg[k++] = order[next++];
                }
                publish_held(an, ws);
                rc = MPI_Send(msg, (int)(k * sizeof *msg), MPI_BYTE, src, TAG_WORK,
                              MPI_COMM_WORLD);
                if (k)
                    w->chunks_out++;
                else
                    w->zero_sent = 1;
            }
            if (rc != MPI_SUCCESS) {
                snprintf(g_err, sizeof g_err, "MPI send to rank %d (%s) failed, which was to "
                         "compute %s: %s", src, g_hosts[src],
                         held_names(an, w, names, sizeof names), mpi_errstr(rc, es));
                st = RMTK_ERR_IO;
                break;
            }
            /* Every chunk reported done and told to stop: the worker sends nothing more. */
            if (w->zero_sent && w->chunks_out == 0 && !w->finished) {
                w->finished = 1;
                nfinished++;
            }
        } else if (stt.MPI_TAG == TAG_FATAL) {
            buf[count] = '\0';
            if (!st) {
                snprintf(g_err, sizeof g_err, "rank %d (%s) stopped while computing %s: %s",
                         src, g_hosts[src], held_names(an, w, names, sizeof names),
                         (const char *)buf + 8);
                memcpy(&st, buf, sizeof st);
                if (!st)
                    st = RMTK_ERR_INTERNAL;
            }
            w->n = 0;
            w->finished = 1;
            nfinished++;
            publish_held(an, ws);
        }
    }
    g_wall = now() - t0;
    g_incomplete = done < total;
    if (nfinished < g_size - 1) {
        /* The loop broke off (a broken communicator, no memory for a result): workers may wait
         * for work that will not come, so the job ends here, with the message. */
        cli_error("analyze: %s", g_err);
        MPI_Abort(MPI_COMM_WORLD, st ? st : RMTK_ERR_IO);
    }
    sigaction(SIGTERM, &old, NULL);
    for (int r = 1; r < g_size; r++)
        free(ws[r].idx);
    free(ws), free(order), free(msg), free(buf);
    if (st)
        return st;
    /* As rmtk_analysis_run: the status of the first failed matrix, with its message. */
    for (size_t i = 0; i < n; i++) {
        rmtk_analysis_row r;
        rmtk_analysis_row_get(an, i, &r);
        if (r.skip == RMTK_SKIP_NONE && r.error) {
            snprintf(g_err, sizeof g_err, "%s: %s", r.name, r.reason);
            return r.error;
        }
    }
    return RMTK_OK;
}

/* ---- ranks 1..N-1: compute ---------------------------------------------------------------- */

static int send_fatal(int st, const char *what)
{
    char m[4096];
    int code = st;
    memcpy(m, &code, sizeof code);
    memset(m + sizeof code, 0, 8 - sizeof code);
    snprintf(m + 8, sizeof m - 8, "%s", what);
    return MPI_Send(m, (int)(8 + strlen(m + 8) + 1), MPI_BYTE, 0, TAG_FATAL, MPI_COMM_WORLD);
}

/* Test only (tests/test_mpi.py, docs/mpi.md): RMTK_MPI_TEST_KILL=NAME makes the worker that is
 * handed matrix NAME die at once (SIGKILL), as a crashed or killed node would. */
static void test_kill(const rmtk_analysis *an, const size_t *idx, size_t k)
{
    const char *name = getenv("RMTK_MPI_TEST_KILL");
    for (size_t j = 0; name && j < k; j++) {
        rmtk_analysis_row r;
        if (rmtk_analysis_row_get(an, idx[j], &r) == RMTK_OK && strcmp(r.name, name) == 0)
            raise(SIGKILL);
    }
}

static int worker(rmtk_analysis *an)
{
    size_t n = rmtk_analysis_count(an);
    unsigned long long *msg = malloc((n + 1) * sizeof *msg);
    size_t *idx = malloc((n + 1) * sizeof *idx);
    unsigned char *blob = NULL;
    size_t cap = 0;
    int rc = MPI_SUCCESS, st = RMTK_OK;
    if (!msg || !idx) {
        free(msg), free(idx);
        return send_fatal(RMTK_ERR_NOMEM, "out of memory") == MPI_SUCCESS ? RMTK_ERR_NOMEM
                                                                          : RMTK_ERR_IO;
    }
    /* Ask for PREFETCH chunks, then for one more after each chunk done; every request is
     * answered (an empty chunk: no more work), and the worker leaves when all are. */
    int32_t ready[2] = {PREFETCH, 0};
    int expect = PREFETCH;
    rc = MPI_Send(ready, (int)sizeof ready, MPI_BYTE, 0, TAG_READY, MPI_COMM_WORLD);
    while (rc == MPI_SUCCESS && expect > 0) {
        MPI_Status stt;
        int count = 0;
        rc = MPI_Recv(msg, (int)((n + 1) * sizeof *msg), MPI_BYTE, 0, TAG_WORK, MPI_COMM_WORLD,
                      &stt);
        if (rc == MPI_SUCCESS)
            rc = MPI_Get_count(&stt, MPI_BYTE, &count);
        expect--;
        if (rc != MPI_SUCCESS)
            break;
        if (count == 0)
            continue;
        size_t k = (size_t)count / sizeof *msg;
        for (size_t j = 0; j < k; j++)
            idx[j] = (size_t)msg[j];
        test_kill(an, idx, k);
        st = rmtk_analysis_run_entries(an, idx, k, NULL, NULL);
        /* A failed matrix travels with its status; only a run that stopped is fatal. */
        for (size_t j = 0; st && j < k; j++) {
            rmtk_analysis_row r;
            rmtk_analysis_row_get(an, idx[j], &r);
            if (r.error == st)
                st = RMTK_OK;
        }
        if (st) {
            rc = send_fatal(st, rmtk_analysis_errmsg(an));
            break;
        }
        for (size_t j = 0; j < k && rc == MPI_SUCCESS; j++) {
            size_t need = 0;
            rmtk_analysis_entry_export(an, idx[j], NULL, 0, &need);
            if (need + 8 > cap) {
                unsigned char *nb = realloc(blob, need + 8);
                if (!nb || need + 8 > (size_t)INT32_MAX) {
                    st = RMTK_ERR_NOMEM;
                    rc = send_fatal(st, "cannot hold a result to send");
                    break;
                }
                blob = nb;
                cap = need + 8;
            }
            unsigned long long i64 = idx[j];
            memcpy(blob, &i64, 8);
            rmtk_analysis_entry_export(an, idx[j], blob + 8, need, &need);
            rc = MPI_Send(blob, (int)(need + 8), MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
        }
        if (st)
            break;
        ready[0] = 1;
        ready[1] = 1;
        if (rc == MPI_SUCCESS)
            rc = MPI_Send(ready, (int)sizeof ready, MPI_BYTE, 0, TAG_READY, MPI_COMM_WORLD);
        expect++;
    }
    if (rc != MPI_SUCCESS) {
        char es[MPI_MAX_ERROR_STRING];
        cli_error("analyze: rank %d: MPI failed talking to rank 0: %s", g_rank,
                  mpi_errstr(rc, es));
        st = RMTK_ERR_IO;
    }
    free(msg), free(idx), free(blob);
    return st;
}

int cli_mpi_analysis_run(rmtk_analysis *an, rmtk_progress_fn progress, void *user)
{
    if (!g_on || g_size < 2)
        return rmtk_analysis_run(an, progress, user);
    g_err[0] = '\0';
    if (g_rank != 0)
        return worker(an);
    int st = master(an, progress, user);
    /* the model-level steps over every imported entry (multiple testing, model summary) */
    int fst = rmtk_analysis_finish(an);
    if (!st)
        st = fst;
    /* Facts of the run, not results: report.json's "provenance" (the rest stays identical). */
    char hosts[8192] = "", thr[4096] = "";
    size_t hl = 0, tl = 0;
    for (int r = 0; r < g_size; r++) {
        if (hl + 1 < sizeof hosts)
            hl += (size_t)snprintf(hosts + hl, sizeof hosts - hl, "%s%s", r ? "," : "",
                                   g_hosts[r]);
        if (r && tl + 1 < sizeof thr)
            tl += (size_t)snprintf(thr + tl, sizeof thr - tl, "%s%d", r > 1 ? "," : "",
                                   g_threads[r]);
    }
    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int ll = 0;
    MPI_Get_library_version(lib, &ll);
    lib[strcspn(lib, ",\n")] = '\0';
    rmtk_analysis_provenance_set(an, "mpi_ranks", NULL, g_size);
    rmtk_analysis_provenance_set(an, "mpi_hosts", hosts, 0);
    rmtk_analysis_provenance_set(an, "mpi_worker_threads", thr, 0);
    rmtk_analysis_provenance_set(an, "mpi_library", lib, 0);
    rmtk_analysis_provenance_set(an, "mpi_wall_seconds", NULL, g_wall);
    return st;
}

const char *cli_mpi_errmsg(const rmtk_analysis *an)
{
    return g_on && g_size > 1 ? g_err : rmtk_analysis_errmsg(an);
}

int cli_mpi_complete(void)
{
    return !g_incomplete;
}

int cli_mpi_finish(int st)
{
    if (!g_on || g_size < 2)
        return st;
    int v = st;
    if (MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        return st ? st : RMTK_ERR_IO;
    return g_rank == 0 ? st : v;
}

#endif /* RMTK_HAVE_MPI */
