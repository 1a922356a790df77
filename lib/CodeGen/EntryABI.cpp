//===- EntryABI.cpp - Prologue and epilogue of status-ABI functions -------===//
//
// The prologue binds each dimension variable from its first plain
// occurrence among the tensor parameters, checks every axis of every tensor
// parameter against it (literal and compound dimensions too), evaluates
// every size the body needs with overflow checks, and lays out the
// workspace: all before the first access to the caller's memory, so a
// shape error leaves every buffer untouched.
//
//===----------------------------------------------------------------------===//
#include "Outline.h"
#include "TensorFunction.h"
#include "llvm/IR/Verifier.h"

using namespace nnc;
using namespace nnc::codegen;
using ir::OpKind;

/// The workspace and every slot in it are aligned to a cache line.
static constexpr uint64_t SlotAlign = 64;

std::pair<llvm::Function *, llvm::Function *>
codegen::declareTensorFunction(const ir::Function &F, llvm::Module &LM,
                               const std::string &Symbol,
                               const std::string &SizeSymbol, bool ABIChecks) {
  llvm::IRBuilder<> B(LM.getContext());
  ScalarOps S(B, LM);
  std::vector<EntryArg> Args = getEntryArgs(F, ABIChecks);
  std::vector<llvm::Type *> Types;
  for (const EntryArg &A : Args)
    Types.push_back(A.K == EntryArg::Kind::Scalar
                        ? S.type(A.Ty.getElementKind())
                    : A.K == EntryArg::Kind::DimSize ||
                            A.K == EntryArg::Kind::WorkspaceSize
                        ? static_cast<llvm::Type *>(B.getInt64Ty())
                        : B.getPtrTy());
  auto Linkage = F.Exported ? llvm::GlobalValue::ExternalLinkage
                            : llvm::GlobalValue::InternalLinkage;
  auto *LF = llvm::Function::Create(
      llvm::FunctionType::get(B.getInt32Ty(), Types, false), Linkage, Symbol,
      LM);
  LF->addFnAttr(llvm::Attribute::NoUnwind);
  for (unsigned I = 0; I < Args.size(); ++I) {
    const EntryArg &A = Args[I];
    llvm::Argument *X = LF->getArg(I);
    switch (A.K) {
    case EntryArg::Kind::Scalar:
      X->setName(A.Name);
      if (X->getType()->isIntegerTy(1))
        X->addAttr(llvm::Attribute::ZExt);
      continue;
    case EntryArg::Kind::DimSize:
      X->setName(A.Name + "_d" + std::to_string(A.Axis));
      continue;
    case EntryArg::Kind::WorkspaceSize:
      X->setName(A.Name);
      continue;
    case EntryArg::Kind::Tensor:
    case EntryArg::Kind::ParamStruct:
      // A train step writes its parameter struct back: one pointer read
      // and written, still aliasing no other argument.
      if (!A.InPlace)
        X->addAttr(llvm::Attribute::ReadOnly);
      break;
    default:
      break;
    }
    X->setName(A.Name);
    X->addAttr(llvm::Attribute::NoCapture);
    // Inputs, results and the workspace never overlap (docs/abi.md), which
    // lets LLVM vectorize loops without run-time overlap checks. With
    // --abi-checks the code tests that promise instead of relying on it.
    if (!ABIChecks)
      X->addAttr(llvm::Attribute::NoAlias);
  }
  if (!F.Exported)
    return {LF, nullptr};
  std::vector<std::string> Vars = F.getDimVars();
  auto *SF = llvm::Function::Create(
      llvm::FunctionType::get(
          B.getInt64Ty(),
          std::vector<llvm::Type *>(Vars.size(), B.getInt64Ty()), false),
      Linkage, SizeSymbol, LM);
  SF->addFnAttr(llvm::Attribute::NoUnwind);
  SF->setDoesNotAccessMemory();
  for (unsigned I = 0; I < Vars.size(); ++I)
    SF->getArg(I)->setName(Vars[I]);
  return {LF, SF};
}

llvm::AllocaInst *TensorFunctionEmitter::entryAlloca(llvm::Type *T,
                                                     const llvm::Twine &Name) {
  llvm::IRBuilderBase::InsertPointGuard Guard(B);
  llvm::BasicBlock &Entry = AllocaBlock ? *AllocaBlock : LF->getEntryBlock();
  B.SetInsertPoint(&Entry, Entry.begin());
  return B.CreateAlloca(T, nullptr, Name);
}

void TensorFunctionEmitter::failIf(llvm::Value *Failed, Status Code) {
  llvm::LLVMContext &Ctx = LF->getContext();
  auto *Fail = llvm::BasicBlock::Create(Ctx, "fail", LF);
  auto *Cont = llvm::BasicBlock::Create(Ctx, "ok", LF);
  B.CreateCondBr(Failed, Fail, Cont);
  B.SetInsertPoint(Fail);
  B.CreateBr(Exit);
  StatusPhi->addIncoming(B.getInt32(Code), Fail);
  B.SetInsertPoint(Cont);
}

llvm::Error TensorFunctionEmitter::bindDims() {
  auto ForEachAxis = [&](auto Fn) {
    unsigned ArgNo = 0;
    for (const EntryArg &A : Args) {
      if (A.K == EntryArg::Kind::DimSize)
        Fn(F.getParamType(A.Index).getShape()[A.Axis], LF->getArg(ArgNo));
      ++ArgNo;
    }
  };
  // First plain occurrences: `n` in f64[n, 3].
  ForEachAxis([&](const ir::Dim &D, llvm::Value *X) {
    if (D.Factor == 1 && D.Vars.size() == 1 && !Shapes.isBound(D.Vars[0]))
      Shapes.bind(D.Vars[0], X);
  });
  // A variable that only appears scaled (f64[2*n]) is the quotient; the
  // check that follows rejects a size that is not a multiple.
  ForEachAxis([&](const ir::Dim &D, llvm::Value *X) {
    if (D.Factor > 0 && D.Vars.size() == 1 && !Shapes.isBound(D.Vars[0]))
      Shapes.bind(D.Vars[0], B.CreateSDiv(X, B.getInt64(D.Factor)));
  });
  for (const std::string &V : F.getDimVars())
    if (!Shapes.isBound(V))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "function '" + F.Name + "': dimension '" + V +
              "' is not the size of an axis of any parameter, so a caller "
              "cannot give it");
  return llvm::Error::success();
}

llvm::Value *TensorFunctionEmitter::layOutWorkspace(
    ShapeEnv &SE, std::vector<llvm::Value *> &SlotOffsets) {
  for (const ir::Op &O : F.Ops) {
    SE.prepare(O.Ty);
    if (O.Kind == OpKind::DimValue)
      SE.get(O.getDim());
  }
  llvm::Value *Total = B.getInt64(0);
  for (const ir::Dim &Bytes : Plan.SlotBytes) {
    SlotOffsets.push_back(Total);
    Total = SE.add(Total, SE.alignTo(SE.get(Bytes), SlotAlign));
  }
  // Products run one at a time, so they share one scratch, as large as
  // the largest needs. Its size is bounded by the kernel's blocks, so it
  // cannot overflow.
  llvm::Value *Scratch = B.getInt64(0);
  for (const ir::Op &O : F.Ops) {
    if (!isGemmProduct(F, O))
      continue;
    const ir::Type &TA = F.typeOf(O.Operands[0]), &TB = F.typeOf(O.Operands[1]);
    ElementKind K = O.Ty.getElementKind();
    llvm::Value *Rows = TA.getRank() == 2 ? SE.get(TA.getShape()[0])
                                          : B.getInt64(1);
    Scratch = B.CreateBinaryIntrinsic(
        llvm::Intrinsic::umax, Scratch,
        emitGemmScratchBytes(B, gemmConfig(K), K, Rows,
                             SE.get(TB.getShape()[1]),
                             SE.get(TA.getShape().back()),
                             B.getInt1(Fusion.View[O.Operands[0]])));
  }
  // Convolution and pooling (issue 12): the convolutions' column buffers
  // (ConvLowering.cpp), which also multiply through the kernel.
  llvm::Value *Columns = B.getInt64(0);
  // sum_to's partial sums share that buffer (SumToLowering.cpp).
  for (const ir::Op &O : F.Ops) {
    sizeWindowScratch(SE, O, Scratch, Columns);
    sizeSumToScratch(SE, O, Columns);
  }
  SlotOffsets.push_back(Total);
  Total = SE.add(Total, Scratch);
  SlotOffsets.push_back(Total);
  return SE.add(Total, Columns);
}

llvm::Error TensorFunctionEmitter::emitPrologue() {
  llvm::Value *Workspace = nullptr, *ParamStructArg = nullptr,
              *StateStructArg = nullptr;
  llvm::Value *Bad = B.getFalse();
  for (unsigned I = 0; I < Args.size(); ++I) {
    const EntryArg &A = Args[I];
    llvm::Argument *X = LF->getArg(I);
    switch (A.K) {
    case EntryArg::Kind::Scalar:
    case EntryArg::Kind::Tensor:
      Vals[A.Index] = {X};
      break;
    case EntryArg::Kind::DimSize:
      break;
    case EntryArg::Kind::ParamStruct:
      ParamStructArg = X;
      break;
    case EntryArg::Kind::StateStruct:
      StateStructArg = X;
      break;
    case EntryArg::Kind::Result:
      Dest[A.Index] = X;
      break;
    case EntryArg::Kind::ResultStruct: {
      StructLayout L = layoutInstance(*M.lookupInstance(A.Instance));
      // A gradient struct has the parameters' fields only (issue 12).
      for (unsigned J = 0; J < F.ResultStruct.Count; ++J)
        Dest[F.ResultStruct.First + J] = B.CreateConstInBoundsGEP1_64(
            B.getInt8Ty(), X, L.Fields[J].Offset, L.Fields[J].CName);
      break;
    }
    case EntryArg::Kind::Workspace:
      Workspace = X;
      break;
    case EntryArg::Kind::WorkspaceSize:
      break;
    }
  }
  if (llvm::Error E = bindDims())
    return E;
  for (unsigned I = 0; I < Args.size(); ++I) {
    const EntryArg &A = Args[I];
    if (A.K != EntryArg::Kind::DimSize)
      continue;
    llvm::Value *X = LF->getArg(I);
    ir::Dim D = F.getParamType(A.Index).getShape()[A.Axis];
    Bad = B.CreateOr(Bad, B.CreateICmpSLT(X, B.getInt64(0)));
    Bad = B.CreateOr(Bad, B.CreateICmpNE(Shapes.get(D), X));
  }
  std::vector<llvm::Value *> SlotOffsets;
  llvm::Value *Total = layOutWorkspace(Shapes, SlotOffsets);
  failIf(B.CreateOr(Bad, Shapes.overflowed(), "bad.shape"), StatusShape);
  Shapes.seal();
  if (ABIChecks)
    failIf(checkPointers(Workspace, Total), StatusArg);

  // A null workspace: allocate it here, once, and free it at the exit.
  llvm::LLVMContext &Ctx = LF->getContext();
  llvm::BasicBlock *Before = B.GetInsertBlock();
  auto *Alloc = llvm::BasicBlock::Create(Ctx, "alloc", LF);
  auto *Ready = llvm::BasicBlock::Create(Ctx, "ready", LF);
  llvm::Value *Null = llvm::ConstantPointerNull::get(B.getPtrTy());
  B.CreateCondBr(B.CreateAnd(B.CreateICmpEQ(Workspace, Null),
                             B.CreateICmpNE(Total, B.getInt64(0))),
                 Alloc, Ready);
  B.SetInsertPoint(Alloc);
  llvm::FunctionCallee Malloc =
      LM.getOrInsertFunction("malloc", B.getPtrTy(), B.getInt64Ty());
  llvm::Value *P = B.CreateCall(Malloc, {Total}, "workspace.heap");
  B.CreateStore(P, Owned);
  failIf(B.CreateICmpEQ(P, Null), StatusNoMem);
  llvm::BasicBlock *Allocated = B.GetInsertBlock();
  B.CreateBr(Ready);
  B.SetInsertPoint(Ready);
  llvm::PHINode *Base = B.CreatePHI(B.getPtrTy(), 2, "ws");
  Base->addIncoming(Workspace, Before);
  Base->addIncoming(P, Allocated);
  WorkspaceBase = Base;
  GemmScratch = B.CreateInBoundsGEP(
      B.getInt8Ty(), Base, SlotOffsets[SlotOffsets.size() - 2], "scratch");
  WindowScratch = B.CreateInBoundsGEP(B.getInt8Ty(), Base, SlotOffsets.back(),
                                      "columns");

  // The fields of the input structs. Updated in place (a train step), the
  // results after the loss are written back to the same fields: computed
  // there when nothing reads the old value afterwards, otherwise copied by
  // the epilogue once every op has read the old values.
  // A method that assigns layer state writes back only the state fields
  // (Function::InPlaceField, issue 12).
  unsigned InPlaceLeaf = F.InPlace ? F.getFirstInPlaceLeaf() : 0;
  for (auto [Arg, Run] : {std::pair(ParamStructArg, &F.ParamStruct),
                          std::pair(StateStructArg, &F.StateStruct)}) {
    if (!Arg)
      continue;
    StructLayout L = layoutInstance(*M.lookupInstance(Run->Instance));
    for (unsigned J = 0; J < L.Fields.size(); ++J) {
      const StructField &Fd = L.Fields[J];
      llvm::Value *P = B.CreateConstInBoundsGEP1_64(B.getInt8Ty(), Arg,
                                                    Fd.Offset, Fd.CName);
      Vals[Run->First + J] = {
          Fd.Ty.isTensor() ? P
                           : S.load(Fd.Ty.getElementKind(), P, B.getInt64(0))};
      if (F.InPlace && (Run != &F.ParamStruct || J >= F.InPlaceField))
        Dest[InPlaceLeaf++] = P;
    }
  }
  // After the fields: a train step's new values may be computed straight
  // into them (planWorkspace).
  for (size_t I = 0; I < F.Ops.size(); ++I) {
    if (Plan.Slot[I] >= 0)
      Storage[I] =
          B.CreateInBoundsGEP(B.getInt8Ty(), Base, SlotOffsets[Plan.Slot[I]]);
    else if (Plan.ResultLeaf[I] >= 0)
      Storage[I] = Dest[Plan.ResultLeaf[I]];
  }
  return llvm::Error::success();
}

llvm::Value *TensorFunctionEmitter::checkPointers(llvm::Value *Workspace,
                                                 llvm::Value *Total) {
  struct Buffer {
    llvm::Value *Begin, *Bytes;
    bool Written;
  };
  std::vector<Buffer> Buffers;
  std::vector<ir::Type> ResultLeaves = flattenLeaves(F.ResultType);
  auto BytesOf = [&](const ir::Type &T) {
    return dim(getByteSize(T.getElementKind(), T.getShape()));
  };
  llvm::Value *WorkspaceSize = nullptr;
  for (unsigned I = 0; I < Args.size(); ++I) {
    const EntryArg &A = Args[I];
    llvm::Value *X = LF->getArg(I);
    switch (A.K) {
    case EntryArg::Kind::Tensor:
      Buffers.push_back({X, BytesOf(A.Ty), false});
      break;
    case EntryArg::Kind::Result:
      Buffers.push_back({X, BytesOf(ResultLeaves[A.Index]), true});
      break;
    case EntryArg::Kind::ParamStruct:
    case EntryArg::Kind::ResultStruct:
    case EntryArg::Kind::StateStruct:
      Buffers.push_back(
          {X,
           B.getInt64((A.IsGrads ? layoutGrads(*M.lookupInstance(A.Instance))
                                 : layoutInstance(*M.lookupInstance(A.Instance)))
                          .Size),
           A.K == EntryArg::Kind::ResultStruct || A.InPlace});
      break;
    case EntryArg::Kind::WorkspaceSize:
      WorkspaceSize = X;
      break;
    default:
      break;
    }
  }
  llvm::Value *Zero = B.getInt64(0);
  llvm::Value *Null = llvm::ConstantPointerNull::get(B.getPtrTy());
  llvm::Value *Bad = B.getFalse();
  // A buffer of no bytes may be anything, NULL included.
  for (const Buffer &Buf : Buffers)
    Bad = B.CreateOr(Bad, B.CreateAnd(B.CreateICmpNE(Buf.Bytes, Zero),
                                      B.CreateICmpEQ(Buf.Begin, Null)));
  // A workspace the caller gives is written: it must be large enough and
  // overlap nothing.
  llvm::Value *HasWorkspace = B.CreateICmpNE(Workspace, Null);
  Bad = B.CreateOr(Bad, B.CreateAnd(HasWorkspace,
                                    B.CreateICmpSLT(WorkspaceSize, Total)));
  Buffers.push_back({Workspace, B.CreateSelect(HasWorkspace, Total, Zero),
                     true});
  // Inputs may share memory with each other; whatever is written may not
  // share it with anything.
  auto Addr = [&](llvm::Value *P) { return B.CreatePtrToInt(P, B.getInt64Ty()); };
  for (size_t I = 0; I < Buffers.size(); ++I)
    for (size_t J = I + 1; J < Buffers.size(); ++J) {
      const Buffer &P = Buffers[I], &Q = Buffers[J];
      if (!P.Written && !Q.Written)
        continue;
      llvm::Value *PB = Addr(P.Begin), *QB = Addr(Q.Begin);
      llvm::Value *Overlap = B.CreateAnd(
          B.CreateICmpULT(PB, B.CreateAdd(QB, Q.Bytes)),
          B.CreateICmpULT(QB, B.CreateAdd(PB, P.Bytes)));
      Overlap = B.CreateAnd(Overlap, B.CreateAnd(B.CreateICmpNE(P.Bytes, Zero),
                                                 B.CreateICmpNE(Q.Bytes, Zero)));
      Bad = B.CreateOr(Bad, Overlap);
    }
  return Bad;
}

void TensorFunctionEmitter::emitEpilogue(ir::ValueId Returned) {
  std::vector<ir::Type> Types = flattenLeaves(F.ResultType);
  const Leaves &R = Vals[Returned];
  for (unsigned J = 0; J < Types.size(); ++J) {
    const ir::Type &T = Types[J];
    if (T.isScalar()) {
      S.store(T.getElementKind(), R[J], Dest[J], B.getInt64(0));
      continue;
    }
    if (R[J] == Dest[J])
      continue; // computed in place
    llvm::Align A(getElementSize(T.getElementKind()));
    B.CreateMemCpy(Dest[J], A, R[J], A,
                   dim(getByteSize(T.getElementKind(), T.getShape())));
  }
  StatusPhi->addIncoming(B.getInt32(StatusOK), B.GetInsertBlock());
  B.CreateBr(Exit);
}

void TensorFunctionEmitter::defineSizeFunction(llvm::Function *SizeFn) {
  B.SetInsertPoint(llvm::BasicBlock::Create(LF->getContext(), "entry", SizeFn));
  ShapeEnv SE(B);
  llvm::Value *Bad = B.getFalse();
  std::vector<std::string> Vars = F.getDimVars();
  for (unsigned I = 0; I < Vars.size(); ++I) {
    SE.bind(Vars[I], SizeFn->getArg(I));
    Bad = B.CreateOr(Bad, B.CreateICmpSLT(SizeFn->getArg(I), B.getInt64(0)));
  }
  std::vector<llvm::Value *> SlotOffsets;
  llvm::Value *Total = layOutWorkspace(SE, SlotOffsets);
  B.CreateRet(
      B.CreateSelect(B.CreateOr(Bad, SE.overflowed()), B.getInt64(-1), Total));
}

llvm::Error TensorFunctionEmitter::define(llvm::Function *Entry,
                                          llvm::Function *SizeFn) {
  LF = Entry;
  Args = getEntryArgs(F, ABIChecks);
  Fusion = planFusion(F);
  Plan = planWorkspace(F, Fusion);
  Vals.assign(F.Ops.size(), {});
  Storage.assign(F.Ops.size(), nullptr);
  Dest.assign(flattenLeaves(F.ResultType).size(), nullptr);
  llvm::LLVMContext &Ctx = LF->getContext();
  B.SetInsertPoint(llvm::BasicBlock::Create(Ctx, "entry", LF));
  Exit = llvm::BasicBlock::Create(Ctx, "exit", LF);
  StatusPhi = llvm::PHINode::Create(B.getInt32Ty(), 4, "status", Exit);
  Owned = entryAlloca(B.getPtrTy(), "workspace.owned");
  B.CreateStore(llvm::ConstantPointerNull::get(B.getPtrTy()), Owned);
  if (llvm::Error E = emitPrologue())
    return E;
  // Each op starts a block of its own, where a large function may be cut
  // into parts (Outline.h); the epilogue's block ends the last part.
  std::vector<llvm::BasicBlock *> OpStarts;
  for (ir::ValueId I = F.getNumParams(); I < F.Ops.size(); ++I) {
    const ir::Op &O = F.Ops[I];
    if (SplitInstructions) {
      OpStarts.push_back(llvm::BasicBlock::Create(Ctx, "op", LF));
      B.CreateBr(OpStarts.back());
      B.SetInsertPoint(OpStarts.back());
    }
    // Each op that touches a tensor gets private copies of the dimensions,
    // loaded in a block of its own before its code (ShapeEnv::beginScope).
    if (F.touchesTensor(I) || O.Kind == OpKind::Return) {
      auto *Body = llvm::BasicBlock::Create(Ctx, "op.body", LF);
      Shapes.beginScope(B.CreateBr(Body));
      B.SetInsertPoint(Body);
    }
    if (O.Kind == OpKind::Return) {
      emitEpilogue(O.Operands[0]);
      Shapes.endScope();
      break;
    }
    // An op only one arm of a select of whole values needs runs when the
    // condition picks that arm (FusionPlan::Guard); ops that emit no code
    // need no branch. Nor does a select of tuples (nested in an arm of
    // another): it picks pointers, and its values, made in a guarded
    // block, would not dominate their users after it.
    llvm::BasicBlock *Skip = nullptr;
    bool EmitsCode = !Fusion.View[I] && !Fusion.Fused[I] &&
                     O.Kind != OpKind::Const && O.Kind != OpKind::Tuple &&
                     O.Kind != OpKind::Extract && O.Kind != OpKind::Reshape &&
                     !(O.Kind == OpKind::Select && O.Ty.isTuple());
    if (int64_t G = Fusion.Guard[I]; G >= 0 && EmitsCode) {
      const ir::Op &Sel = F.op(static_cast<ir::ValueId>(G / 2));
      auto *Run = llvm::BasicBlock::Create(Ctx, "op.guarded", LF);
      Skip = llvm::BasicBlock::Create(Ctx, "op.skipped", LF);
      llvm::Value *Cond = Vals[Sel.Operands[0]][0];
      if (G % 2)
        B.CreateCondBr(Cond, Run, Skip);
      else
        B.CreateCondBr(Cond, Skip, Run);
      B.SetInsertPoint(Run);
    }
    // A guarded op stays on this thread: emitOpInRows moves the blocks
    // after the op's first into a function of their own, and the guard's
    // skip block is among them.
    if (Skip || !emitOpInRows(I))
      emitOp(I);
    if (Skip) {
      B.CreateBr(Skip);
      B.SetInsertPoint(Skip);
    }
    Shapes.endScope();
    if (!O.Name.empty() && Vals[I].size() == 1 &&
        !llvm::isa<llvm::Constant>(Vals[I][0]) &&
        !llvm::isa<llvm::Argument>(Vals[I][0]) && !Vals[I][0]->hasName())
      Vals[I][0]->setName(O.Name);
  }
  // The exit frees a workspace this call allocated.
  Exit->moveAfter(&LF->back());
  B.SetInsertPoint(Exit);
  llvm::Value *P = B.CreateLoad(B.getPtrTy(), Owned);
  auto *Free = llvm::BasicBlock::Create(Ctx, "free", LF);
  auto *Ret = llvm::BasicBlock::Create(Ctx, "ret", LF);
  B.CreateCondBr(
      B.CreateICmpEQ(P, llvm::ConstantPointerNull::get(B.getPtrTy())), Ret,
      Free);
  B.SetInsertPoint(Free);
  B.CreateCall(LM.getOrInsertFunction("free", B.getVoidTy(), B.getPtrTy()),
               {P});
  B.CreateBr(Ret);
  B.SetInsertPoint(Ret);
  B.CreateRet(StatusPhi);
  outlineRegions(*LF, OpStarts, SplitInstructions);
  if (SizeFn)
    defineSizeFunction(SizeFn);
  return llvm::Error::success();
}
