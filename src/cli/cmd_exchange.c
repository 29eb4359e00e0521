/* cmd_exchange.c - placeholder registered in the command table while the
 * command is being written (issue 5); replaced by its implementation. */
#include <stdio.h>

#include "cli/cli.h"

int qf_cmd_exchange(qf_cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    fprintf(stderr, "quantflow %s: not available in this build yet\n", argv[0]);
    return QF_EXIT_FAIL;
}
