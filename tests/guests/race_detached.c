/* Waves of detached threads: each fills a block of its own, then counts
 * itself done under a mutex and signals main, which starts the next wave
 * once the whole wave is done. glibc hands the stacks of exited detached
 * threads to the next wave's threads: no data race. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done;
static long total;

static void *worker(void *arg)
{
    long me = (long)arg;
    char buf[256];
    memset(buf, (int)me, sizeof buf);
    long sum = 0;
    for (size_t i = 0; i < sizeof buf; i++)
        sum += buf[i];
    pthread_mutex_lock(&m);
    total += sum;
    done++;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(int argc, char **argv)
{
    int waves = argc > 1 ? atoi(argv[1]) : 3, per = 3;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (int w = 0; w < waves; w++) {
        for (long i = 0; i < per; i++) {
            pthread_t t;
            pthread_create(&t, &attr, worker, (void *)(i + 1));
        }
        pthread_mutex_lock(&m);
        while (done < (w + 1) * per)
            pthread_cond_wait(&cv, &m);
        pthread_mutex_unlock(&m);
    }
    pthread_attr_destroy(&attr);
    printf("total %ld (expected %ld)\n", total, 256L * 6 * waves);
    return 0;
}
