// C++20's synchronisation, each used correctly: std::shared_mutex (a writer
// and readers of a std::map), std::call_once, std::latch and std::barrier,
// std::counting_semaphore handing off array slots, std::promise and
// std::async, a std::condition_variable queue of std::shared_ptrs, and a
// std::jthread stopped through its std::stop_token. No race: races_cli.t
// builds it with the host's g++ at -O0 and -O2 and expects silence.
#include <atomic>
#include <barrier>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <latch>
#include <mutex>
#include <semaphore>
#include <shared_mutex>
#include <thread>
#include <vector>
#include <map>
#include <string>
#include <memory>

static std::shared_mutex rw;
static std::map<int, std::string> table;
static std::once_flag once;
static std::vector<int> *lazy;
static long stage[4];

int main()
{
    // shared_mutex: one writer, readers
    {
        std::vector<std::thread> ts;
        for (int t = 0; t < 3; t++)
            ts.emplace_back([t] {
                for (int i = 0; i < 200; i++) {
                    if (t == 0) {
                        std::unique_lock l(rw);
                        table[i % 17] = std::to_string(i);
                    } else {
                        std::shared_lock l(rw);
                        auto it = table.find(i % 17);
                        if (it != table.end() && it->second.size() > 100)
                            std::puts("?");
                    }
                }
            });
        for (auto &t : ts)
            t.join();
    }
    // call_once
    {
        std::vector<std::thread> ts;
        for (int t = 0; t < 3; t++)
            ts.emplace_back([] {
                std::call_once(once, [] { lazy = new std::vector<int>(100, 7); });
                long s = 0;
                for (int v : *lazy)
                    s += v;
                if (s != 700)
                    std::puts("bad");
            });
        for (auto &t : ts)
            t.join();
    }
    // latch and barrier
    {
        std::latch ready(3);
        std::barrier sync(3);
        std::vector<std::thread> ts;
        for (int t = 0; t < 3; t++)
            ts.emplace_back([&, t] {
                stage[t] = t + 1;
                ready.count_down();
                ready.wait();
                long s = stage[0] + stage[1] + stage[2];
                sync.arrive_and_wait();
                stage[t] = s;
                sync.arrive_and_wait();
                if (stage[(t + 1) % 3] != 6)
                    std::puts("bad2");
            });
        for (auto &t : ts)
            t.join();
    }
    // counting_semaphore hand-off
    {
        std::counting_semaphore<8> items(0);
        int buf[64];
        std::thread prod([&] {
            for (int i = 0; i < 64; i++) {
                buf[i] = i * 3;
                items.release();
            }
        });
        long s = 0;
        for (int i = 0; i < 64; i++) {
            items.acquire();
            s += buf[i];
        }
        prod.join();
        if (s != 3 * 63 * 64 / 2)
            std::puts("bad3");
    }
    // futures, promise, async
    {
        std::promise<std::vector<int>> p;
        auto f = p.get_future();
        std::thread t([&p] { p.set_value(std::vector<int>(50, 2)); });
        auto v = f.get();
        t.join();
        auto a = std::async(std::launch::async, [&v] { long s = 0; for (int x : v) s += x; return s; });
        if (a.get() != 100)
            std::puts("bad4");
    }
    // condition_variable queue with shared_ptr
    {
        std::mutex m;
        std::condition_variable cv;
        std::vector<std::shared_ptr<std::string>> q;
        bool done = false;
        std::thread cons([&] {
            size_t got = 0;
            for (;;) {
                std::unique_lock l(m);
                cv.wait(l, [&] { return !q.empty() || done; });
                if (q.empty())
                    break;
                auto s = q.back();
                q.pop_back();
                l.unlock();
                got += s->size();
            }
            if (got == 0)
                std::puts("bad5");
        });
        for (int i = 0; i < 100; i++) {
            auto s = std::make_shared<std::string>(std::to_string(i));
            {
                std::lock_guard l(m);
                q.push_back(s);
            }
            cv.notify_one();
        }
        {
            std::lock_guard l(m);
            done = true;
        }
        cv.notify_one();
        cons.join();
    }
    // jthread with stop_token
    {
        std::atomic<long> ticks{0};
        std::jthread jt([&ticks](std::stop_token st) {
            while (!st.stop_requested())
                ticks.fetch_add(1, std::memory_order_relaxed);
        });
        while (ticks.load() < 100)
            std::this_thread::yield();
        jt.request_stop();
    }
    std::puts("ok");
    delete lazy;
    return 0;
}
