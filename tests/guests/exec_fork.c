/* fork and execve for execlog: the parent loops, forks a child that loops
 * and then (with argv[2] = "exec") replaces itself with /bin/true, waits
 * for it and loops again. argv[1] is the loop count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile long cells[16];

static void work(long n)
{
    for (long i = 0; i < n; i++)
        cells[i & 15] += i;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    int exec = argc > 2 && strcmp(argv[2], "exec") == 0;
    work(n);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        work(n);
        if (exec) {
            execl("/bin/true", "true", (char *)NULL);
            _exit(3);
        }
        _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
        return 1;
    work(n);
    printf("fork %ld %s\n", n, exec ? "exec" : "exit");
    return 0;
}
