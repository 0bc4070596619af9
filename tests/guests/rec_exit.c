/* For the tests of `tcgtrace record`: the guest's exit status and standard
 * streams must reach the caller untouched.
 *   rec_exit N     exits with status N
 *   rec_exit -N    dies of signal N
 *   rec_exit cat   copies stdin to stdout, then writes one line to stderr */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    if (!strcmp(argv[1], "cat")) {
        int c;
        while ((c = getchar()) != EOF)
            putchar(c);
        fputs("rec_exit: stderr\n", stderr);
        return 0;
    }
    int n = atoi(argv[1]);
    if (n < 0) {
        signal(-n, SIG_DFL);
        raise(-n);
    }
    return n;
}
