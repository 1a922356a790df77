//===- Printer.cpp - The textual form of the IR ---------------------------===//
//
//   func @f(%x: f64, %y: f64) -> f64 {
//     %0 = add %x, %y : f64
//     return %0
//   }
//   func @df = grad @f wrt(0, 1)
//   instance net { fc1.W: f32[2, 3], fc1.b: f32[3] }
//
// Tensor types print their shapes (`f32[B, 784]`); ops with attributes
// print them after the operands (`reduce_sum %x axis=1`, `extract %t, 1`,
// `randn %seed stream=3`), a dim its dimension (`dim 2*n`); tensor
// constants list their elements row-major (`const [1, 2, 3, 4] : f64[2, 2]`).
//
//===----------------------------------------------------------------------===//
#include "ValueNames.h"
#include "nnc/IR/IR.h"

using namespace nnc;
using namespace nnc::ir;

static void printABIStructs(const Function::ABIStruct &P,
                            const Function::ABIStruct &R,
                            llvm::raw_ostream &OS) {
  if (P.Count)
    OS << " param_struct(" << P.First << ", " << P.Count << ", " << P.Instance
       << ')';
  if (R.Count)
    OS << " result_struct(" << R.First << ", " << R.Count << ", "
       << R.Instance << (R.IsGrads ? ", grads)" : ")");
}

/// An attribute after the operands: extract's index as one more operand
/// (`extract %t, 1`), the rest as `name=value` (`axis=1`, `stream=3`). A
/// dim's dimension is printed in place of operands, a param's index is its
/// position; IRParseOps.cpp reads the same forms.
static void printKeywordAttr(const Op &O, llvm::raw_ostream &OS) {
  switch (getAttrKind(O.Kind)) {
  case AttrKind::None:
  case AttrKind::Dim:
    return;
  case AttrKind::Index:
    if (O.Kind == OpKind::Extract)
      OS << ", " << O.getIndex();
    return;
  case AttrKind::Axis:
    OS << " axis=" << O.getAxis();
    return;
  case AttrKind::Stream:
    OS << " stream=" << O.getStream();
    return;
  // Slicing and permutation (issue 12, tensorops).
  case AttrKind::Steps:
  case AttrKind::Perm: {
    bool IsSteps = getAttrKind(O.Kind) == AttrKind::Steps;
    OS << (IsSteps ? " step=[" : " perm=[");
    size_t N = IsSteps ? O.getSteps().size() : O.getPerm().size();
    for (size_t J = 0; J < N; ++J)
      OS << (J ? ", " : "")
         << (IsSteps ? O.getSteps()[J] : int64_t(O.getPerm()[J]));
    OS << ']';
    return;
  }
  case AttrKind::Window: {
    // Convolution and pooling (issue 12): a pool's window first. Each is
    // one integer when both axes agree, else [rows, columns].
    const Window &W = O.getWindow();
    if (W.isPool())
      OS << " kernel=" << renderWindowPair(W.Kernel);
    OS << " stride=" << renderWindowPair(W.Stride)
       << " padding=" << renderWindowPair(W.Pad);
    return;
  }
  }
}

void ir::printFunction(const Function &F, llvm::raw_ostream &OS,
                       llvm::function_ref<std::string(ValueId)> Note) {
  std::vector<std::string> Names = assignValueNames(F, '.', false);
  OS << "func ";
  if (!F.Exported)
    OS << "internal ";
  OS << '@' << F.Name << '(';
  unsigned NumParams = F.getNumParams();
  for (unsigned I = 0; I < NumParams; ++I) {
    if (I)
      OS << ", ";
    OS << '%' << Names[I] << ": ";
    F.Ops[I].Ty.print(OS);
  }
  OS << ") -> ";
  F.ResultType.print(OS);
  if (!F.ResultNames.empty()) {
    OS << " results(";
    for (size_t I = 0; I < F.ResultNames.size(); ++I)
      OS << (I ? ", " : "") << F.ResultNames[I];
    OS << ')';
  }
  printABIStructs(F.ParamStruct, F.ResultStruct, OS);
  if (F.StateStruct.Count)
    OS << " state_struct(" << F.StateStruct.First << ", "
       << F.StateStruct.Count << ", " << F.StateStruct.Instance << ')';
  if (F.InPlace)
    OS << " in_place";
  if (F.returnsLayerState())
    OS << '(' << F.InPlaceField << ')';
  if (!F.BackwardFn.empty())
    OS << " backward @" << F.BackwardFn;
  OS << " {\n";
  for (size_t I = NumParams; I < F.Ops.size(); ++I) {
    const Op &O = F.Ops[I];
    OS << "  ";
    if (O.Kind == OpKind::Return) {
      OS << "return %" << Names[O.Operands[0]] << '\n';
      continue;
    }
    OS << '%' << Names[I] << " = " << getOpName(O.Kind);
    if (O.Kind == OpKind::Const && O.Ty.isTensor()) {
      OS << " [";
      for (size_t J = 0; J < O.Data.size(); ++J)
        OS << (J ? ", " : "")
           << (O.Ty.isFloat() ? formatDouble(O.Data[J])
               : O.Ty.isBool()
                   ? std::string(O.Data[J] != 0 ? "true" : "false")
                   : std::to_string(static_cast<int64_t>(O.Data[J])));
      OS << ']';
    } else if (O.Kind == OpKind::DimValue) {
      OS << ' ';
      O.getDim().print(OS);
    } else if (O.Kind == OpKind::Const) {
      if (O.Ty.isFloat())
        OS << ' ' << formatDouble(O.FloatValue);
      else if (O.Ty.isBool())
        OS << (O.IntValue ? " true" : " false");
      else
        OS << ' ' << O.IntValue;
    } else if (O.Kind == OpKind::Call) {
      OS << " @" << O.Callee << '(';
      for (size_t J = 0; J < O.Operands.size(); ++J)
        OS << (J ? ", " : "") << '%' << Names[O.Operands[J]];
      OS << ')';
    } else {
      for (size_t J = 0; J < O.Operands.size(); ++J)
        OS << (J ? ", " : " ") << '%' << Names[O.Operands[J]];
      printKeywordAttr(O, OS);
    }
    OS << " : ";
    O.Ty.print(OS);
    if (Note) {
      std::string Text = Note(I);
      if (!Text.empty())
        OS << "  ; " << Text;
    }
    OS << '\n';
  }
  OS << "}\n";
}

void ir::printModule(const Module &M, llvm::raw_ostream &OS) {
  bool First = true;
  for (const Module::Instance &I : M.Instances) {
    if (!First)
      OS << '\n';
    First = false;
    OS << "instance " << I.Name << (I.IsState ? " state {" : " {");
    for (size_t J = 0; J < I.Params.size(); ++J) {
      OS << (J ? ", " : " ")
         << (J >= I.getNumParams() ? "state " : "") << I.Params[J].first
         << ": ";
      I.Params[J].second.print(OS);
    }
    OS << " }\n";
  }
  for (const auto &F : M.Functions) {
    if (!First)
      OS << '\n';
    First = false;
    printFunction(*F, OS);
  }
  for (const DerivedDecl &D : M.Derived) {
    if (!First)
      OS << '\n';
    First = false;
    OS << "func " << (D.Exported ? "" : "internal ") << '@' << D.Name << " = "
       << getDeriveKindName(D.Kind) << " @" << D.Of << " wrt(";
    for (size_t I = 0; I < D.Wrt.size(); ++I)
      OS << (I ? ", " : "") << D.Wrt[I];
    OS << ')';
    if (D.Kind == DeriveKind::TrainStep)
      OS << " optimizer(" << getOptimizerName(D.Opt) << ')';
    printABIStructs(D.ParamStruct, D.ResultStruct, OS);
    if (D.StateStruct.Count)
      OS << " state_struct(" << D.StateStruct.First << ", "
         << D.StateStruct.Count << ", " << D.StateStruct.Instance << ')';
    OS << '\n';
  }
}
