/* Correct C++20, no race; two parts.
 *
 * A thread pool (std::jthread workers, a condition_variable_any wait with
 * a stop_token) running std::packaged_task jobs whose futures main waits
 * for, beside a std::shared_mutex cache and a std::atomic_ref hand-off.
 * The workers free the tasks' shared states and results, which main
 * allocated; libstdc++'s shared_ptr release loads its use and weak counts
 * as one word, acquire, where lock xadd stored the use count.
 *
 * A channel (mutex, condition variable, queue) of shared_ptr nodes, each
 * with a vector<int> and a weak_ptr to a root, that workers read into a
 * map of strings under a mutex and free, while main makes the next ones
 * at the same places; a thread_local map; a promise and std::async chain.
 *
 * Before the C library's own atomics kept their place in the order of
 * events, such a wide load was compared with the count stored, a freed
 * block's last word was forgotten whole and memcmp's reads past a string
 * into the allocator's chunk header were taken for the program's, 7 runs
 * in 10 gave false reports. */
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
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

struct Node {
    std::string name;
    std::vector<int> vals;
    std::weak_ptr<Node> parent;
};

template <class T> struct Chan {
    std::mutex m;
    std::condition_variable cv;
    std::queue<T> q;
    bool closed = false;
    void put(T v)
    {
        {
            std::lock_guard l(m);
            q.push(std::move(v));
        }
        cv.notify_one();
    }
    void close()
    {
        {
            std::lock_guard l(m);
            closed = true;
        }
        cv.notify_all();
    }
    bool get(T &v)
    {
        std::unique_lock l(m);
        cv.wait(l, [&] { return !q.empty() || closed; });
        if (q.empty())
            return false;
        v = std::move(q.front());
        q.pop();
        return true;
    }
};

thread_local std::map<std::string, int> tally;

static void channel()
{
    Chan<std::shared_ptr<Node>> ch;
    auto root = std::make_shared<Node>();
    root->name = "root";
    std::mutex mm;
    std::map<std::string, size_t> sizes;
    std::vector<std::thread> ts;
    for (int t = 0; t < 3; t++)
        ts.emplace_back([&] {
            std::shared_ptr<Node> n;
            while (ch.get(n)) {
                if (auto p = n->parent.lock())
                    tally[p->name]++;
                tally[n->name]++;
                size_t s = 0;
                for (int v : n->vals)
                    s += (size_t)v;
                std::lock_guard l(mm);
                sizes[n->name] = s;
            }
        });
    for (int i = 0; i < 300; i++) {
        auto n = std::make_shared<Node>();
        n->name = "node" + std::to_string(i % 50);
        n->vals.assign(i % 17 + 1, i);
        n->parent = root;
        ch.put(std::move(n));
    }
    ch.close();
    for (auto &t : ts)
        t.join();
    std::promise<int> p1;
    std::future<int> f1 = p1.get_future();
    auto f2 = std::async(std::launch::async, [&] { return f1.get() * 2; });
    auto f3 = std::async(std::launch::async, [f = std::move(f2)]() mutable { return f.get() + 1; });
    p1.set_value(20);
    std::printf("%zu %d\n", sizes.size(), f3.get());
}

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
    channel();
}
