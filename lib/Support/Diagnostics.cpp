//===- Diagnostics.cpp ----------------------------------------------------===//
#include "nnc/Support/Diagnostics.h"

using namespace nnc;

DiagnosticEngine::DiagnosticEngine(llvm::SourceMgr &SM, llvm::raw_ostream &OS)
    : SM(SM), OS(OS) {}

Severity DiagnosticEngine::getSeverity(DiagID ID) {
  switch (ID) {
#define DIAG(Name, Sev, Format)                                                \
  case DiagID::Name:                                                           \
    return Severity::Sev;
#include "nnc/Support/DiagnosticKinds.def"
  }
  return Severity::Error;
}

const char *DiagnosticEngine::getFormat(DiagID ID) {
  switch (ID) {
#define DIAG(Name, Sev, Format)                                                \
  case DiagID::Name:                                                           \
    return Format;
#include "nnc/Support/DiagnosticKinds.def"
  }
  return "";
}

void DiagnosticEngine::emit(llvm::SMRange Range, DiagID ID,
                            const std::string &Message) {
  Severity Sev = getSeverity(ID);
  // Notes belong to the diagnostic before them: drop them with it.
  if (Sev == Severity::Note && LastWasSuppressed)
    return;
  LastWasSuppressed = false;
  if (Saturated) {
    LastWasSuppressed = true;
    return;
  }
  llvm::SourceMgr::DiagKind Kind = llvm::SourceMgr::DK_Error;
  switch (Sev) {
  case Severity::Note:
    Kind = llvm::SourceMgr::DK_Note;
    break;
  case Severity::Warning:
    Kind = llvm::SourceMgr::DK_Warning;
    break;
  case Severity::Error:
  case Severity::Fatal:
    Kind = llvm::SourceMgr::DK_Error;
    ++NumErrors;
    break;
  }
  llvm::ArrayRef<llvm::SMRange> Ranges;
  if (Range.isValid() && Range.Start != Range.End)
    Ranges = llvm::ArrayRef<llvm::SMRange>(Range);
  if (Range.Start.isValid())
    SM.PrintMessage(OS, Range.Start, Kind, Message, Ranges, {}, ShowColors);
  else
    SM.PrintMessage(OS, llvm::SMLoc(), Kind, Message, {}, {}, ShowColors);
  if (Sev == Severity::Fatal) {
    Saturated = true;
    return;
  }
  if (Kind == llvm::SourceMgr::DK_Error && ErrorLimit &&
      NumErrors >= ErrorLimit) {
    Saturated = true;
    SM.PrintMessage(OS, llvm::SMLoc(), llvm::SourceMgr::DK_Error,
                    getFormat(DiagID::err_too_many_errors), {}, {},
                    ShowColors);
  }
}
