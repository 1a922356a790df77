//===- Safetensors.cpp - Write and read safetensors checkpoints -----------===//
#include "nnc/Data/Safetensors.h"
#include "Internal.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>

using namespace nnc;
using namespace nnc::data;
using namespace nnc::data::detail;

const NamedTensor *Checkpoint::find(llvm::StringRef Name) const {
  for (const NamedTensor &T : Tensors)
    if (T.Name == Name)
      return &T;
  return nullptr;
}

static llvm::Error writeError(const llvm::Twine &Why) {
  return dataError(Why);
}

llvm::Expected<std::string>
data::serializeSafetensors(llvm::ArrayRef<TensorRef> Tensors,
                           const std::map<std::string, std::string> &Metadata) {
  // Validate first: the JSON library wants valid UTF-8, and a checkpoint
  // whose names clash could not be read back.
  llvm::StringSet<> Seen;
  llvm::SmallVector<uint64_t, 16> Sizes;
  for (const TensorRef &T : Tensors) {
    if (T.Name.empty())
      return writeError("a tensor has an empty name");
    if (T.Name == "__metadata__")
      return writeError("'__metadata__' cannot name a tensor");
    if (!llvm::json::isUTF8(T.Name))
      return writeError("tensor name '" + T.Name + "' is not valid UTF-8");
    if (!Seen.insert(T.Name).second)
      return writeError("two tensors are named '" + T.Name + "'");
    llvm::Expected<uint64_t> Bytes = getCheckedByteSize(
        T.Shape, getDTypeSize(T.Type), "tensor '" + T.Name + "'");
    if (!Bytes)
      return Bytes.takeError();
    if (*Bytes && !T.Data)
      return writeError("tensor '" + T.Name + "' has no data");
    Sizes.push_back(*Bytes);
  }
  for (const auto &[Key, Value] : Metadata)
    if (!llvm::json::isUTF8(Key) || !llvm::json::isUTF8(Value))
      return writeError("metadata '" + Key + "' is not valid UTF-8");

  // The reference implementation's order: wider element types first, then
  // by name; with a header padded to 8 bytes every tensor is then aligned.
  llvm::SmallVector<size_t, 16> Order(Tensors.size());
  for (size_t I = 0; I < Order.size(); ++I)
    Order[I] = I;
  std::stable_sort(Order.begin(), Order.end(), [&](size_t A, size_t B) {
    unsigned SA = getDTypeSize(Tensors[A].Type),
             SB = getDTypeSize(Tensors[B].Type);
    if (SA != SB)
      return SA > SB;
    return Tensors[A].Name < Tensors[B].Name;
  });

  llvm::json::Object Header;
  uint64_t Offset = 0;
  for (size_t I : Order) {
    const TensorRef &T = Tensors[I];
    llvm::json::Array Shape;
    for (int64_t D : T.Shape)
      Shape.push_back(D);
    Header[T.Name] = llvm::json::Object{
        {"dtype", getDTypeName(T.Type)},
        {"shape", std::move(Shape)},
        {"data_offsets",
         llvm::json::Array{int64_t(Offset), int64_t(Offset + Sizes[I])}}};
    Offset += Sizes[I];
  }
  if (!Metadata.empty()) {
    llvm::json::Object Meta;
    for (const auto &[Key, Value] : Metadata)
      Meta[Key] = Value;
    Header["__metadata__"] = std::move(Meta);
  }
  std::string JSON;
  llvm::raw_string_ostream(JSON) << llvm::json::Value(std::move(Header));
  JSON.append((8 - JSON.size() % 8) % 8, ' ');

  std::string Out;
  Out.reserve(8 + JSON.size() + Offset);
  char Len[8];
  llvm::support::endian::write64le(Len, JSON.size());
  Out.append(Len, 8);
  Out += JSON;
  for (size_t I : Order)
    if (Sizes[I])
      Out.append(static_cast<const char *>(Tensors[I].Data), Sizes[I]);
  return Out;
}

llvm::Error
data::writeSafetensors(llvm::StringRef Path, llvm::ArrayRef<TensorRef> Tensors,
                       const std::map<std::string, std::string> &Metadata) {
  llvm::Expected<std::string> Bytes = serializeSafetensors(Tensors, Metadata);
  if (!Bytes)
    return fileError(Path, "cannot write: " + llvm::toString(Bytes.takeError()));
  llvm::Error E = llvm::writeToOutput(Path, [&](llvm::raw_ostream &OS) {
    OS << *Bytes;
    return llvm::Error::success();
  });
  if (E)
    return fileError(Path, "cannot write: " + llvm::toString(std::move(E)));
  return llvm::Error::success();
}

namespace {
/// One tensor's header entry, before its bytes are copied out.
struct Entry {
  std::string Name;
  DType Type;
  llvm::SmallVector<int64_t, 4> Shape;
  uint64_t Begin, End;
};

/// A non-negative integer of \p V, or std::nullopt.
std::optional<int64_t> getNonNegative(const llvm::json::Value &V) {
  std::optional<int64_t> I = V.getAsInteger();
  if (!I || *I < 0)
    return std::nullopt;
  return I;
}
} // namespace

llvm::Expected<Checkpoint> data::parseSafetensors(llvm::StringRef Bytes,
                                                  llvm::StringRef Name) {
  if (Bytes.size() < 8)
    return fileError(Name, "truncated: " + llvm::Twine(Bytes.size()) +
                               " bytes, shorter than the 8-byte header length");
  uint64_t HeaderLen = llvm::support::endian::read64le(Bytes.data());
  if (HeaderLen > Bytes.size() - 8)
    return fileError(Name, "header length " + llvm::Twine(HeaderLen) +
                               " runs past the end of the file (" +
                               llvm::Twine(Bytes.size()) + " bytes)");
  if (HeaderLen > MaxSafetensorsHeaderBytes)
    return fileError(Name, "header length " + llvm::Twine(HeaderLen) +
                               " exceeds the limit of " +
                               llvm::Twine(MaxSafetensorsHeaderBytes) +
                               " bytes");
  llvm::StringRef HeaderText = Bytes.substr(8, HeaderLen);
  llvm::StringRef Data = Bytes.drop_front(8 + HeaderLen);

  llvm::Expected<llvm::json::Value> Parsed = llvm::json::parse(HeaderText);
  if (!Parsed)
    return fileError(Name, "bad JSON header: " +
                               llvm::toString(Parsed.takeError()));
  llvm::json::Object *Header = Parsed->getAsObject();
  if (!Header)
    return fileError(Name, "bad header: the JSON is not an object");

  Checkpoint C;
  std::vector<Entry> Entries;
  // In name order, so that a file with several faults always reports the
  // same one (the object's own order is a hash table's).
  std::vector<llvm::StringRef> Keys;
  for (const auto &KV : *Header)
    Keys.push_back(KV.first);
  llvm::sort(Keys);
  for (llvm::StringRef KeyRef : Keys) {
    const llvm::json::Value &Value = *Header->get(KeyRef);
    std::string Key = KeyRef.str();
    if (Key == "__metadata__") {
      const llvm::json::Object *Meta = Value.getAsObject();
      if (!Meta)
        return fileError(Name, "bad header: __metadata__ is not an object");
      for (const auto &[MK, MV] : *Meta) {
        std::optional<llvm::StringRef> S = MV.getAsString();
        if (!S)
          return fileError(Name, "bad header: __metadata__ value of '" +
                                     MK.str() + "' is not a string");
        C.Metadata[MK.str()] = S->str();
      }
      continue;
    }
    auto bad = [&](const llvm::Twine &Why) {
      return fileError(Name, "tensor '" + Key + "': " + Why);
    };
    const llvm::json::Object *Info = Value.getAsObject();
    if (!Info)
      return bad("its header entry is not an object");
    Entry E;
    E.Name = Key;
    std::optional<llvm::StringRef> DTypeName = Info->getString("dtype");
    if (!DTypeName)
      return bad("no \"dtype\" string");
    std::optional<DType> T = parseDTypeName(*DTypeName);
    if (!T)
      return bad("unknown dtype '" + *DTypeName +
                 "' (nnc reads F32, F64, I32, I64, U8)");
    E.Type = *T;
    const llvm::json::Array *Shape = Info->getArray("shape");
    if (!Shape)
      return bad("no \"shape\" array");
    for (const llvm::json::Value &D : *Shape) {
      std::optional<int64_t> N = getNonNegative(D);
      if (!N)
        return bad("\"shape\" holds something other than a non-negative "
                   "integer");
      E.Shape.push_back(*N);
    }
    const llvm::json::Array *Offsets = Info->getArray("data_offsets");
    if (!Offsets || Offsets->size() != 2 || !getNonNegative((*Offsets)[0]) ||
        !getNonNegative((*Offsets)[1]))
      return bad("\"data_offsets\" is not [begin, end] of two non-negative "
                 "integers");
    E.Begin = *getNonNegative((*Offsets)[0]);
    E.End = *getNonNegative((*Offsets)[1]);
    std::string Range = llvm::formatv("[{0}, {1}]", E.Begin, E.End).str();
    if (E.Begin > E.End)
      return bad("data_offsets " + Range + " end before they begin");
    llvm::Expected<uint64_t> Need = getCheckedByteSize(
        E.Shape, getDTypeSize(E.Type), Name + ": tensor '" + Key + "'");
    if (!Need)
      return Need.takeError();
    if (E.End - E.Begin != *Need)
      return bad("data_offsets " + Range + " hold " +
                 llvm::Twine(E.End - E.Begin) + " bytes, but " + *DTypeName +
                 " of shape " + formatShape(E.Shape) + " needs " +
                 llvm::Twine(*Need));
    if (E.End > Data.size())
      return bad("data_offsets " + Range +
                 " run past the end of the data section (" +
                 llvm::Twine(Data.size()) + " bytes)");
    Entries.push_back(std::move(E));
  }

  // The tensors must tile the data section exactly, as the reference
  // implementation requires: no overlap, no gap, nothing left over.
  llvm::stable_sort(Entries, [](const Entry &A, const Entry &B) {
    return A.Begin != B.Begin ? A.Begin < B.Begin : A.End < B.End;
  });
  uint64_t Covered = 0;
  const Entry *Prev = nullptr;
  for (const Entry &E : Entries) {
    if (E.Begin < Covered)
      return fileError(Name, "tensors '" + Prev->Name + "' and '" + E.Name +
                                 "' overlap in the data section");
    if (E.Begin > Covered)
      return fileError(Name, "bytes " + llvm::Twine(Covered) + " to " +
                                 llvm::Twine(E.Begin) +
                                 " of the data section belong to no tensor");
    Covered = E.End;
    Prev = &E;
  }
  if (Covered != Data.size())
    return fileError(Name, "the data section has " +
                               llvm::Twine(Data.size()) +
                               " bytes, the tensors cover " +
                               llvm::Twine(Covered));

  for (Entry &E : Entries) {
    NamedTensor T;
    T.Name = std::move(E.Name);
    T.Value.Type = E.Type;
    T.Value.Shape = std::move(E.Shape);
    const uint8_t *P = reinterpret_cast<const uint8_t *>(Data.data());
    T.Value.Bytes.assign(P + E.Begin, P + E.End);
    C.Tensors.push_back(std::move(T));
  }
  return C;
}

llvm::Expected<Checkpoint> data::readSafetensors(llvm::StringRef Path) {
  auto File = openDataFile(Path);
  if (!File)
    return File.takeError();
  return parseSafetensors((*File)->getBuffer(), Path);
}
