#include "threads.h"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace sf {

namespace {

std::mutex mu;                  // guards every field below
std::condition_variable wakeWorker, wakeCaller;
std::thread* worker = nullptr;
PairTask task = nullptr;
void* taskCtx = nullptr;
std::uint64_t posted = 0, finished = 0;  // task generations
bool stopping = false;
std::mutex busy;  // one parallel region at a time (worker_threads may share the addon)

void workerLoop() {
  std::unique_lock<std::mutex> lk(mu);
  std::uint64_t seen = finished;
  for (;;) {
    wakeWorker.wait(lk, [&] { return stopping || posted != seen; });
    if (stopping) return;
    seen = posted;
    PairTask t = task;
    void* c = taskCtx;
    lk.unlock();
    t(c, 1);
    lk.lock();
    finished = seen;
    wakeCaller.notify_one();
  }
}

}  // namespace

bool runPair(PairTask t, void* ctx) {
  if (!busy.try_lock()) return false;
  {
    std::lock_guard<std::mutex> lk(mu);
    if (!worker) worker = new std::thread(workerLoop);
    task = t;
    taskCtx = ctx;
    ++posted;
  }
  wakeWorker.notify_one();
  t(ctx, 0);
  {
    std::unique_lock<std::mutex> lk(mu);
    wakeCaller.wait(lk, [] { return finished == posted; });
  }
  busy.unlock();
  return true;
}

void stopPool() {
  std::lock_guard<std::mutex> guard(busy);
  std::thread* w = nullptr;
  {
    std::lock_guard<std::mutex> lk(mu);
    w = worker;
    worker = nullptr;
    stopping = w != nullptr;
  }
  if (!w) return;
  wakeWorker.notify_all();
  w->join();
  delete w;
  std::lock_guard<std::mutex> lk(mu);
  stopping = false;
}

}  // namespace sf
