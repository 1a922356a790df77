//===- ParamTables.cpp - Each instance's parameters, described in the object
//===//
//
// `const nnc_param_info net_params_table[]` and `const int64_t
// net_params_count` (docs/abi.md, "Parameter tables"): what a C program
// needs to save, load or print the parameter struct by the layer paths'
// names without knowing the model.
//
//===----------------------------------------------------------------------===//
#include "ModuleABI.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"

using namespace nnc;
using namespace nnc::codegen;

/// safetensors' name of an element type.
static llvm::StringRef safetensorsDType(ElementKind K) {
  switch (K) {
  case ElementKind::Bool:
    return "BOOL";
  case ElementKind::I32:
    return "I32";
  case ElementKind::I64:
    return "I64";
  case ElementKind::F32:
    return "F32";
  case ElementKind::F64:
    return "F64";
  }
  return "?";
}

namespace {

class TableEmitter {
public:
  explicit TableEmitter(llvm::Module &LM)
      : LM(LM), Ctx(LM.getContext()), I64(llvm::Type::getInt64Ty(Ctx)),
        Ptr(llvm::PointerType::get(Ctx, 0)),
        // The layout of C's nnc_param_info: name, dtype, rank, shape,
        // offset, size.
        Row(llvm::StructType::get(Ctx, {Ptr, Ptr, I64, Ptr, I64, I64})) {}

  llvm::Error emit(const ABIStruct &S) {
    for (const std::string &Sym : {S.TableSymbol, S.CountSymbol})
      if (LM.getNamedValue(Sym))
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "internal error: '" + Sym +
                                           "' is defined twice");
    std::vector<llvm::Constant *> Rows;
    for (const StructField &F : S.Layout.Fields) {
      ElementKind K = F.Ty.getElementKind();
      std::vector<uint64_t> Shape;
      for (const Dim &D : F.Ty.getShape())
        Shape.push_back(D.Factor); // an instance's shapes are constants
      llvm::Constant *ShapePtr = llvm::ConstantPointerNull::get(Ptr);
      if (!Shape.empty())
        ShapePtr = privateConstant(llvm::ConstantDataArray::get(Ctx, Shape),
                                   ".nnc.shape");
      uint64_t Bytes = F.NumElements * getElementSize(K);
      Rows.push_back(llvm::ConstantStruct::get(
          Row, {string(F.Name), string(safetensorsDType(K)),
                llvm::ConstantInt::get(I64, Shape.size()), ShapePtr,
                llvm::ConstantInt::get(I64, F.Offset),
                llvm::ConstantInt::get(I64, Bytes)}));
    }
    auto *Ty = llvm::ArrayType::get(Row, Rows.size());
    new llvm::GlobalVariable(LM, Ty, /*isConstant=*/true,
                             llvm::GlobalValue::ExternalLinkage,
                             llvm::ConstantArray::get(Ty, Rows), S.TableSymbol);
    new llvm::GlobalVariable(
        LM, I64, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
        llvm::ConstantInt::get(I64, Rows.size()), S.CountSymbol);
    return llvm::Error::success();
  }

private:
  llvm::Constant *privateConstant(llvm::Constant *Init, const char *Name) {
    auto *G =
        new llvm::GlobalVariable(LM, Init->getType(), /*isConstant=*/true,
                                 llvm::GlobalValue::PrivateLinkage, Init, Name);
    G->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    return G;
  }

  /// A NUL-terminated string, one copy per distinct text.
  llvm::Constant *string(llvm::StringRef S) {
    llvm::Constant *&G = Strings[S];
    if (!G)
      G = privateConstant(llvm::ConstantDataArray::getString(Ctx, S),
                          ".nnc.str");
    return G;
  }

  llvm::Module &LM;
  llvm::LLVMContext &Ctx;
  llvm::Type *I64;
  llvm::PointerType *Ptr;
  llvm::StructType *Row;
  llvm::StringMap<llvm::Constant *> Strings;
};

} // namespace

llvm::Error codegen::emitParamTables(const ModuleABI &ABI, llvm::Module &LM) {
  TableEmitter T(LM);
  for (const ABIStruct &S : ABI.Structs)
    if (!S.TableSymbol.empty())
      if (llvm::Error E = T.emit(S))
        return E;
  return llvm::Error::success();
}
