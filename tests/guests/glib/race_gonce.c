/* GLib's g_once in a thread pool (x86_64 only, built by races_cli.t: no
 * cross-compiled GLib). The first job to run builds a table through
 * g_once; the others find it built through g_once's inline fast path, an
 * acquire load of the GOnce's status, which g_once_impl's release store
 * set: plain `mov`s on x86_64, and GOnce's fields are volatile, not
 * _Atomic. Each job then updates the table under a mutex. No race. */
#include <glib.h>
#include <stdio.h>

static GMutex lock;
static GHashTable *table;

static gpointer build(gpointer arg)
{
    (void)arg;
    table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return table;
}

static void job(gpointer data, gpointer user)
{
    static GOnce once = G_ONCE_INIT;
    (void)user;
    g_once(&once, build, NULL);
    char *key = g_strdup_printf("k%d", GPOINTER_TO_INT(data) % 13);
    g_mutex_lock(&lock);
    gpointer old = g_hash_table_lookup(table, key);
    g_hash_table_insert(table, key, GINT_TO_POINTER(GPOINTER_TO_INT(old) + 1));
    g_mutex_unlock(&lock);
}

int main(void)
{
    GThreadPool *pool = g_thread_pool_new(job, NULL, 3, FALSE, NULL);
    for (int i = 0; i < 200; i++)
        g_thread_pool_push(pool, GINT_TO_POINTER(i + 1), NULL);
    g_thread_pool_free(pool, FALSE, TRUE);
    printf("%u keys\n", g_hash_table_size(table));
    return 0;
}
