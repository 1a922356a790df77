//===- DataTool.cpp - lib/Data on the command line, for the lit tests -----===//
//
// A test tool, not installed: lets lit tests cross-check lib/Data's readers
// and writer against files NumPy writes and reads.
//
//   nnc-data-tool write-demo OUT    writes a fixed checkpoint (see below)
//   nnc-data-tool st FILE           prints a safetensors file's tensors
//   nnc-data-tool npy X.npy Y.npy   prints the dataset read from a pair
//   nnc-data-tool csv FILE LABEL    prints the dataset read from a CSV file
//   nnc-data-tool idx IMAGES LABELS prints the dataset read from IDX files
//
// Floats print with %.9g (f32) or %.17g (f64), enough to round-trip, so a
// test can compare them as text. Errors print as `error: MESSAGE`, exit 1.
//
//===----------------------------------------------------------------------===//
#include "nnc/Data/Dataset.h"
#include "nnc/Data/Safetensors.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"
#include <cstring>

using namespace nnc::data;

static int fail(llvm::Error E) {
  llvm::errs() << "error: " << llvm::toString(std::move(E)) << "\n";
  return 1;
}

static void printElement(const Array &A, int64_t I) {
  const uint8_t *P = A.Bytes.data() + I * getDTypeSize(A.Type);
  switch (A.Type) {
  case DType::F32: {
    float V;
    std::memcpy(&V, P, 4);
    llvm::outs() << llvm::format("%.9g", double(V));
    return;
  }
  case DType::F64: {
    double V;
    std::memcpy(&V, P, 8);
    llvm::outs() << llvm::format("%.17g", V);
    return;
  }
  case DType::I32: {
    int32_t V;
    std::memcpy(&V, P, 4);
    llvm::outs() << V;
    return;
  }
  case DType::I64: {
    int64_t V;
    std::memcpy(&V, P, 8);
    llvm::outs() << V;
    return;
  }
  case DType::U8:
    llvm::outs() << unsigned(*P);
    return;
  }
}

static int printDataset(llvm::Expected<Dataset> D) {
  if (!D)
    return fail(D.takeError());
  llvm::outs() << "count " << D->Count << "\nsample "
               << formatShape(D->SampleShape) << "\nclasses "
               << D->getNumClasses() << "\nX";
  for (float V : D->X)
    llvm::outs() << ' ' << llvm::format("%.9g", double(V));
  llvm::outs() << "\nY";
  for (int32_t L : D->Y)
    llvm::outs() << ' ' << L;
  llvm::outs() << "\n";
  return 0;
}

/// The checkpoint test/Data/Inputs/check_safetensors.py expects.
static int writeDemo(llvm::StringRef Path) {
  static const float W[] = {0.5f, -1.25f, 3.0f, 1e-7f, -0.0f, 7.0f};
  static const double B[] = {1.0 / 3.0, -2.5e300, 0.1};
  static const int32_t Step[] = {-7};
  static const int64_t Idx[] = {int64_t(1) << 40, -1, 0};
  static const float Odd[] = {1.5f, 2.5f, 3.5f};
  static const int64_t WShape[] = {2, 3}, BShape[] = {3}, IdxShape[] = {3, 1},
                       OddShape[] = {3};
  std::vector<TensorRef> Tensors = {{"fc1.W", DType::F32, WShape, W},
                                    {"fc1.b", DType::F64, BShape, B},
                                    {"step", DType::I32, {}, Step},
                                    {"idx", DType::I64, IdxShape, Idx},
                                    {"a.odd", DType::F32, OddShape, Odd}};
  if (llvm::Error E = writeSafetensors(
          Path, Tensors, {{"format", "pt"}, {"producer", "nnc"}}))
    return fail(std::move(E));
  return 0;
}

int main(int Argc, char **Argv) {
  llvm::StringRef Cmd = Argc > 1 ? Argv[1] : "";
  if (Cmd == "write-demo" && Argc == 3)
    return writeDemo(Argv[2]);
  if (Cmd == "st" && Argc == 3) {
    llvm::Expected<Checkpoint> C = readSafetensors(Argv[2]);
    if (!C)
      return fail(C.takeError());
    for (const auto &[K, V] : C->Metadata)
      llvm::outs() << "meta " << K << " = " << V << "\n";
    for (const NamedTensor &T : C->Tensors) {
      llvm::outs() << T.Name << ' ' << getDTypeName(T.Value.Type) << ' '
                   << formatShape(T.Value.Shape) << ':';
      for (int64_t I = 0, E = T.Value.getNumElements(); I < E; ++I) {
        llvm::outs() << ' ';
        printElement(T.Value, I);
      }
      llvm::outs() << "\n";
    }
    return 0;
  }
  if (Cmd == "npy" && Argc == 4)
    return printDataset(readNpyDataset(Argv[2], Argv[3]));
  if (Cmd == "csv" && Argc == 4)
    return printDataset(readCsv(Argv[2], Argv[3]));
  if (Cmd == "idx" && Argc == 4)
    return printDataset(readIdxDataset(Argv[2], Argv[3]));
  llvm::errs() << "usage: nnc-data-tool write-demo OUT | st FILE | npy X Y | "
                  "csv FILE LABEL | idx IMAGES LABELS\n";
  return 2;
}
