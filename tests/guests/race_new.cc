// Two std::threads increment a counter in a block main allocated with new,
// with no lock: racy. Built with g++ -O2 by races_cli.t: main goes to
// .text.startup, before crt1.o's _start, which has no line table, and its
// line table's last rows are std::thread's, inlined. The block's
// allocation stack ends at main, as ThreadSanitizer's does; until the line
// lookup checked the unit's ranges, libdw gave _start main's last line
// (std_thread.h:142), and the stack went on through the C library to it.
#include <thread>

struct Box {
    long n = 0;
};

int main()
{
    Box *b = new Box;
    std::thread t1([b] {
        for (int i = 0; i < 1000; i++)
            b->n++;
    });
    std::thread t2([b] {
        for (int i = 0; i < 1000; i++)
            b->n++;
    });
    t1.join();
    t2.join();
    delete b;
    return 0;
}
