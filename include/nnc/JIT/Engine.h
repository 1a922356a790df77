//===- Engine.h - Compiling IR functions in process with ORC ----*- C++ -*-===//
//
// The engine owns one LLJIT. Each compiled expression is one LLVM module in
// a ResourceTracker of its own, removed when the CompiledCall is destroyed:
// code lives exactly as long as a call needs it.
//
// A compiled expression is reached through a trampoline, `void run(void
// *Slots)`, that calls the expression's function with the C ABI of
// docs/abi.md and stores each scalar leaf of its result in an 8-byte slot,
// so one signature serves every result type.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_JIT_ENGINE_H
#define NNC_JIT_ENGINE_H

#include "nnc/CodeGen/CodeGen.h"
#include "nnc/IR/IR.h"
#include "nnc/JIT/Session.h"
#include "nnc/JIT/Value.h"
#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/Support/Error.h"
#include <cstdlib>
#include <memory>
#include <optional>

namespace llvm::orc {
class LLJIT;
} // namespace llvm::orc

namespace nnc::jit {

/// Copies function \p Name of \p M and every function it calls into a new
/// module. The copy of \p Name keeps its linkage; the others are internal.
std::unique_ptr<ir::Module> extractFunction(const ir::Module &M,
                                            llvm::StringRef Name);

/// \p V, a scalar or a tensor, as the session holds it (null for a tuple).
std::optional<StoredTensor> storeValue(std::string Name, const Value &V);
/// The value that \p T holds.
Value loadValue(const StoredTensor &T);

/// The code and options the REPL compiles with: the host, `-O2`, generic
/// CPU, as `nnc` does by default.
CodeGenOptions getReplCodeGenOptions();

/// Lowers \p M to LLVM IR for the host and runs LLVM's -O2 pipeline.
llvm::Expected<std::unique_ptr<llvm::Module>>
emitOptimizedModule(const ir::Module &M, llvm::LLVMContext &Ctx);

/// Assembly for the host of \p M (as `nnc -S`).
llvm::Expected<std::string> emitAssembly(const ir::Module &M);

/// The input's code cannot run: its tensors need more memory than this
/// process may allocate. Reported at the input's place, as a status the
/// code returns is.
class ResourceError : public llvm::ErrorInfo<ResourceError> {
public:
  static char ID;
  explicit ResourceError(std::string Message) : Message(std::move(Message)) {}
  void log(llvm::raw_ostream &OS) const override { OS << Message; }
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }

private:
  std::string Message;
};

/// Compiled code of one expression. A scalar function writes its results
/// into eight-byte slots; a function of the status ABI (tensors) writes
/// them into buffers sized at compile time, with a workspace allocated
/// before the call, so the call itself never allocates and Ctrl-C may jump
/// out of it.
class CompiledCall {
public:
  CompiledCall(llvm::orc::ResourceTrackerSP RT, void (*Entry)(void *),
               ir::Type ResultType, unsigned NumSlots);
  /// A status-ABI call: \p WorkspaceBytes of workspace, one buffer per
  /// result leaf, allocated here; an error when this process may not
  /// allocate them (physical memory, `ulimit -v`) or malloc fails.
  static llvm::Expected<std::unique_ptr<CompiledCall>>
  create(llvm::orc::ResourceTrackerSP RT, void (*Entry)(void *),
         ir::Type ResultType, int64_t WorkspaceBytes, uint64_t MemoryLimit);
  ~CompiledCall();
  CompiledCall(const CompiledCall &) = delete;
  CompiledCall &operator=(const CompiledCall &) = delete;

  /// The compiled function's parameters (the REPL's wrapper takes the
  /// session's values and instance parameters).
  unsigned getNumArgs() const { return ArgTypes.size(); }
  const ir::Type &getArgType(unsigned I) const { return ArgTypes[I]; }
  /// Argument \p I of the next calls: \p Data holds its elements, in the
  /// layout of docs/abi.md (row-major, a bool one byte), and must outlive
  /// the calls. The code only reads it.
  void setArg(unsigned I, const void *Data) {
    Slots[ArgBase + I] = reinterpret_cast<uintptr_t>(Data);
  }

  /// Calls the code only: no allocation, so Ctrl-C may jump out of it.
  void call() { Entry(Slots.data()); }
  /// The result of the last call, or the run-time error it reported.
  llvm::Expected<Value> result() const;

private:
  friend class Engine;
  llvm::orc::ResourceTrackerSP RT;
  void (*Entry)(void *);
  ir::Type ResultType;
  std::vector<ir::Type> ArgTypes;
  /// Slot of argument 0's pointer: after the result slots.
  unsigned ArgBase = 0;
  bool Status = false;
  std::vector<uint64_t> Slots;
  struct FreeDeleter {
    void operator()(void *P) const { std::free(P); }
  };
  using HeapBuffer = std::unique_ptr<unsigned char, FreeDeleter>;
  /// Result buffers and the workspace, from malloc: a failed allocation is
  /// an error for the input, never an abort of the session.
  std::vector<HeapBuffer> Buffers;
  HeapBuffer Workspace;
};

class Engine {
public:
  static llvm::Expected<std::unique_ptr<Engine>> create();
  ~Engine();

  /// Compiles function \p Name of \p M (whatever it calls comes along)
  /// into a resource tracker of its own. Its parameters, if any, must have
  /// constant shapes; CompiledCall::setArg gives them before a call.
  llvm::Expected<std::unique_ptr<CompiledCall>> compile(const ir::Module &M,
                                                        llvm::StringRef Name);

  /// At most \p Bytes for one call's workspace, results and values, on
  /// top of what the process may allocate (an embedding's own cap).
  void setMemoryLimit(uint64_t Bytes) { MemoryLimit = Bytes; }

private:
  Engine() = default;
  std::unique_ptr<llvm::orc::LLJIT> J;
  unsigned NextId = 0;
  uint64_t MemoryLimit = UINT64_MAX;
};

} // namespace nnc::jit

#endif // NNC_JIT_ENGINE_H
