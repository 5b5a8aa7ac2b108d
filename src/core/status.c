/*
 * status.c: status-code messages, the version string and the error-message helper.
 * rmtk_status_str is a switch without a default: a new status code without a message makes the
 * build fail (-Wswitch with -Werror), so codes and messages cannot drift apart.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

#ifndef RMTK_VERSION_STRING
#define RMTK_VERSION_STRING "0.0.0"
#endif

const char *rmtk_status_str(int status)
{
    switch ((enum rmtk_status)status) {
    case RMTK_OK:
        return "success";
    case RMTK_ERR_NOMEM:
        return "out of memory";
    case RMTK_ERR_IO:
        return "input/output error";
    case RMTK_ERR_FORMAT:
        return "malformed file";
    case RMTK_ERR_UNSUPPORTED:
        return "unsupported input";
    case RMTK_ERR_ARG:
        return "invalid argument";
    case RMTK_ERR_NOTFOUND:
        return "not found";
    case RMTK_ERR_LAPACK:
        return "LAPACK failure";
    case RMTK_ERR_RANGE:
        return "size or offset out of range";
    case RMTK_ERR_NUMERIC:
        return "degenerate data for this statistic";
    case RMTK_ERR_INTERNAL:
        return "internal error";
    }
    return "unknown status code";
}

const char *rmtk_version(void)
{
    return RMTK_VERSION_STRING;
}

int rmtk__fail(char *buf, int status, const char *fmt, ...)
{
    if (buf) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, RMTK_ERRMSG_SIZE, fmt, ap);
        va_end(ap);
    }
    return status;
}
