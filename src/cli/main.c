/* Temporary entry point while the CLI lands (replaced in the next commit). */
#include <stdio.h>
int main(void)
{
    fputs("quantflow: CLI not built yet\n", stderr);
    return 1;
}
