//===- Communicator.h - The processes of a data-parallel run ----*- C++ -*-===//
//
// Private to lib/Train: the few collective operations data-parallel training
// needs, over MPI's world communicator (Communicator.cpp). It is the one
// file that includes <mpi.h>; without MPI at configure time it is built
// without it and world() says so.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_TRAIN_COMMUNICATOR_H
#define NNC_LIB_TRAIN_COMMUNICATOR_H

#include "nnc/Data/Array.h"
#include "llvm/Support/Error.h"
#include <cstddef>
#include <cstdint>

namespace nnc::train {

class Communicator {
public:
  /// Initializes MPI once per process (a second call returns the same
  /// communicator). At exit the process finalizes MPI after
  /// markSucceeded(), and otherwise aborts the whole job, so that an
  /// error on one process does not leave the others waiting for it.
  static llvm::Expected<Communicator *> world();
  /// Called when the run ended as it should (also after Ctrl-C).
  static void markSucceeded();

  unsigned getRank() const { return Rank; }
  unsigned getSize() const { return Size; }
  bool isRoot() const { return Rank == 0; }

  /// Sums \p Count values of type \p T over every process, in place.
  void sum(void *Buf, size_t Count, data::DType T);
  /// Overwrites \p Bytes bytes at \p Buf with process 0's.
  void broadcast(void *Buf, size_t Bytes);

private:
  Communicator(unsigned Rank, unsigned Size) : Rank(Rank), Size(Size) {}
  unsigned Rank, Size;
};

} // namespace nnc::train

#endif // NNC_LIB_TRAIN_COMMUNICATOR_H
