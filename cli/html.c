/*
 * html.c: DIR/report.html, one self-contained file (placeholder replaced below).
 */
#include "cli.h"

int cli_html_write(const cJSON *report, const char *figdir, const char *path)
{
    (void)report;
    (void)figdir;
    (void)path;
    return RMTK_OK;
}
