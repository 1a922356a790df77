//===- Communicator.cpp - MPI's world communicator, when nnc has MPI ------===//
#include "Communicator.h"
#include "Model.h"
#include <algorithm>
#include <climits>
#include <cstdlib>
#ifdef NNC_HAVE_MPI
// MPI's C interface only: the deprecated C++ bindings need their library.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

using namespace nnc;
using namespace nnc::train;

#ifndef NNC_HAVE_MPI

llvm::Expected<Communicator *> Communicator::world() {
  return error("--distributed: nnc was built without MPI; install "
               "libopenmpi-dev and rebuild");
}
void Communicator::markSucceeded() {}
void Communicator::sum(void *, size_t, data::DType) {}
void Communicator::broadcast(void *, size_t) {}

#else

static bool Succeeded = false;

/// At exit: MPI_Finalize waits for every process, so a process that stops
/// on an error aborts the job instead (mpirun then ends the others).
static void finishMPI() {
  int Finalized = 0;
  MPI_Finalized(&Finalized);
  if (Finalized)
    return;
  if (Succeeded)
    MPI_Finalize();
  else
    MPI_Abort(MPI_COMM_WORLD, 1);
}

llvm::Expected<Communicator *> Communicator::world() {
  static Communicator *World = nullptr;
  if (World)
    return World;
  int Initialized = 0;
  MPI_Initialized(&Initialized);
  if (!Initialized) {
    // Only the training thread calls MPI; --threads' workers never do.
    int Provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &Provided) !=
        MPI_SUCCESS)
      return error("--distributed: MPI_Init failed");
    std::atexit(finishMPI);
  }
  int Rank = 0, Size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &Rank);
  MPI_Comm_size(MPI_COMM_WORLD, &Size);
  World = new Communicator(Rank, Size);
  return World;
}

void Communicator::markSucceeded() { Succeeded = true; }

void Communicator::sum(void *Buf, size_t Count, data::DType T) {
  MPI_Datatype DT = MPI_FLOAT;
  switch (T) {
  case data::DType::F32:
    DT = MPI_FLOAT;
    break;
  case data::DType::F64:
    DT = MPI_DOUBLE;
    break;
  case data::DType::I32:
    DT = MPI_INT32_T;
    break;
  case data::DType::I64:
    DT = MPI_INT64_T;
    break;
  case data::DType::U8:
    DT = MPI_UINT8_T;
    break;
  }
  // MPI counts are ints: large buffers go in pieces.
  auto *P = static_cast<uint8_t *>(Buf);
  size_t Elt = data::getDTypeSize(T);
  while (Count) {
    size_t N = std::min<size_t>(Count, INT_MAX);
    MPI_Allreduce(MPI_IN_PLACE, P, static_cast<int>(N), DT, MPI_SUM,
                  MPI_COMM_WORLD);
    P += N * Elt;
    Count -= N;
  }
}

void Communicator::broadcast(void *Buf, size_t Bytes) {
  auto *P = static_cast<uint8_t *>(Buf);
  while (Bytes) {
    size_t N = std::min<size_t>(Bytes, INT_MAX);
    MPI_Bcast(P, static_cast<int>(N), MPI_BYTE, 0, MPI_COMM_WORLD);
    P += N;
    Bytes -= N;
  }
}

#endif
