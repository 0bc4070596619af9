/* Three threads update one counter under a rwlock's write lock and
 * another under a semaphore used as a lock: no race. On riscv64, Debian
 * 12's glibc posts the semaphore and unlocks the rwlock with an lr/sc
 * compare-and-swap that GCC 12 compiled without its release bit: the
 * detector gives the C library's lr/sc the order it meant
 * (docs/races.md). */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static long under_rwlock, under_sem;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t sem;

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 500; i++) {
        pthread_rwlock_wrlock(&rw);
        under_rwlock++;
        pthread_rwlock_unlock(&rw);
        sem_wait(&sem);
        under_sem++;
        sem_post(&sem);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[3];
    sem_init(&sem, 0, 1);
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("%ld %ld\n", under_rwlock, under_sem);
    return 0;
}
