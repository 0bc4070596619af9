/* Where tcgtrace finds QEMU and its own plugins at run time. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

const char *qemu_dir(void)
{
    static char dir[PATH_MAX];
    const char *env = getenv("TCGTRACE_QEMU_DIR");
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s", env);
    } else {
        const char *cache = getenv("XDG_CACHE_HOME");
        if (cache && *cache)
            snprintf(dir, sizeof dir, "%s/tcgtrace/qemu-10.0", cache);
        else
            snprintf(dir, sizeof dir, "%s/.cache/tcgtrace/qemu-10.0", getenv("HOME") ? getenv("HOME") : "");
    }
    return dir;
}

const char *qemu_version(void)
{
    static char line[256];
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/VERSION", qemu_dir());
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *ok = fgets(line, sizeof line, f);
    fclose(f);
    if (!ok)
        return NULL;
    line[strcspn(line, "\n")] = '\0';
    return line;
}

const char *plugin_dir(void)
{
    static char dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 16);
    if (n <= 0)
        return "plugins";
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    strcpy(slash ? slash + 1 : dir, "plugins");
    return dir;
}
