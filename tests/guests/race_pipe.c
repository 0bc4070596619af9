/* Data handed between threads with no lock and no atomic: only a byte
 * through a file says it is ready. The main thread fills a buffer, then
 * writes a byte to a pipe, a socket pair, an eventfd and a TCP connection
 * over the loopback (made by connect and accept) in turn; the
 * worker blocks reading each, then reads the buffer, writes its answer
 * and signals back through the same kind of file. The kernel orders the
 * write before the read that got its data, as ThreadSanitizer models it:
 * no data race. Usage: race_pipe [ROUNDS]. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

static long buffer[64], answer;
static int to_worker[3][2], to_main[3][2], efd[2], tcp[2];
static int rounds = 20;
static int kinds = 4; /* 3 where the loopback cannot be reached */

static void post(int fd)
{
    uint64_t one = 1;
    if (write(fd, &one, sizeof one) != sizeof one)
        exit(1);
}

static void wait_for(int fd)
{
    uint64_t got;
    if (read(fd, &got, sizeof got) != sizeof got)
        exit(1);
}

/* Kind k's descriptors: 0 a pipe, 1 a socket pair, 2 eventfds (e: which
 * of the two), 3 the TCP connection (tcp[0] the main thread's end). The
 * main thread writes its pipe through a duplicate. */
static int reader_end(int (*p)[2], int k, int e)
{
    return k == 3 ? tcp[p == to_worker ? 1 : 0] : k == 2 ? efd[e] : k == 0 ? p[0][0] : p[1][1];
}

static int writer_end(int (*p)[2], int k, int e)
{
    return k == 3 ? tcp[p == to_worker ? 0 : 1] : k == 2 ? efd[e] : k == 0 ? p[0][1] : p[1][0];
}

/* A TCP connection to itself over the loopback: tcp[0] connected, tcp[1]
 * accepted. */
static int connect_tcp(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len))
        return -1;
    if ((tcp[0] = socket(AF_INET, SOCK_STREAM, 0)) < 0 || connect(tcp[0], (struct sockaddr *)&a, sizeof a) ||
        (tcp[1] = accept(l, NULL, NULL)) < 0)
        return -1;
    return close(l);
}

static void *worker(void *arg)
{
    (void)arg;
    for (int r = 0; r < rounds; r++) {
        int k = r % kinds;
        wait_for(reader_end(to_worker, k, 0));
        long sum = 0;
        for (int i = 0; i < 64; i++)
            sum += buffer[i];
        answer = sum;
        post(writer_end(to_main, k, 1));
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        rounds = atoi(argv[1]);
    if (pipe(to_worker[0]) || pipe(to_main[0]) || socketpair(AF_UNIX, SOCK_STREAM, 0, to_worker[1]) ||
        socketpair(AF_UNIX, SOCK_STREAM, 0, to_main[1]) || (efd[0] = eventfd(0, 0)) < 0 || (efd[1] = eventfd(0, 0)) < 0)
        return 1;
    if (connect_tcp())
        kinds = 3;
    int dup_end = dup(to_worker[0][1]);
    if (dup_end < 0)
        return 1;
    close(to_worker[0][1]);
    to_worker[0][1] = dup_end;
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    long total = 0;
    for (int r = 0; r < rounds; r++) {
        int k = r % kinds;
        for (int i = 0; i < 64; i++)
            buffer[i] = r + i;
        post(writer_end(to_worker, k, 0));
        wait_for(reader_end(to_main, k, 1));
        total += answer;
    }
    pthread_join(t, NULL);
    printf("%d rounds through %d kinds of file, total %ld\n", rounds, kinds, total);
    return 0;
}
