/* Two threads allocate, fill and free blocks concurrently, with nothing
 * between them but malloc itself (heap_churn.h): no data race. */
#include <stdio.h>
#include <stdlib.h>

#include "heap_churn.h"

#define SIZE 2000

static unsigned char *take(int round)
{
    (void)round;
    return malloc(SIZE);
}

int main(int argc, char **argv)
{
    printf("corrupted %ld\n", churn(take, SIZE, argc > 1 ? atoi(argv[1]) : 200));
    return 0;
}
