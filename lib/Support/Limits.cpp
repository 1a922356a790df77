//===- Limits.cpp - What user input may make the process use --------------===//
#include "nnc/Support/Limits.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sys/resource.h>
#include <unistd.h>

using namespace nnc;

static llvm::Error inputError(llvm::StringRef Path, const llvm::Twine &Why) {
  std::string Name = Path == "-" ? "<stdin>" : Path.str();
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "cannot open '" + Name + "': " + Why);
}

static llvm::Error tooLarge(llvm::StringRef Path, uint64_t MaxBytes) {
  return inputError(Path, "larger than the input size limit of " +
                              formatBytes(MaxBytes) +
                              " (--max-input-size=SIZE raises it)");
}

/// Reads \p FD to its end, refusing more than \p MaxBytes. The buffer
/// grows with what arrives, so a short pipe costs little.
static llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readStream(int FD, llvm::StringRef Path, uint64_t MaxBytes) {
  std::string Data;
  char Chunk[1 << 16];
  for (;;) {
    ssize_t N = ::read(FD, Chunk, sizeof Chunk);
    if (N < 0) {
      if (errno == EINTR)
        continue;
      return inputError(Path, std::strerror(errno));
    }
    if (N == 0)
      break;
    if (Data.size() + uint64_t(N) > MaxBytes)
      return tooLarge(Path, MaxBytes);
    Data.append(Chunk, N);
  }
  return llvm::MemoryBuffer::getMemBufferCopy(
      Data, Path == "-" ? "<stdin>" : Path);
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
nnc::readSource(llvm::StringRef Path, uint64_t MaxBytes) {
  if (Path == "-")
    return readStream(STDIN_FILENO, Path, MaxBytes);
  int FD;
  if (std::error_code EC = llvm::sys::fs::openFileForRead(Path, FD))
    return inputError(Path, EC.message());
  struct Closer {
    int FD;
    ~Closer() { ::close(FD); }
  } Close{FD};
  llvm::sys::fs::file_status Status;
  if (std::error_code EC = llvm::sys::fs::status(FD, Status))
    return inputError(Path, EC.message());
  switch (Status.type()) {
  case llvm::sys::fs::file_type::regular_file: {
    if (Status.getSize() > MaxBytes)
      return tooLarge(Path, MaxBytes);
    auto Buffer = llvm::MemoryBuffer::getOpenFile(
        llvm::sys::fs::convertFDToNativeFile(FD), Path, Status.getSize(),
        /*RequiresNullTerminator=*/false);
    if (std::error_code EC = Buffer.getError())
      return inputError(Path, EC.message());
    return std::move(*Buffer);
  }
  case llvm::sys::fs::file_type::fifo_file:
    // A pipe, as from `<(...)`: it ends when its writer closes it.
    return readStream(FD, Path, MaxBytes);
  case llvm::sys::fs::file_type::directory_file:
    return inputError(Path, std::make_error_code(std::errc::is_a_directory)
                                .message());
  default:
    // Devices such as /dev/zero or /dev/urandom never end.
    return inputError(Path, "not a regular file or a pipe (a device such "
                            "as this may never end)");
  }
}

std::optional<uint64_t> nnc::parseByteSize(llvm::StringRef Text) {
  uint64_t Scale = 1;
  if (!Text.empty()) {
    switch (llvm::toUpper(Text.back())) {
    case 'K': Scale = uint64_t(1) << 10; break;
    case 'M': Scale = uint64_t(1) << 20; break;
    case 'G': Scale = uint64_t(1) << 30; break;
    default: break;
    }
    if (Scale != 1)
      Text = Text.drop_back();
  }
  uint64_t N;
  if (Text.empty() || Text.getAsInteger(10, N) || N == 0)
    return std::nullopt;
  uint64_t R;
  if (__builtin_mul_overflow(N, Scale, &R))
    return std::nullopt;
  return R;
}

std::string nnc::formatBytes(uint64_t Bytes) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  static const char *Units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (Bytes < 1024) {
    OS << Bytes << " B";
    return S;
  }
  double V = Bytes;
  unsigned U = 0;
  while (V >= 1024 && U + 1 < std::size(Units)) {
    V /= 1024;
    ++U;
  }
  OS << llvm::format("%.1f ", V) << Units[U];
  return S;
}

/// The limit \p Resource sets, or UINT64_MAX.
static uint64_t getLimit(int Resource) {
  struct rlimit L;
  if (::getrlimit(Resource, &L) != 0 || L.rlim_cur == RLIM_INFINITY)
    return UINT64_MAX;
  return L.rlim_cur;
}

uint64_t nnc::getAllocatableMemory() {
  uint64_t Page = llvm::sys::Process::getPageSizeEstimate();
  long Pages = ::sysconf(_SC_PHYS_PAGES);
  uint64_t Avail = Pages > 0 ? uint64_t(Pages) * Page : UINT64_MAX;
  // /proc/self/statm: total virtual size, then ..., then data + stack, in
  // pages: what counts against RLIMIT_AS and RLIMIT_DATA.
  uint64_t Size = 0, Resident = 0, Shared = 0, Text = 0, Lib = 0, Data = 0;
  std::ifstream Statm("/proc/self/statm");
  Statm >> Size >> Resident >> Shared >> Text >> Lib >> Data;
  auto Left = [](uint64_t Limit, uint64_t Used) {
    return Limit == UINT64_MAX ? UINT64_MAX : Limit > Used ? Limit - Used : 0;
  };
  Avail = std::min(Avail, Left(getLimit(RLIMIT_AS), Size * Page));
  Avail = std::min(Avail, Left(getLimit(RLIMIT_DATA), Data * Page));
  return Avail;
}
