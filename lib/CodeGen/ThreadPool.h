//===- ThreadPool.h - Worker threads that generated code keeps -*- C++ -*-===//
//
// A module compiled with `--threads=N` carries its own pool of N - 1 POSIX
// threads, started on first use and kept between calls, so that sharing a
// product costs a store and a wake-up rather than a pthread_create and a
// join (tens of microseconds on a VM). Everything is emitted into the
// module: the generated object still needs only the C library.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_THREADPOOL_H
#define NNC_LIB_CODEGEN_THREADPOOL_H

#include "llvm/IR/Module.h"

namespace nnc::codegen {

/// The module's `void nnc.pool.run(ptr Fn, ptr Args, i64 Stride, i64 Count)`
/// for a pool of \p Threads threads (the caller and Threads - 1 workers),
/// emitted on first use: calls `void Fn(ptr)` on Args + I * Stride for every
/// I in [0, Count), each slice claimed by whichever thread is free first,
/// the caller included, and returns when all are done. A call made while
/// the pool is busy (another thread of the program is inside run) runs
/// every slice on its own thread, so run is safe to call from any thread;
/// so is a call in a child process after fork.
llvm::Function *getPoolRun(llvm::Module &LM, unsigned Threads);

} // namespace nnc::codegen

#endif
