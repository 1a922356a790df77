//===- DataTestHelpers.h - Files for the lib/Data tests ---------*- C++ -*-===//
#ifndef NNC_UNITTESTS_DATA_DATATESTHELPERS_H
#define NNC_UNITTESTS_DATA_DATATESTHELPERS_H

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "gtest/gtest.h"
#include <string>

namespace nnc::data::test {

/// A fresh folder, removed with its files at the end of the test.
class TempDir {
public:
  TempDir() {
    std::error_code EC =
        llvm::sys::fs::createUniqueDirectory("nnc-data-test", Dir);
    EXPECT_FALSE(EC) << EC.message();
  }
  ~TempDir() { llvm::sys::fs::remove_directories(Dir); }

  /// The path of \p Name in the folder.
  std::string path(llvm::StringRef Name) const {
    llvm::SmallString<128> P(Dir);
    llvm::sys::path::append(P, Name);
    return std::string(P);
  }

  /// Writes \p Bytes to \p Name; returns its path.
  std::string write(llvm::StringRef Name, llvm::StringRef Bytes) const {
    std::string P = path(Name);
    std::error_code EC;
    llvm::raw_fd_ostream OS(P, EC);
    EXPECT_FALSE(EC) << EC.message();
    OS << Bytes;
    return P;
  }

private:
  llvm::SmallString<128> Dir;
};

/// The message of an error that must be there.
template <typename T> std::string errorOf(llvm::Expected<T> E) {
  if (E) {
    ADD_FAILURE() << "expected an error, got a value";
    return "";
  }
  return llvm::toString(E.takeError());
}

inline std::string errorOf(llvm::Error E) {
  if (!E) {
    ADD_FAILURE() << "expected an error, got success";
    return "";
  }
  return llvm::toString(std::move(E));
}

/// Little-endian bytes of \p V.
template <typename T> std::string bytesOf(std::initializer_list<T> V) {
  std::string S;
  for (T X : V)
    S.append(reinterpret_cast<const char *>(&X), sizeof X);
  return S;
}

} // namespace nnc::data::test

#endif // NNC_UNITTESTS_DATA_DATATESTHELPERS_H
