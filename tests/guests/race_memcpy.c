/* Races the C library makes on the program's memory, for the program: one
 * thread copies into a global buffer with memcpy while another fills it
 * with memset, and both move bytes into one heap block with memmove. Both
 * accesses of each race are the C library's code; the memory is the
 * program's, so the race is the program's (ThreadSanitizer checks such
 * calls in its interceptors). The sizes are only known at run time, so
 * gcc calls the library rather than inlining the copies.
 *
 * "race_memcpy stack" has both copy into a buffer on main's stack instead:
 * the race is there.
 *
 * "race_memcpy locked" makes the same calls under a mutex: no race, and
 * the C library's own accesses to the mutex are no race either.
 * "race_memcpy stdio" has both threads print through a buffer of the
 * program's (setvbuf): the C library copies into it under stdout's lock,
 * which orders them (no race either, though the detector takes no order
 * from the C library's own data). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char buf[1024];
static char src[1024 + 2]; /* copied from at src + 2, len bytes */
static char *block;
static char *on_stack; /* main's buffer, in "stack" mode */
static size_t len;
static int locked;
static char stdout_buf[4096];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *printer(void *arg)
{
    for (int i = 0; i < 1000; i++)
        printf("thread %d, line %d\n", *(int *)arg, i);
    return NULL;
}

static void *copier(void *arg)
{
    (void)arg;
    if (locked)
        pthread_mutex_lock(&lock);
    if (on_stack) {
        memcpy(on_stack, src, len);
    } else {
        memcpy(buf, src, len);
        memmove(block, src + 1, len);
    }
    if (locked)
        pthread_mutex_unlock(&lock);
    return NULL;
}

static void *filler(void *arg)
{
    (void)arg;
    if (locked)
        pthread_mutex_lock(&lock);
    if (on_stack) {
        memset(on_stack, 'y', len);
    } else {
        memset(buf, 'x', len);
        memmove(block, src + 2, len);
    }
    if (locked)
        pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t a, b;
    char local[sizeof buf];
    if (argc > 1 && !strcmp(argv[1], "stdio")) {
        static int ids[2] = { 1, 2 };
        setvbuf(stdout, stdout_buf, _IOFBF, sizeof stdout_buf);
        pthread_create(&a, NULL, printer, &ids[0]);
        pthread_create(&b, NULL, printer, &ids[1]);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        return 0;
    }
    locked = argc > 1 && !strcmp(argv[1], "locked");
    len = sizeof buf - (size_t)argc;
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (char)('a' + i % 26);
    block = malloc(sizeof buf);
    if (!block)
        return 1;
    if (argc > 1 && !strcmp(argv[1], "stack"))
        on_stack = local;
    pthread_create(&a, NULL, copier, NULL);
    pthread_create(&b, NULL, filler, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("copied %zu bytes%s%s\n", len, locked ? " under a lock" : "", on_stack && local[0] ? " on the stack" : "");
    free(block);
    return 0;
}
