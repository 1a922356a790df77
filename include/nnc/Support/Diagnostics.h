//===- Diagnostics.h - Reporting errors against the source ------*- C++ -*-===//
//
// Every user-facing message goes through DiagnosticEngine, which renders it
// with llvm::SourceMgr as `file:line:col: error: ...`, the source line and a
// caret. Diagnostic kinds are declared once in DiagnosticKinds.def.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_DIAGNOSTICS_H
#define NNC_SUPPORT_DIAGNOSTICS_H

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include <string>

namespace nnc {

enum class DiagID {
#define DIAG(Name, Severity, Format) Name,
#include "nnc/Support/DiagnosticKinds.def"
};

enum class Severity { Note, Warning, Error, Fatal };

class DiagnosticEngine {
public:
  explicit DiagnosticEngine(llvm::SourceMgr &SM,
                            llvm::raw_ostream &OS = llvm::errs());

  /// Reports \p ID at \p Range; the arguments fill the kind's placeholders.
  template <typename... Ts>
  void report(llvm::SMRange Range, DiagID ID, Ts &&...Args) {
    emit(Range, ID,
         llvm::formatv(getFormat(ID), std::forward<Ts>(Args)...).str());
  }
  template <typename... Ts>
  void report(llvm::SMLoc Loc, DiagID ID, Ts &&...Args) {
    report(llvm::SMRange(Loc, Loc), ID, std::forward<Ts>(Args)...);
  }

  unsigned getNumErrors() const { return NumErrors; }
  bool hasErrors() const { return NumErrors != 0; }
  /// True once the error limit was reached: callers stop early.
  bool isSaturated() const { return Saturated; }
  void resetErrors() { NumErrors = 0; Saturated = false; }

  void setErrorLimit(unsigned Limit) { ErrorLimit = Limit; }
  void setShowColors(bool Show) { ShowColors = Show; }
  /// Shows the line numbers of buffer \p BufferID shifted by \p Delta. The
  /// REPL compiles each input in a buffer of its own and reports the line
  /// the input has in the session (its standard input, say).
  void setLineOffset(unsigned BufferID, int Delta) {
    LineOffsets[BufferID] = Delta;
  }
  llvm::SourceMgr &getSourceMgr() { return SM; }

  /// While a Deferral lives, diagnostics are counted as they come but
  /// printed when it ends, in source order: each error with the notes after
  /// it, sorted stably by its place (so several on one line read left to
  /// right, whatever order the checks ran in). Those without a place come
  /// last. Sema defers, since it checks functions on demand and the C ABI's
  /// rules after the bodies.
  class Deferral {
  public:
    explicit Deferral(DiagnosticEngine &D) : D(D) { ++D.DeferDepth; }
    ~Deferral() {
      if (--D.DeferDepth == 0)
        D.flush();
    }
    Deferral(const Deferral &) = delete;
    Deferral &operator=(const Deferral &) = delete;

  private:
    DiagnosticEngine &D;
  };

  /// Identifiers longer than this are cut in messages (the rest becomes
  /// "..."): a 10 000-character name would bury the message.
  static constexpr size_t MaxWordLength = 64;

  static Severity getSeverity(DiagID ID);
  static const char *getFormat(DiagID ID);

private:
  void emit(llvm::SMRange Range, DiagID ID, const std::string &Message);
  void print(llvm::SMLoc Loc, llvm::SourceMgr::DiagKind Kind,
             const std::string &Message, llvm::ArrayRef<llvm::SMRange> Ranges);
  void printNow(llvm::SMLoc Loc, llvm::SourceMgr::DiagKind Kind,
                const std::string &Message,
                llvm::ArrayRef<llvm::SMRange> Ranges);
  void flush();

  struct Pending {
    llvm::SMLoc Loc;
    llvm::SourceMgr::DiagKind Kind;
    std::string Message;
    std::vector<llvm::SMRange> Ranges;
  };
  std::vector<Pending> Deferred;
  unsigned DeferDepth = 0;

  llvm::SourceMgr &SM;
  llvm::raw_ostream &OS;
  unsigned NumErrors = 0;
  unsigned ErrorLimit = 20;
  bool Saturated = false;
  bool ShowColors = false;
  bool LastWasSuppressed = false;
  llvm::DenseMap<unsigned, int> LineOffsets;
};

} // namespace nnc

#endif // NNC_SUPPORT_DIAGNOSTICS_H
