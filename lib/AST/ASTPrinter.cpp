//===- ASTPrinter.cpp - The AST as indented S-expressions -----------------===//
//
// `nnc --emit=ast` prints the syntax tree so that tests can check what the
// parser built. Declarations, statements and layer members each start a new
// line; an expression is printed on one line. Types appear only where the
// source annotated them, attached to the name (`x:f32[B,784]`), so every atom
// stays free of spaces. The output depends only on the tree.
//
//===----------------------------------------------------------------------===//

#include "nnc/AST/AST.h"

using namespace nnc;
using namespace nnc::ast;

namespace {

class ASTPrinter {
public:
  explicit ASTPrinter(llvm::raw_ostream &OS) : OS(OS) {}

  void printModule(const Module &M);

private:
  void newLine() {
    OS << '\n';
    OS.indent(Indent);
  }
  void printType(const TypeSyntax &T);
  void printNameAndType(llvm::StringRef Name,
                        const std::optional<TypeSyntax> &T);
  void printParams(const std::vector<Param> &Params);
  void printStmts(const std::vector<Stmt> &Body);
  void printFn(const FnDecl &F);
  void printLayer(const LayerDecl &L);
  void printDecl(const Decl &D);
  void printArgs(const std::vector<Arg> &Args);
  void printExpr(const Expr *E);

  llvm::raw_ostream &OS;
  unsigned Indent = 0;
};

} // namespace

void ASTPrinter::printType(const TypeSyntax &T) {
  if (T.IsTuple) {
    OS << '(';
    for (size_t I = 0, E = T.Elements.size(); I != E; ++I) {
      if (I)
        OS << ',';
      printType(T.Elements[I]);
    }
    OS << ')';
    return;
  }
  OS << T.Name;
  if (!T.HasShape)
    return;
  OS << '[';
  for (size_t I = 0, E = T.Dims.size(); I != E; ++I) {
    if (I)
      OS << ',';
    const auto &Fs = T.Dims[I].Factors;
    for (size_t J = 0; J < Fs.size(); ++J) {
      if (J)
        OS << '*';
      if (Fs[J].Name.empty())
        OS << Fs[J].Size;
      else
        OS << Fs[J].Name;
    }
  }
  OS << ']';
}

void ASTPrinter::printNameAndType(llvm::StringRef Name,
                                  const std::optional<TypeSyntax> &T) {
  OS << Name;
  if (T) {
    OS << ':';
    printType(*T);
  }
}

void ASTPrinter::printParams(const std::vector<Param> &Params) {
  OS << "(params";
  for (const Param &P : Params) {
    OS << ' ';
    printNameAndType(P.Name, P.DeclaredType);
  }
  OS << ')';
}

void ASTPrinter::printStmts(const std::vector<Stmt> &Body) {
  for (const Stmt &S : Body) {
    newLine();
    if (S.TheKind == Stmt::Let) {
      OS << "(let ";
      printNameAndType(S.Name, S.DeclaredType);
      OS << ' ';
    } else if (S.TheKind == Stmt::Assign) {
      OS << "(assign " << S.Name << ' ';
    } else {
      OS << "(return ";
    }
    printExpr(S.Value.get());
    OS << ')';
  }
}

void ASTPrinter::printFn(const FnDecl &F) {
  OS << "(fn " << F.Name << ' ';
  printParams(F.Params);
  if (F.DeclaredResult) {
    OS << " (result ";
    printType(*F.DeclaredResult);
    OS << ')';
  }
  Indent += 2;
  printStmts(F.Body);
  if (F.Backward) {
    newLine();
    OS << "(backward " << F.Backward->GradName;
    Indent += 2;
    printStmts(F.Backward->Body);
    Indent -= 2;
    OS << ')';
  }
  Indent -= 2;
  OS << ')';
}

void ASTPrinter::printLayer(const LayerDecl &L) {
  OS << "(layer " << L.Name << ' ';
  printParams(L.Params);
  Indent += 2;
  for (const LayerMember &M : L.Members) {
    newLine();
    switch (M.TheKind) {
    case LayerMember::Param:
    case LayerMember::State:
      OS << (M.TheKind == LayerMember::Param ? "(param " : "(state ");
      printNameAndType(M.Name, M.ParamType);
      if (M.Init) {
        OS << ' ';
        printExpr(M.Init.get());
      }
      OS << ')';
      break;
    case LayerMember::SubLayer:
      OS << "(sublayer " << M.Name << ' ' << M.LayerName;
      printArgs(M.LayerArgs);
      OS << ')';
      break;
    case LayerMember::Method:
      if (M.MethodDecl)
        printFn(*M.MethodDecl);
      else
        OS << "(method <null>)";
      break;
    }
  }
  Indent -= 2;
  OS << ')';
}

void ASTPrinter::printDecl(const Decl &D) {
  if (const auto *F = llvm::dyn_cast<FnDecl>(&D)) {
    printFn(*F);
  } else if (const auto *DF = llvm::dyn_cast<DerivedFnDecl>(&D)) {
    OS << "(derived " << DF->Name << ' ';
    printExpr(DF->Value.get());
    OS << ')';
  } else if (const auto *L = llvm::dyn_cast<LayerDecl>(&D)) {
    printLayer(*L);
  } else if (const auto *LD = llvm::dyn_cast<LetDecl>(&D)) {
    OS << "(let " << LD->Name << ' ';
    printExpr(LD->Value.get());
    OS << ')';
  }
}

/// Prints ` a b axis=1`: each argument after a space.
void ASTPrinter::printArgs(const std::vector<Arg> &Args) {
  for (const Arg &A : Args) {
    OS << ' ';
    if (!A.Name.empty())
      OS << A.Name << '=';
    printExpr(A.Value.get());
  }
}

void ASTPrinter::printExpr(const Expr *E) {
  if (isStackNearlyExhausted())
    return continueOnNewStack([&] { printExpr(E); });
  if (!E) {
    OS << "<null>";
    return;
  }
  switch (E->getKind()) {
  case Expr::EK_Number:
    OS << llvm::cast<NumberExpr>(E)->Spelling;
    return;
  case Expr::EK_Bool:
    OS << (llvm::cast<BoolExpr>(E)->Value ? "true" : "false");
    return;
  case Expr::EK_Name:
    OS << llvm::cast<NameExpr>(E)->Name;
    return;
  case Expr::EK_Unary: {
    const auto *U = llvm::cast<UnaryExpr>(E);
    OS << (U->Op == UnaryOp::Neg ? "(- " : "(! ");
    printExpr(U->Operand.get());
    OS << ')';
    return;
  }
  case Expr::EK_Binary: {
    const auto *B = llvm::cast<BinaryExpr>(E);
    OS << '(' << getBinaryOpSpelling(B->Op) << ' ';
    printExpr(B->LHS.get());
    OS << ' ';
    printExpr(B->RHS.get());
    OS << ')';
    return;
  }
  case Expr::EK_Call: {
    const auto *C = llvm::cast<CallExpr>(E);
    OS << "(call ";
    printExpr(C->Callee.get());
    printArgs(C->Args);
    OS << ')';
    return;
  }
  case Expr::EK_Member: {
    const auto *M = llvm::cast<MemberExpr>(E);
    OS << "(member ";
    printExpr(M->Base.get());
    OS << ' ' << M->Member << ')';
    return;
  }
  case Expr::EK_If: {
    const auto *I = llvm::cast<IfExpr>(E);
    OS << "(if ";
    printExpr(I->Cond.get());
    OS << ' ';
    printExpr(I->Then.get());
    OS << ' ';
    printExpr(I->Else.get());
    OS << ')';
    return;
  }
  case Expr::EK_Index: {
    // (index x 0 (: 1 3 _) ...): a range prints its parts, `_` for none.
    const auto *X = llvm::cast<IndexExpr>(E);
    OS << "(index ";
    printExpr(X->Base.get());
    for (const IndexItem &I : X->Items) {
      OS << ' ';
      if (I.TheKind == IndexItem::Ellipsis) {
        OS << "...";
      } else if (I.TheKind == IndexItem::Single) {
        printExpr(I.Start.get());
      } else {
        OS << "(:";
        for (const ExprPtr *P : {&I.Start, &I.Stop, &I.Step}) {
          OS << ' ';
          if (*P)
            printExpr(P->get());
          else
            OS << '_';
        }
        OS << ')';
      }
    }
    OS << ')';
    return;
  }
  case Expr::EK_Tuple:
  case Expr::EK_TensorLit: {
    bool IsTuple = E->getKind() == Expr::EK_Tuple;
    const std::vector<ExprPtr> &Elts =
        IsTuple ? llvm::cast<TupleExpr>(E)->Elements
                : llvm::cast<TensorLitExpr>(E)->Elements;
    OS << (IsTuple ? "(tuple" : "(tensor");
    for (const ExprPtr &Elt : Elts) {
      OS << ' ';
      printExpr(Elt.get());
    }
    OS << ')';
    return;
  }
  }
}

void ASTPrinter::printModule(const Module &M) {
  OS << "(module " << M.Name;
  Indent += 2;
  for (const DeclPtr &D : M.Decls) {
    newLine();
    if (D)
      printDecl(*D);
  }
  Indent -= 2;
  OS << ")\n";
}

void ast::printModule(const Module &M, llvm::raw_ostream &OS) {
  ASTPrinter(OS).printModule(M);
}
