// A C++ program with a data race: two std::threads call a method that
// increments a member with no lock. tcgtrace races names its functions as
// people read them (app::Counter::add(), not _ZN3app7Counter3addEv).
// Built by races_cli.t with the host's g++, when there is one.
#include <cstdio>
#include <thread>

namespace app {
struct Counter {
    long n = 0;
    __attribute__((noinline)) void add() { n++; }
};
} // namespace app

static app::Counter counter;

static void work()
{
    for (int i = 0; i < 1000; i++)
        counter.add();
}

int main()
{
    std::thread a(work), b(work);
    a.join();
    b.join();
    std::printf("counter %ld\n", counter.n);
}
