// A one-worker pool: the calling thread runs part 0 of a task while a single
// persistent worker runs part 1. Both sides wait on condition variables (the
// worker sleeps between tasks and never spins), so an idle pool costs nothing.
#pragma once

namespace sf {

using PairTask = void (*)(void* ctx, int part);

// Runs task(ctx, 0) here and task(ctx, 1) on the worker; returns once both
// have finished. Returns false without running anything when another thread
// is using the pool (the caller then runs the work serially).
bool runPair(PairTask task, void* ctx);

// Stops and joins the worker (started again on the next runPair).
void stopPool();

}  // namespace sf
