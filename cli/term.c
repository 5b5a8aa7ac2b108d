/*
 * term.c: the per-layer table of `rmtk analyze` kept to the terminal's width. The width is
 * $COLUMNS when set (an explicit choice, also for scripts and tests), else the terminal's
 * (ioctl TIOCGWINSZ on stdout), else 100 (a pipe or a file). Names longer than their column are
 * shortened in the middle ("model.layers.17…experts.5.w1.weight": the head reaches past the
 * first number, the block index, and the tail keeps the module: what tells layers apart); when two shortened names would print the same,
 * those rows print their full name on a line of their own above the row instead, so that no two
 * rows ever show the same name. `--wide` prints every name in full.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int cli_term_width(void)
{
    const char *c = getenv("COLUMNS");
    if (c && *c) {
        char *end;
        long v = strtol(c, &end, 10);
        if (*end == '\0' && v >= 20 && v <= 100000)
            return (int)v;
    }
    struct winsize ws;
    if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 100;
}

/* Display columns of a UTF-8 string (one per character; names are mostly ASCII). */
size_t cli_utf8_cols(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static size_t cli_utf8_cols_n(const char *s, size_t bytes)
{
    size_t n = 0;
    for (size_t i = 0; i < bytes && s[i]; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Byte offset of the character at display column col. */
static size_t col_offset(const char *s, size_t col)
{
    size_t i = 0, c = 0;
    while (s[i] && c < col) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        c++;
    }
    return i;
}

void cli_name_fit(const char *name, size_t width, char *buf, size_t n)
{
    size_t cols = cli_utf8_cols(name);
    if (cols <= width || width < 5) {
        snprintf(buf, n, "%s", name);
        return;
    }
    /* keep the head and the tail: width - 1 columns around the ellipsis, the tail the longer */
    size_t head = (width - 1) * 2 / 5;
    /* the head reaches past the first number (the block index of "model.layers.17.") when the
     * tail keeps 10 columns */
    size_t e = strcspn(name, "0123456789");
    if (name[e]) {
        e += strspn(name + e, "0123456789");
        e = cli_utf8_cols_n(name, e);
        if (e > head && e + 1 + 10 <= width)
            head = e;
    }
    size_t tail = width - 1 - head;
    size_t hb = col_offset(name, head), tb = col_offset(name, cols - tail);
    snprintf(buf, n, "%.*s…%s", (int)hb, name, name + tb);
}

int cli_names_layout(const char *const *names, size_t count, size_t width, char **shown,
                     int *own_line)
{
    for (size_t i = 0; i < count; i++) {
        own_line[i] = 0;
        char buf[1024];
        cli_name_fit(names[i], width, buf, sizeof buf);
        shown[i] = strdup(buf);
        if (!shown[i]) {
            for (size_t j = 0; j < i; j++)
                free(shown[j]);
            return RMTK_ERR_NOMEM;
        }
    }
    /* a name that would print like another row's: on its own line, in full (sorting by the shown
     * string would be n log n; tables are hundreds of rows, a quadratic pass is microseconds) */
    for (size_t i = 0; i < count; i++)
        for (size_t j = i + 1; j < count; j++)
            if (!strcmp(shown[i], shown[j])) {
                own_line[i] = own_line[j] = 1;
            }
    return RMTK_OK;
}
