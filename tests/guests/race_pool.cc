/* A C++ thread pool (std::jthread workers, a condition_variable_any wait
 * with a stop_token) running std::packaged_task jobs whose futures main
 * waits for, beside a std::shared_mutex cache and a std::atomic_ref
 * hand-off. Correct C++20, no race. The workers free the tasks' shared
 * states and results, which main allocated; libstdc++'s shared_ptr
 * release loads its use and weak counts as one word, acquire, where lock
 * xadd stored the use count. Before the C library's own atomics kept
 * their place in the order of events, and before such a load was compared
 * with the count stored, 7 runs in 10 gave false reports. */
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

struct Pool {
    std::mutex m;
    std::condition_variable_any cv;
    std::deque<std::function<void()>> q;
    std::vector<std::jthread> ts;
    explicit Pool(int n) {
        for (int i = 0; i < n; i++)
            ts.emplace_back([this](std::stop_token st) {
                for (;;) {
                    std::function<void()> f;
                    {
                        std::unique_lock l(m);
                        if (!cv.wait(l, st, [&] { return !q.empty(); }))
                            return;
                        f = std::move(q.front());
                        q.pop_front();
                    }
                    f();
                }
            });
    }
    template <class F> auto submit(F f) {
        auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
        auto fut = task->get_future();
        { std::lock_guard l(m); q.emplace_back([task] { (*task)(); }); }
        cv.notify_one();
        return fut;
    }
};

struct Cache {
    std::shared_mutex m;
    std::unordered_map<int, std::string> map;
    std::string get(int k) {
        { std::shared_lock l(m); auto it = map.find(k); if (it != map.end()) return it->second; }
        std::unique_lock l(m);
        return map.try_emplace(k, std::to_string(k * k)).first->second;
    }
};

int main()
{
    Cache c;
    std::atomic<long> hits{0};
    long counts[4] = {0, 0, 0, 0};
    {
        Pool p(3);
        std::vector<std::future<size_t>> fs;
        for (int i = 0; i < 200; i++)
            fs.push_back(p.submit([&, i] { hits.fetch_add(1, std::memory_order_relaxed); return c.get(i % 37).size(); }));
        size_t total = 0;
        for (auto &f : fs) total += f.get();
        auto r = p.submit([&] { long s = 0; for (int k = 0; k < 4; k++) s += counts[k]; return (size_t)s; });
        total += r.get();
        std::printf("%zu %ld\n", total, hits.load());
    }
    int x = 0;
    std::atomic_ref<int> rx(x);
    std::thread t([&] { rx.store(5, std::memory_order_release); });
    while (rx.load(std::memory_order_acquire) != 5) {}
    t.join();
    std::printf("%d\n", x);
}
