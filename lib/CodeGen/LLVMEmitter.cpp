//===- LLVMEmitter.cpp - nnc IR to LLVM IR --------------------------------===//
//
// Scalar functions: a value is held as its flattened leaves, one
// llvm::Value for a scalar, one per scalar component for a tuple, so tuples
// cost nothing at run time. Functions that use tensors get the status ABI
// and are lowered by TensorFunctionEmitter; calls to them were inlined
// first (prepareForCodeGen), so no call crosses the two ABIs.
//
//===----------------------------------------------------------------------===//
#include "nnc/Support/ReservedNames.h"
#include "ScalarOps.h"
#include "ModuleABI.h"
#include "TensorABI.h"
#include "TensorFunction.h"
#include "nnc/CodeGen/CodeGen.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Verifier.h"

using namespace nnc;
using namespace nnc::codegen;
using ir::OpKind;
using ir::ValueId;

namespace {

class Emitter {
public:
  Emitter(const ir::Module &M, llvm::LLVMContext &Ctx, llvm::Module &LM,
          const CodeGenOptions &Opts, const VectorUnit &Vectors)
      : M(M), Ctx(Ctx), LM(LM), Opts(Opts), Vectors(Vectors), B(Ctx),
        S(B, LM) {}

  llvm::Error run() {
    llvm::StringSet<> Symbols;
    for (const auto &F : M.Functions)
      Symbols.insert(symbolName(*F));
    for (const auto &F : M.Functions) {
      // Generated code calls libm: an exported `exp` would capture the calls.
      if (F->Exported && codegen::isCLibrarySymbol(symbolName(*F)))
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "function '" + symbolName(*F) +
                "' would replace the C library's function of that name, "
                "which generated code calls; rename it or use --prefix");
      if (F->Exported && usesStatusABI(*F) &&
          Symbols.contains(workspaceSizeSymbol(Opts.SymbolPrefix, *F)))
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "function '" + workspaceSizeSymbol(Opts.SymbolPrefix, *F) +
                "' has the name of the workspace size function of '" + F->Name +
                "'; rename it");
    }
    for (const auto &F : M.Functions)
      declare(*F);
    for (const auto &F : M.Functions)
      if (llvm::Error E = define(*F))
        return E;
    defineGemmFunctions(LM, Vectors);
    std::string Err;
    llvm::raw_string_ostream OS(Err);
    if (llvm::verifyModule(LM, &OS))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "internal error: invalid LLVM IR: " +
                                         OS.str());
    return llvm::Error::success();
  }

private:
  std::string symbolName(const ir::Function &F) const {
    return F.Exported ? Opts.SymbolPrefix + F.Name : F.Name;
  }

  void declare(const ir::Function &F) {
    if (usesStatusABI(F)) {
      auto [Entry, SizeFn] = declareTensorFunction(
          F, LM, symbolName(F), workspaceSizeSymbol(Opts.SymbolPrefix, F),
          Opts.ABIChecks);
      Functions[F.Name] = Entry;
      SizeFunctions[F.Name] = SizeFn;
      return;
    }
    std::vector<llvm::Type *> Params;
    for (unsigned I = 0; I < F.getNumParams(); ++I)
      Params.push_back(S.type(F.getParamType(I).getElementKind()));
    llvm::Type *Ret = B.getVoidTy();
    if (F.ResultType.isLeaf())
      Ret = S.type(F.ResultType.getElementKind());
    else
      for (unsigned I = 0, E = flattenLeaves(F.ResultType).size(); I < E; ++I)
        Params.push_back(B.getPtrTy());
    auto *FT = llvm::FunctionType::get(Ret, Params, false);
    auto *LF =
        llvm::Function::Create(FT,
                               F.Exported ? llvm::GlobalValue::ExternalLinkage
                                          : llvm::GlobalValue::InternalLinkage,
                               symbolName(F), LM);
    LF->addFnAttr(llvm::Attribute::NoUnwind);
    LF->addFnAttr(llvm::Attribute::WillReturn);
    unsigned NumParams = F.getNumParams();
    for (unsigned I = 0; I < LF->arg_size(); ++I) {
      llvm::Argument *A = LF->getArg(I);
      if (I < NumParams) {
        A->setName(F.getParamName(I));
        // C passes a bool zero-extended.
        if (A->getType()->isIntegerTy(1))
          A->addAttr(llvm::Attribute::ZExt);
      } else {
        A->setName("out" + std::to_string(I - NumParams));
        A->addAttr(llvm::Attribute::NoAlias);
        A->addAttr(llvm::Attribute::NoCapture);
        A->addAttr(llvm::Attribute::WriteOnly);
      }
    }
    if (Ret->isIntegerTy(1))
      LF->addRetAttr(llvm::Attribute::ZExt);
    Functions[F.Name] = LF;
  }

  Leaves emitOp(const ir::Function &F, const ir::Op &O,
                const std::vector<Leaves> &Vals) {
    const ir::Type &T = O.Operands.empty() ? O.Ty : F.typeOf(O.Operands[0]);
    switch (O.Kind) {
    case OpKind::Param:
    case OpKind::Return:
      return {};
    case OpKind::Const:
      return {S.constant(O.Ty.getElementKind(), O.FloatValue, O.IntValue)};
    case OpKind::Select: {
      Leaves Out;
      const Leaves &A = Vals[O.Operands[1]], &C = Vals[O.Operands[2]];
      for (size_t I = 0; I < A.size(); ++I)
        Out.push_back(B.CreateSelect(Vals[O.Operands[0]][0], A[I], C[I]));
      return Out;
    }
    case OpKind::Tuple: {
      Leaves Out;
      for (ValueId E : O.Operands)
        Out.append(Vals[E].begin(), Vals[E].end());
      return Out;
    }
    case OpKind::Extract: {
      unsigned Start = 0;
      for (unsigned I = 0; I < O.getIndex(); ++I)
        Start += flattenLeaves(T.getElements()[I]).size();
      const Leaves &Src = Vals[O.Operands[0]];
      return Leaves(Src.begin() + Start,
                    Src.begin() + Start + flattenLeaves(O.Ty).size());
    }
    case OpKind::Call: {
      llvm::Function *Callee = Functions.lookup(O.Callee);
      assert(Callee && "the verifier checks callees");
      std::vector<llvm::Value *> Args;
      for (ValueId A : O.Operands)
        Args.push_back(Vals[A][0]);
      return S.call(Callee, Args, O.Ty);
    }
    default: {
      assert(ScalarOps::isElementwise(O.Kind) &&
             "a scalar function has only scalar ops");
      std::vector<llvm::Value *> Args;
      for (ValueId A : O.Operands)
        Args.push_back(Vals[A][0]);
      return {S.elementwise(O.Kind, T.getElementKind(), O.Ty.getElementKind(),
                            Args)};
    }
    }
  }

  llvm::Error define(const ir::Function &F) {
    llvm::Function *LF = Functions[F.Name];
    if (usesStatusABI(F))
      return TensorFunctionEmitter(M, F, LM, Functions, Opts.ABIChecks,
                                   Opts.OptLevel ? Opts.SplitInstructions : 0,
                                   Vectors, Opts.FP == FPModel::Contract,
                                   std::max(1u, Opts.Threads))
          .define(LF, SizeFunctions.lookup(F.Name));
    B.SetInsertPoint(llvm::BasicBlock::Create(Ctx, "entry", LF));
    std::vector<Leaves> Vals(F.Ops.size());
    unsigned NumParams = F.getNumParams();
    for (unsigned I = 0; I < NumParams; ++I)
      Vals[I] = {LF->getArg(I)};
    for (size_t I = NumParams; I < F.Ops.size(); ++I) {
      const ir::Op &O = F.Ops[I];
      if (O.Kind == OpKind::Return) {
        const Leaves &R = Vals[O.Operands[0]];
        if (F.ResultType.isLeaf()) {
          B.CreateRet(R[0]);
          return llvm::Error::success();
        }
        for (size_t J = 0; J < R.size(); ++J) {
          llvm::Value *L = R[J];
          if (L->getType()->isIntegerTy(1))
            L = B.CreateZExt(L, B.getInt8Ty());
          B.CreateStore(L, LF->getArg(NumParams + J));
        }
        B.CreateRetVoid();
        return llvm::Error::success();
      }
      Vals[I] = emitOp(F, O, Vals);
      if (!O.Name.empty() && Vals[I].size() == 1 &&
          !llvm::isa<llvm::Constant>(Vals[I][0]) &&
          !llvm::isa<llvm::Argument>(Vals[I][0]))
        Vals[I][0]->setName(O.Name);
    }
    return llvm::Error::success();
  }

  const ir::Module &M;
  llvm::LLVMContext &Ctx;
  llvm::Module &LM;
  const CodeGenOptions &Opts;
  VectorUnit Vectors;
  llvm::IRBuilder<> B;
  ScalarOps S;
  llvm::StringMap<llvm::Function *> Functions, SizeFunctions;
};

} // namespace

llvm::Expected<std::unique_ptr<llvm::Module>>
nnc::emitLLVMModule(const ir::Module &M, llvm::LLVMContext &Ctx,
                    llvm::TargetMachine &TM, const CodeGenOptions &Opts) {
  auto ABI = describeModuleABI(M, Opts, /*ForHeader=*/false);
  if (!ABI)
    return ABI.takeError();
  auto LM = std::make_unique<llvm::Module>(M.Name, Ctx);
  LM->setTargetTriple(TM.getTargetTriple().str());
  LM->setDataLayout(TM.createDataLayout());
  if (llvm::Error E =
          Emitter(*ABI->Prepared, Ctx, *LM, Opts, getVectorUnit(TM, *LM)).run())
    return E;
  if (Opts.ParamTables)
    if (llvm::Error E = emitParamTables(*ABI, *LM))
      return E;
  return LM;
}

std::vector<std::string> nnc::getResultNames(const ir::Function &F) {
  unsigned N = flattenLeaves(F.ResultType).size();
  if (F.ResultNames.size() == N)
    return F.ResultNames;
  std::vector<std::string> Names;
  for (unsigned I = 0; I < N; ++I)
    Names.push_back("out" + std::to_string(I));
  return Names;
}
