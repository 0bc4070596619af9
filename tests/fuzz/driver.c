/* A main() for the fuzz targets when they are built without libFuzzer
 * (gcc, sanitizer builds, make check): runs each file named, or each file
 * of each directory named, through LLVMFuzzerTestOneInput once. Replays a
 * corpus or the regression inputs of tests/corrupt/. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0, k;
    do {
        if (n == cap) {
            cap = cap ? 2 * cap : 65536;
            uint8_t *b = realloc(buf, cap);
            if (!b)
                abort();
            buf = b;
        }
        k = fread(buf + n, 1, cap - n, f);
        n += k;
    } while (k > 0);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        perror(path);
        free(buf);
        return 1;
    }
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int status = 0, files = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            status = 1;
        } else if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            for (struct dirent *e; d && (e = readdir(d));) {
                if (e->d_name[0] == '.')
                    continue;
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
                status |= run_file(path);
                files++;
            }
            if (d)
                closedir(d);
        } else {
            status |= run_file(argv[i]);
            files++;
        }
    }
    fprintf(stderr, "%s: %d inputs\n", argv[0], files);
    return status;
}
