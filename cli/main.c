/*
 * main.c: the rmtk command line. A thin shell over the public header: it parses arguments,
 * dispatches to one subcommand and returns the library status as the exit code.
 */
#include "rmtk.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0)) {
        printf("rmtk %s\n", rmtk_version());
        return 0;
    }
    fprintf(stderr, "usage: rmtk COMMAND ...\n");
    return argc >= 2 ? RMTK_ERR_ARG : 0;
}
