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

/// \p Message with every run of identifier characters longer than
/// MaxWordLength cut to that length and "...".
static std::string cutLongWords(const std::string &Message) {
  auto IsWord = [](char C) {
    return (C >= 'a' && C <= 'z') || (C >= 'A' && C <= 'Z') ||
           (C >= '0' && C <= '9') || C == '_' ||
           static_cast<unsigned char>(C) >= 0x80;
  };
  std::string Out;
  size_t I = 0;
  while (I < Message.size()) {
    size_t J = I;
    while (J < Message.size() && IsWord(Message[J]))
      ++J;
    if (J == I) {
      Out += Message[I++];
      continue;
    }
    size_t Len = J - I;
    if (Len > DiagnosticEngine::MaxWordLength) {
      size_t Keep = DiagnosticEngine::MaxWordLength;
      // Never split a UTF-8 sequence: back up to a lead byte.
      while (Keep > 0 && (static_cast<unsigned char>(Message[I + Keep]) & 0xC0) == 0x80)
        --Keep;
      Out.append(Message, I, Keep);
      Out += "...";
    } else {
      Out.append(Message, I, Len);
    }
    I = J;
  }
  return Out;
}

void DiagnosticEngine::print(llvm::SMLoc Loc, llvm::SourceMgr::DiagKind Kind,
                             const std::string &Message,
                             llvm::ArrayRef<llvm::SMRange> Ranges) {
  if (DeferDepth) {
    Deferred.push_back({Loc, Kind, Message, Ranges.vec()});
    return;
  }
  printNow(Loc, Kind, Message, Ranges);
}

void DiagnosticEngine::flush() {
  // Groups: a diagnostic that is not a note, with the notes after it.
  std::vector<std::pair<size_t, size_t>> Groups;
  for (size_t I = 0; I < Deferred.size(); ++I)
    if (Deferred[I].Kind != llvm::SourceMgr::DK_Note || Groups.empty())
      Groups.push_back({I, I + 1});
    else
      Groups.back().second = I + 1;
  auto Key = [&](const std::pair<size_t, size_t> &G) {
    llvm::SMLoc L = Deferred[G.first].Loc;
    if (!L.isValid())
      return std::make_pair(~0u, static_cast<const char *>(nullptr));
    return std::make_pair(SM.FindBufferContainingLoc(L), L.getPointer());
  };
  std::stable_sort(Groups.begin(), Groups.end(),
                   [&](const auto &A, const auto &B) { return Key(A) < Key(B); });
  std::vector<Pending> All = std::move(Deferred);
  Deferred.clear();
  for (const auto &[Begin, End] : Groups)
    for (size_t I = Begin; I < End; ++I)
      printNow(All[I].Loc, All[I].Kind, All[I].Message, All[I].Ranges);
}

void DiagnosticEngine::printNow(llvm::SMLoc Loc,
                                llvm::SourceMgr::DiagKind Kind,
                                const std::string &RawMessage,
                                llvm::ArrayRef<llvm::SMRange> Ranges) {
  std::string Message = cutLongWords(RawMessage);
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
