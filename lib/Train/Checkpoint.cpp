//===- Checkpoint.cpp - Parameters to and from safetensors; .npy output ---===//
#include "Model.h"
#include "nnc/Data/Safetensors.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"
#include <cstring>
#include <set>

using namespace nnc;
using namespace nnc::train;

llvm::Error Trainer::save(llvm::StringRef Path) const {
  std::vector<data::TensorRef> Tensors;
  for (const ParamInfo &PI : P->Params) {
    data::TensorRef T;
    T.Name = PI.Name;
    T.Type = PI.Type;
    T.Shape = PI.Shape;
    T.Data = P->ParamStruct.data() + PI.Offset;
    Tensors.push_back(T);
  }
  // What the tensors are, for a reader who finds the file alone.
  std::map<std::string, std::string> Meta = {
      {"format", "pt"},
      {"nnc.instance", P->Instance},
  };
  return data::writeSafetensors(Path, Tensors, Meta);
}

llvm::Error Trainer::load(llvm::StringRef Path) {
  llvm::Expected<data::Checkpoint> C = data::readSafetensors(Path);
  if (!C)
    return C.takeError();
  // Every check passes before anything is copied: a bad file leaves the
  // parameters as they were.
  std::set<std::string> Known;
  for (const ParamInfo &PI : P->Params) {
    Known.insert(PI.Name);
    const data::NamedTensor *T = C->find(PI.Name);
    if (!T)
      return error(Path + ": no tensor '" + PI.Name + "' (" + P->Instance +
                   " has " + data::getDTypeName(PI.Type) + " " +
                   data::formatShape(PI.Shape) + ")");
    if (T->Value.Type != PI.Type)
      return error(Path + ": tensor '" + PI.Name + "' is " +
                   data::getDTypeName(T->Value.Type) + ", but " +
                   P->Instance + "." + PI.Name + " is " +
                   data::getDTypeName(PI.Type));
    if (llvm::ArrayRef<int64_t>(T->Value.Shape) !=
        llvm::ArrayRef<int64_t>(PI.Shape))
      return error(Path + ": tensor '" + PI.Name + "' has shape " +
                   data::formatShape(T->Value.Shape) + ", but " +
                   P->Instance + "." + PI.Name + " has shape " +
                   data::formatShape(PI.Shape));
  }
  for (const data::NamedTensor &T : C->Tensors)
    if (!Known.count(T.Name))
      return error(Path + ": tensor '" + T.Name + "' is not a parameter of " +
                   P->Instance);
  for (const ParamInfo &PI : P->Params)
    std::memcpy(P->ParamStruct.data() + PI.Offset,
                C->find(PI.Name)->Value.Bytes.data(), PI.Bytes);
  return llvm::Error::success();
}

llvm::Error train::writeNpyInt64(llvm::StringRef Path,
                                 llvm::ArrayRef<int64_t> Values) {
  // Format version 1.0: magic, version, a little-endian u16 header length,
  // then a Python dict literal padded with spaces and a newline so that
  // the data starts at a multiple of 64 bytes.
  std::string Dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (" +
                     std::to_string(Values.size()) + ",), }";
  size_t Total = 10 + Dict.size() + 1;
  Dict.append((64 - Total % 64) % 64, ' ');
  Dict += '\n';
  std::error_code EC;
  llvm::raw_fd_ostream OS(Path, EC, llvm::sys::fs::OF_None);
  if (EC)
    return error("cannot write '" + Path + "': " + EC.message());
  OS << "\x93NUMPY" << char(1) << char(0);
  uint16_t N = Dict.size();
  OS << char(N & 0xff) << char(N >> 8) << Dict;
  OS.write(reinterpret_cast<const char *>(Values.data()),
           Values.size() * sizeof(int64_t));
  OS.close();
  if (OS.has_error()) {
    EC = OS.error();
    OS.clear_error();
    return error("cannot write '" + Path + "': " + EC.message());
  }
  return llvm::Error::success();
}
