//===- LineEditor.cpp - libedit behind nnc-repl ---------------------------===//
#include "LineEditor.h"
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <cwchar>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>
#include <histedit.h>

using namespace nnc::repl;

struct LineEditor::Impl {
  EditLine *EL = nullptr;
  History *Hist = nullptr;
  HistEvent Event;
  std::string HistoryFile;
  std::string Prompt;
  Completer Complete;
  bool (*Interrupted)() = nullptr;
  std::mbstate_t Shift{};
};

/// libedit's character reader, as its own but for Ctrl-C: a SIGINT that
/// interrupts a write (a redraw after Tab's list) would leave the line
/// as it was, and the next keys would be appended to it. Here every wait
/// for a key first looks at the handler's flag.
///
/// The look and the wait must be one step: a Ctrl-C that lands after the
/// look but before a plain read() would be handled while nothing waits,
/// and read() would then block until the next key, which the dropped line
/// would swallow (a race seen on a loaded machine). So SIGINT stays
/// blocked from the look until ppoll(), which unblocks it atomically.
static int readChar(EditLine *EL, wchar_t *Out) {
  void *Data = nullptr;
  el_get(EL, EL_CLIENTDATA, &Data);
  auto *P = static_cast<LineEditor::Impl *>(Data);
  sigset_t Int, Old;
  sigemptyset(&Int);
  sigaddset(&Int, SIGINT);
  for (;;) {
    pthread_sigmask(SIG_BLOCK, &Int, &Old);
    if (P->Interrupted && P->Interrupted()) {
      pthread_sigmask(SIG_SETMASK, &Old, nullptr);
      errno = EINTR;
      return -1;
    }
    pollfd In = {STDIN_FILENO, POLLIN, 0};
    int Ready = ::ppoll(&In, 1, nullptr, &Old);
    int PollErrno = errno;
    pthread_sigmask(SIG_SETMASK, &Old, nullptr);
    if (Ready < 0) {
      if (PollErrno == EINTR)
        continue; // the flag says whether it was Ctrl-C
      errno = PollErrno;
      return -1;
    }
    // A key, an end of file or a hang-up: read() does not block now.
    char C;
    ssize_t N = ::read(STDIN_FILENO, &C, 1);
    if (N == 0)
      return 0;
    if (N < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      return -1;
    }
    size_t R = std::mbrtowc(Out, &C, 1, &P->Shift);
    if (R == static_cast<size_t>(-2))
      continue; // more bytes of one character
    if (R == static_cast<size_t>(-1)) {
      // Not valid in the locale: pass the byte on as it is.
      P->Shift = std::mbstate_t{};
      *Out = static_cast<unsigned char>(C);
    }
    return 1;
  }
}

static char *promptOf(EditLine *EL) {
  void *Data = nullptr;
  el_get(EL, EL_CLIENTDATA, &Data);
  return const_cast<char *>(static_cast<LineEditor::Impl *>(Data)->Prompt.c_str());
}

static bool isWordChar(char C) {
  return (C >= 'a' && C <= 'z') || (C >= 'A' && C <= 'Z') ||
         (C >= '0' && C <= '9') || C == '_';
}

/// Tab: completes the word before the cursor as far as all candidates
/// agree, and lists them when that adds nothing.
static unsigned char complete(EditLine *EL, int) {
  void *Data = nullptr;
  el_get(EL, EL_CLIENTDATA, &Data);
  auto &P = *static_cast<LineEditor::Impl *>(Data);
  const LineInfo *LI = el_line(EL);
  std::string Before(LI->buffer, LI->cursor);
  size_t Start = Before.size();
  while (Start > 0 && isWordChar(Before[Start - 1]))
    --Start;
  std::string Word = Before.substr(Start);
  size_t First = Before.find_first_not_of(" \t");
  bool IsCommand = First != std::string::npos && Before[First] == ':' &&
                   Start == First + 1;
  std::vector<std::string> Matches;
  for (const std::string &C : P.Complete(IsCommand))
    if (C.compare(0, Word.size(), Word) == 0)
      Matches.push_back(C);
  std::sort(Matches.begin(), Matches.end());
  Matches.erase(std::unique(Matches.begin(), Matches.end()), Matches.end());
  if (Matches.empty())
    return CC_ERROR;
  std::string Common = Matches[0];
  for (const std::string &M : Matches) {
    size_t I = 0;
    while (I < Common.size() && I < M.size() && Common[I] == M[I])
      ++I;
    Common.resize(I);
  }
  if (Matches.size() == 1)
    Common += IsCommand ? " " : "";
  if (Common.size() > Word.size()) {
    std::string Rest = Common.substr(Word.size());
    if (el_insertstr(EL, Rest.c_str()) == -1)
      return CC_ERROR;
    return CC_REFRESH;
  }
  // Nothing to add: show the choices under the line, then redraw it.
  std::fputc('\n', stdout);
  for (const std::string &M : Matches)
    std::fprintf(stdout, "%s%s  ", IsCommand ? ":" : "", M.c_str());
  std::fputc('\n', stdout);
  std::fflush(stdout);
  return CC_REDISPLAY;
}

LineEditor::LineEditor(std::string HistoryFile, Completer Complete,
                       bool (*Interrupted)())
    : P(std::make_unique<Impl>()) {
  P->HistoryFile = std::move(HistoryFile);
  P->Complete = std::move(Complete);
  P->Interrupted = Interrupted;
  P->Hist = history_init();
  history(P->Hist, &P->Event, H_SETSIZE, 1000);
  history(P->Hist, &P->Event, H_SETUNIQUE, 1);
  if (!P->HistoryFile.empty())
    history(P->Hist, &P->Event, H_LOAD, P->HistoryFile.c_str());

  P->EL = el_init("nnc-repl", stdin, stdout, stderr);
  el_set(P->EL, EL_CLIENTDATA, P.get());
  el_set(P->EL, EL_EDITOR, "emacs");
  el_set(P->EL, EL_PROMPT, promptOf);
  el_set(P->EL, EL_HIST, history, P->Hist);
  // Ctrl-C is ours (it cancels the input), so libedit installs no handlers.
  el_set(P->EL, EL_SIGNAL, 0);
  el_wset(P->EL, EL_GETCFN, readChar);
  // The wide form stores the name and help as given; the narrow el_set
  // copies them and el_end never frees the copies (a leak LeakSanitizer
  // reports at every exit).
  el_wset(P->EL, EL_ADDFN, L"nnc-complete", L"complete a name or a command",
          complete);
  el_set(P->EL, EL_BIND, "^I", "nnc-complete", nullptr);
  el_source(P->EL, nullptr); // the user's ~/.editrc, if any
}

LineEditor::~LineEditor() {
  el_end(P->EL);
  history_end(P->Hist);
}

LineEditor::Status LineEditor::readLine(const std::string &Prompt,
                                        std::string &Line) {
  P->Prompt = Prompt;
  int Count = 0;
  errno = 0;
  const char *Text = el_gets(P->EL, &Count);
  if (!Text || Count <= 0) {
    if (errno == EINTR || (P->Interrupted && P->Interrupted())) {
      // The terminal is left mid-line: libedit was interrupted.
      el_reset(P->EL);
      return Status::Interrupted;
    }
    return Status::EndOfFile;
  }
  Line.assign(Text, Count);
  if (!Line.empty() && Line.back() == '\n')
    Line.pop_back();
  return Status::Line;
}

void LineEditor::addHistory(const std::string &Entry) {
  if (Entry.find_first_not_of(" \t\n") == std::string::npos)
    return;
  history(P->Hist, &P->Event, H_ENTER, Entry.c_str());
  if (!P->HistoryFile.empty())
    history(P->Hist, &P->Event, H_SAVE, P->HistoryFile.c_str());
}
