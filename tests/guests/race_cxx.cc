// A C++ program with a data race: two std::threads call a method that
// increments a member with no lock. tcgtrace races names its functions as
// people read them (app::Counter::add(), not _ZN3app7Counter3addEv).
// Beside it, what is no race: a function-local static both threads use
// (its guard byte, set by one thread, is found set with a plain load by
// the other), and a std::atomic progress counter stored and loaded
// relaxed (plain movs: only its declaration says it is atomic), a stop
// flag in a heap object (a std::atomic<bool> member stored with release
// and polled with acquire between long runs of work: plain movs on x86_64
// again, with no declaration at a fixed address; only the line table,
// which puts them in libstdc++'s atomic_base.h, says so), and both
// threads printing with std::cout (libstdc++ resets the stream's width
// with no lock: the standard promises no data race there).
// Built by races_cli.t with the host's g++, when there is one.
#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

namespace app {
struct Counter {
    long n = 0;
    __attribute__((noinline)) void add() { n++; }
};
struct Config {
    int a = 6, b = 7;
};
} // namespace app

struct Job {
    std::atomic<bool> stop{ false };
    long scratch[64] = {};
    long rounds = 0;
};

static void poll(Job *job)
{
    while (!job->stop.load(std::memory_order_acquire)) {
        for (int i = 0; i < 64; i++)
            job->scratch[i] += i;
        job->rounds++;
    }
}

static app::Counter counter;
static std::atomic<long> progress;

static const app::Config &config()
{
    static app::Config c;
    return c;
}

static void work()
{
    long sum = 0;
    for (int i = 0; i < 1000; i++) {
        counter.add();
        sum += config().a;
        progress.store(i, std::memory_order_relaxed);
    }
    std::cout << "sum " << sum << '\n';
}

int main()
{
    Job *job = new Job;
    std::thread p(poll, job);
    std::thread a(work), b(work);
    long seen = progress.load(std::memory_order_relaxed);
    a.join();
    b.join();
    job->stop.store(true, std::memory_order_release);
    p.join();
    std::printf("counter %ld%s\n", counter.n, seen >= 0 && job->rounds >= 0 ? "" : "?");
    delete job;
}
