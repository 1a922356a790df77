//===- Diagnostics.cpp ----------------------------------------------------===//
#include "nnc/Support/Diagnostics.h"
#include <algorithm>

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

void DiagnosticEngine::print(llvm::SMLoc Loc, llvm::SourceMgr::DiagKind Kind,
                             const std::string &Message,
                             llvm::ArrayRef<llvm::SMRange> Ranges) {
  if (!Loc.isValid()) {
    // No place in the source: `error: message`, as clang says it.
    llvm::SMDiagnostic D("", Kind, Message);
    D.print(nullptr, OS, ShowColors, /*ShowKindLabel=*/true);
    return;
  }
  llvm::SMDiagnostic D = SM.GetMessage(Loc, Kind, Message, Ranges);
  // The echoed line is the user's input: control bytes would reach the
  // terminal (escape sequences), so they print as '?'; a very long line is
  // cut to a window around the column, as the caret needs.
  std::string Line = D.getLineContents().str();
  for (char &C : Line)
    if ((static_cast<unsigned char>(C) < 0x20 && C != '\t') || C == 0x7f)
      C = '?';
  int Col = D.getColumnNo();
  std::vector<std::pair<unsigned, unsigned>> LineRanges(D.getRanges().begin(),
                                                        D.getRanges().end());
  constexpr int Window = 120;
  if (Line.size() > 2 * Window) {
    int Start = std::max(0, Col - Window);
    int End = std::min<int>(Line.size(), Col + Window);
    std::string Cut = (Start > 0 ? "..." : "") +
                      Line.substr(Start, End - Start) +
                      (End < static_cast<int>(Line.size()) ? "..." : "");
    int Shift = (Start > 0 ? 3 : 0) - Start;
    Col += Shift;
    for (auto &R : LineRanges) {
      R.first = std::clamp<int>(R.first + Shift, 0, Cut.size());
      R.second = std::clamp<int>(R.second + Shift, 0, Cut.size());
    }
    Line = std::move(Cut);
  }
  llvm::SMDiagnostic Clean(SM, D.getLoc(), D.getFilename(), D.getLineNo(),
                           Col, D.getKind(), D.getMessage(), Line,
                           LineRanges);
  // The location names the real column, whatever was cut from the line.
  if (ShowColors)
    OS.changeColor(llvm::raw_ostream::SAVEDCOLOR, /*Bold=*/true);
  int LineNo = D.getLineNo();
  if (!LineOffsets.empty()) {
    auto It = LineOffsets.find(SM.FindBufferContainingLoc(Loc));
    if (It != LineOffsets.end())
      LineNo += It->second;
  }
  OS << D.getFilename() << ':' << LineNo << ':' << D.getColumnNo() + 1
     << ": ";
  if (ShowColors)
    OS.resetColor();
  Clean.print(nullptr, OS, ShowColors, /*ShowKindLabel=*/true,
              /*ShowLocation=*/false);
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
  print(Range.Start, Kind, Message, Ranges);
  if (Sev == Severity::Fatal) {
    Saturated = true;
    return;
  }
  if (Kind == llvm::SourceMgr::DK_Error && ErrorLimit &&
      NumErrors >= ErrorLimit) {
    Saturated = true;
    print(llvm::SMLoc(), llvm::SourceMgr::DK_Error,
          getFormat(DiagID::err_too_many_errors), {});
  }
}
