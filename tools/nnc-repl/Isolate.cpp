//===- Isolate.cpp - fork, evaluate, send the outcome back ----------------===//
#include "Isolate.h"
#include "nnc/JIT/Interrupt.h"
#include <pthread.h>
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/thread.h"
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using namespace nnc;
using namespace nnc::repl;


/// Deeply nested input recurses in the front end: give it room, as nnc does.
static constexpr unsigned StackSize = 512u << 20;

jit::Outcome nnc::repl::evaluateInProcess(jit::Repl &R, const jit::Input &In) {
  // Ctrl-C must reach the thread running generated code: this thread
  // blocks SIGINT until the worker is done, the worker (which inherits
  // the mask) unblocks it.
  sigset_t Int, Old;
  sigemptyset(&Int);
  sigaddset(&Int, SIGINT);
  pthread_sigmask(SIG_BLOCK, &Int, &Old);
  jit::Outcome O;
  llvm::thread Worker(std::optional<unsigned>(StackSize), [&] {
    pthread_sigmask(SIG_UNBLOCK, &Int, nullptr);
    O = R.evaluate(In);
    pthread_sigmask(SIG_BLOCK, &Int, nullptr);
  });
  Worker.join();
  pthread_sigmask(SIG_SETMASK, &Old, nullptr);
  return O;
}

//===----------------------------------------------------------------------===//
// The outcome on the wire: flags, then length-prefixed strings.
//===----------------------------------------------------------------------===//

static void putNumber(std::string &Buf, uint64_t N) {
  Buf.append(reinterpret_cast<const char *>(&N), sizeof N);
}
static void putString(std::string &Buf, const std::string &S) {
  putNumber(Buf, S.size());
  Buf += S;
}

static std::string encode(const jit::Outcome &O) {
  std::string Buf;
  putNumber(Buf, O.Ok | O.Reset << 1 | O.Quit << 2 | O.Mode.has_value() << 3);
  if (O.Mode) {
    putNumber(Buf, O.Mode->first);
    putNumber(Buf, static_cast<uint64_t>(O.Mode->second));
  }
  putNumber(Buf, O.Added.size());
  for (const jit::SessionDecl &D : O.Added) {
    putString(Buf, D.Name);
    putString(Buf, D.Text);
    putString(Buf, D.SourceName);
    putNumber(Buf, D.Line);
    // What the session holds besides source: a value, an instance's
    // parameters.
    putNumber(Buf, D.IsValue | (D.Data != nullptr) << 1);
    if (!D.Data)
      continue;
    putNumber(Buf, D.Data->size());
    for (const jit::StoredTensor &T : *D.Data) {
      putString(Buf, T.Name);
      putNumber(Buf, static_cast<uint64_t>(T.Elem));
      putNumber(Buf, T.Shape.size());
      for (int64_t N : T.Shape)
        putNumber(Buf, N);
      putString(Buf, std::string(static_cast<const char *>(T.data()),
                                 T.getByteSize()));
    }
  }
  return Buf;
}

namespace {
struct Reader {
  const std::string &Buf;
  size_t Pos = 0;
  bool Ok = true;
  uint64_t number() {
    uint64_t N = 0;
    if (Buf.size() - Pos < sizeof N) {
      Ok = false;
      return 0;
    }
    std::memcpy(&N, Buf.data() + Pos, sizeof N);
    Pos += sizeof N;
    return N;
  }
  std::string string() {
    uint64_t N = number();
    if (!Ok || Buf.size() - Pos < N) {
      Ok = false;
      return {};
    }
    std::string S = Buf.substr(Pos, N);
    Pos += N;
    return S;
  }
};
} // namespace

static bool decode(const std::string &Buf, jit::Outcome &O) {
  Reader R{Buf};
  uint64_t Flags = R.number();
  O.Ok = Flags & 1;
  O.Reset = Flags & 2;
  O.Quit = Flags & 4;
  if (Flags & 8) {
    bool Training = R.number() != 0;
    O.Mode = {Training, static_cast<int64_t>(R.number())};
  }
  uint64_t N = R.number();
  for (uint64_t I = 0; R.Ok && I < N; ++I) {
    jit::SessionDecl D;
    D.Name = R.string();
    D.Text = R.string();
    D.SourceName = R.string();
    D.Line = R.number();
    uint64_t Kind = R.number();
    D.IsValue = Kind & 1;
    if (Kind & 2) {
      std::vector<jit::StoredTensor> Data;
      uint64_t NumTensors = R.number();
      for (uint64_t K = 0; R.Ok && K < NumTensors; ++K) {
        std::string Name = R.string();
        auto Elem = static_cast<ElementKind>(R.number());
        uint64_t Rank = R.number();
        std::vector<int64_t> Shape;
        for (uint64_t A = 0; R.Ok && A < Rank; ++A)
          Shape.push_back(static_cast<int64_t>(R.number()));
        std::string Bytes = R.string();
        // The sizes must account for the bytes before they size a buffer.
        int64_t Count = 1;
        for (int64_t Size : Shape)
          if (Size < 0 || __builtin_mul_overflow(Count, Size, &Count))
            R.Ok = false;
        if (!R.Ok || uint64_t(Count) * getElementSize(Elem) != Bytes.size()) {
          R.Ok = false;
          break;
        }
        jit::StoredTensor T(std::move(Name), Elem, std::move(Shape));
        std::memcpy(T.data(), Bytes.data(), Bytes.size());
        Data.push_back(std::move(T));
      }
      D.Data =
          std::make_shared<std::vector<jit::StoredTensor>>(std::move(Data));
    }
    O.Added.push_back(std::move(D));
  }
  return R.Ok && R.Pos == Buf.size();
}

static bool writeAll(int FD, const std::string &Buf) {
  size_t Done = 0;
  while (Done < Buf.size()) {
    ssize_t N = ::write(FD, Buf.data() + Done, Buf.size() - Done);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return false;
    Done += N;
  }
  return true;
}

static jit::Outcome failed() {
  jit::Outcome O;
  O.Ok = false;
  return O;
}

jit::Outcome nnc::repl::evaluateIsolated(jit::Repl &R, const jit::Input &In) {
  int Pipe[2];
  if (::pipe(Pipe) != 0) {
    llvm::WithColor::error(llvm::errs(), "nnc-repl")
        << "cannot create a pipe: " << std::strerror(errno) << '\n';
    return failed();
  }
  // Nothing buffered may be written twice, by the parent and the child.
  llvm::outs().flush();
  std::fflush(stdout);
  pid_t Child = ::fork();
  if (Child < 0) {
    llvm::WithColor::error(llvm::errs(), "nnc-repl")
        << "cannot fork: " << std::strerror(errno) << '\n';
    ::close(Pipe[0]);
    ::close(Pipe[1]);
    return failed();
  }
  if (Child == 0) {
    // Ctrl-C reaches the whole process group: the child just dies.
    std::signal(SIGINT, SIG_DFL);
    ::close(Pipe[0]);
    jit::Outcome O = evaluateInProcess(R, In);
    llvm::outs().flush();
    llvm::errs().flush();
    bool Sent = writeAll(Pipe[1], encode(O));
    // No exit handlers or static destructors: they belong to the parent.
    ::_exit(Sent ? 0 : 3);
  }
  ::close(Pipe[1]);
  std::string Buf;
  char Chunk[4096];
  bool Killed = false;
  for (;;) {
    ssize_t N = ::read(Pipe[0], Chunk, sizeof Chunk);
    if (N > 0) {
      Buf.append(Chunk, N);
      continue;
    }
    if (N < 0 && errno == EINTR) {
      if (jit::wasInterrupted() && !Killed) {
        ::kill(Child, SIGKILL);
        Killed = true;
      }
      continue;
    }
    break;
  }
  ::close(Pipe[0]);
  int Status = 0;
  while (::waitpid(Child, &Status, 0) < 0 && errno == EINTR) {
  }
  llvm::outs().flush();
  if (WIFSIGNALED(Status)) {
    int Sig = WTERMSIG(Status);
    if (Killed || Sig == SIGINT) {
      llvm::errs() << "interrupted\n";
    } else {
      const char *Name = strsignal(Sig);
      llvm::WithColor::error(llvm::errs(), "nnc-repl")
          << "the evaluation crashed (" << (Name ? Name : "signal") << ", "
          << Sig << "); the session is unchanged\n";
    }
    return failed();
  }
  jit::Outcome O;
  if (!WIFEXITED(Status) || WEXITSTATUS(Status) != 0 || !decode(Buf, O)) {
    llvm::WithColor::error(llvm::errs(), "nnc-repl")
        << "the evaluation ended without a result; the session is "
           "unchanged\n";
    return failed();
  }
  return O;
}
