/* QEMU's version and the plugin build it loads: see qemuver.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "qemuver.h"

/* The first line `QEMU --version` prints, in line; 0 or -1. */
static int version_line(const char *qemu, char *line, size_t size)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDERR_FILENO);
        }
        dup2(fds[1], STDOUT_FILENO);
        execl(qemu, qemu, "--version", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n < size - 1 && ((r = read(fds[0], line + n, size - 1 - n)) > 0 || (r < 0 && errno == EINTR)))
        if (r > 0)
            n += (size_t)r;
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    line[n] = '\0';
    line[strcspn(line, "\n")] = '\0';
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 && n ? 0 : -1;
}

const char *qemu_plugin_dir(const char *qemu)
{
    static char dir[PATH_MAX];
    char line[512];
    int major, minor;
    const char *v;
    /* A QEMU that does not say its version (a wrapper, a stand-in) is
     * taken for a current one: QEMU refuses the plugin if it is not. */
    if (version_line(qemu, line, sizeof line) < 0 || !(v = strstr(line, " version ")) ||
        sscanf(v, " version %d.%d", &major, &minor) != 2)
        snprintf(dir, sizeof dir, "%s", plugin_dir());
    else if (major < 9)
        snprintf(dir, sizeof dir, "%s-v1", plugin_dir());
    else if (major > 9 || minor >= 2)
        snprintf(dir, sizeof dir, "%s", plugin_dir());
    else {
        msg_error("QEMU '%s' is version %d.%d: tcgtrace's plugins are built for QEMU 8.2 or "
                  "older and 9.2 or newer (plugin API v1 and v4)", qemu, major, minor);
        return NULL;
    }
    return dir;
}

int qemu_find_on_path(const char *arch, char *out, size_t size)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        return -1;
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len && snprintf(out, size, "%.*s/qemu-%s", (int)len, p, arch) < (int)size &&
            access(out, X_OK) == 0)
            return 0;
        if (!end)
            return -1;
        p = end;
    }
}
