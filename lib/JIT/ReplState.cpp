//===- ReplState.cpp - Values and instance parameters a session holds -----===//
//
// Most of a session is source text, compiled again with every input. Two
// things are not: the value of a top-level `let x = <expr>`, computed once,
// and the parameters of each layer instance, initialized once and then
// changed only by training. Both are StoredTensors of their SessionDecl,
// which every expression receives as arguments of its wrapper
// (SessionArgs): `net.forward(x)` compiles to a call of `net_forward` with
// the session's `net.fc1.W`, ... and `x`.
//
//===----------------------------------------------------------------------===//
#include "nnc/AST/AST.h"
#include "nnc/JIT/Candidate.h"
#include "nnc/JIT/Interrupt.h"
#include "nnc/JIT/Repl.h"
#include "llvm/Support/WithColor.h"
#include <cmath>

using namespace nnc;
using namespace nnc::jit;

/// Whether \p Name is a layer of \p C's declarations or of the session.
static bool isLayer(Candidate &C, const Session &S, llvm::StringRef Name) {
  for (const ast::DeclPtr &D : C.getAST().Decls)
    if (D->Name == Name)
      return llvm::isa<ast::LayerDecl>(D.get());
  // A session declaration's text starts where its keyword does.
  const SessionDecl *D = S.lookup(Name);
  if (!D || D->IsValue)
    return false;
  llvm::StringRef T = llvm::StringRef(D->Text).ltrim();
  return T.consume_front("layer") && !T.empty() &&
         (T[0] == ' ' || T[0] == '\t' || T[0] == '\n' || T[0] == '\r');
}

const ast::LetDecl *jit::findValueLet(Candidate &C, const Session &S) {
  for (const ast::DeclPtr &D : C.getAST().Decls) {
    const auto *L = llvm::dyn_cast<ast::LetDecl>(D.get());
    if (!L)
      continue;
    const auto *Call = llvm::dyn_cast_or_null<ast::CallExpr>(L->Value.get());
    const auto *N =
        Call ? llvm::dyn_cast<ast::NameExpr>(Call->Callee.get()) : nullptr;
    if (!N || !isLayer(C, S, N->Name))
      return L;
  }
  return nullptr;
}

/// `3`, `-1`, `[[1, 2], [3, -4]]`: integers only.
static bool isIntegerLiteral(const ast::Expr &E) {
  if (const auto *N = llvm::dyn_cast<ast::NumberExpr>(&E))
    return N->IsInteger;
  if (const auto *U = llvm::dyn_cast<ast::UnaryExpr>(&E))
    return U->Op == ast::UnaryOp::Neg && isIntegerLiteral(*U->Operand);
  if (const auto *T = llvm::dyn_cast<ast::TensorLitExpr>(&E))
    return llvm::all_of(T->Elements, [](const ast::ExprPtr &X) {
      return isIntegerLiteral(*X);
    });
  return false;
}

Outcome Repl::declareValue(Candidate &Decl, const Input &In,
                           const ast::LetDecl &V) {
  std::string Name = V.Name;
  // Integers alone make i64 values, as NumPy's `np.array([1, 2])` does
  // (labels); the literal is computed as f64, exact to 2^53.
  bool ToI64 = isIntegerLiteral(*V.Value);

  // A value may replace a declaration only if nothing else needs it.
  const SessionDecl *Old = S.lookup(Name);
  if (Old && !Old->IsValue) {
    Candidate Rest(S, Err, Opts.ShowColors);
    llvm::StringSet<> Except;
    Except.insert(Name);
    Rest.addSession(Except);
    if (!Rest.check())
      return failure();
  }

  bool FunctionValued = false;
  std::unique_ptr<Candidate> C = compileExpression(
      S, In, Err, Opts.ShowColors, Opts.MaxOps, FunctionValued, Name);
  if (FunctionValued) {
    Decl.getDiags().report(V.Value->getRange(), DiagID::err_syntax,
                           "a 'let' holds a value; this names a function "
                           "(call it, or declare it with 'fn " +
                               Name + " = ...')");
    return failure();
  }
  Outcome Stopped, O;
  std::optional<Value> Result = runExpression(C.get(), In, Stopped, &O);
  if (!Result)
    return Stopped;
  std::optional<StoredTensor> T = storeValue(Name, *Result);
  // Beyond 2^63 a double has no i64: such a literal stays f64.
  if (T && ToI64 && T->Elem == ElementKind::F64 &&
      llvm::all_of(llvm::ArrayRef(static_cast<const double *>(T->data()),
                                  T->getNumElements()),
                   [](double D) { return std::abs(D) < 0x1p63; })) {
    StoredTensor I(Name, ElementKind::I64, T->Shape);
    const auto *From = static_cast<const double *>(T->data());
    auto *To = static_cast<int64_t *>(I.data());
    for (int64_t K = 0; K < T->getNumElements(); ++K)
      To[K] = static_cast<int64_t>(From[K]);
    T = std::move(I);
  }
  if (!T) {
    Decl.getDiags().report(V.Value->getRange(), DiagID::err_syntax,
                           "a 'let' holds a scalar or a tensor, not a tuple; "
                           "give each element a 'let' of its own");
    return failure();
  }
  SessionDecl D;
  D.Name = Name;
  D.SourceName = In.SourceName;
  D.Line = In.Line;
  D.IsValue = true;
  D.Data = std::make_shared<std::vector<StoredTensor>>(
      std::vector<StoredTensor>{std::move(*T)});
  O.Added.push_back(std::move(D));
  return O;
}

bool Repl::takeSessionState(Candidate &C, Value &V, Outcome &Effects) {
  // In training mode each expression that draws dropout masks draws them
  // from the next seed: one whose code reads the seed.
  SessionArgs A = getSessionArgs(S);
  if (S.isTraining())
    if (const ir::Function *F = C.getIR().lookup(ExprWrapperName)) {
      auto It = llvm::find(A.Names, ".seed");
      bool ReadsSeed = false;
      for (const ir::Op &O : F->Ops)
        ReadsSeed |= It != A.Names.end() &&
                     llvm::is_contained(
                         O.Operands,
                         static_cast<ir::ValueId>(It - A.Names.begin()));
      if (ReadsSeed)
        Effects.Mode = {true, S.getSeed() + 1};
    }
  const ast::FnDecl *Wrapper = nullptr;
  for (const ast::DeclPtr &D : C.getAST().Decls)
    if (D->Name == ExprWrapperName)
      Wrapper = llvm::dyn_cast<ast::FnDecl>(D.get());
  if (!Wrapper || Wrapper->UpdatedSessionState.empty())
    return true;
  // The expression called methods that update layer state: its value is
  // followed by the state's new values (IRGen), which the instances keep.
  const std::vector<unsigned> &Updated = Wrapper->UpdatedSessionState;
  if (V.getKind() != Value::TupleValue ||
      V.getElements().size() != 1 + Updated.size()) {
    C.error(llvm::SMLoc(), "internal error: the layer state an expression "
                           "updates is missing from its result");
    return false;
  }
  for (size_t K = 0; K < Updated.size(); ++K) {
    const StoredTensor *Old =
        Updated[K] < A.Tensors.size() ? A.Tensors[Updated[K]] : nullptr;
    // The instance whose struct holds it, and where.
    const SessionDecl *Owner = nullptr;
    size_t Field = 0;
    for (const SessionDecl &D : S.getDecls())
      if (!D.IsValue && D.Data)
        for (size_t J = 0; J < D.Data->size(); ++J)
          if (&(*D.Data)[J] == Old) {
            Owner = &D;
            Field = J;
          }
    std::optional<StoredTensor> New;
    if (Owner)
      New = storeValue(Old->Name, V.getElements()[1 + K]);
    if (!New || New->Elem != Old->Elem || New->Shape != Old->Shape) {
      C.error(llvm::SMLoc(), "internal error: an expression updated layer "
                             "state the session does not hold");
      return false;
    }
    // Copy on write: a declaration's data is shared, never changed.
    SessionDecl *Entry = nullptr;
    for (SessionDecl &D : Effects.Added)
      if (D.Name == Owner->Name)
        Entry = &D;
    if (!Entry) {
      Effects.Added.push_back(*Owner);
      Entry = &Effects.Added.back();
    }
    auto Data = std::make_shared<std::vector<StoredTensor>>(*Entry->Data);
    (*Data)[Field] = std::move(*New);
    Entry->Data = std::move(Data);
  }
  Value Result = V.getElements()[0];
  V = std::move(Result);
  return true;
}

Outcome Repl::mode(llvm::StringRef Arg) {
  llvm::SmallVector<llvm::StringRef, 3> Words;
  Arg.split(Words, ' ', -1, /*KeepEmpty=*/false);
  Outcome O;
  int64_t Seed = 0;
  if (Words.empty()) {
    if (S.isTraining())
      Out << "train (next seed " << S.getSeed() << ")\n";
    else
      Out << "eval\n";
    return O;
  }
  if (Words.size() == 1 && Words[0] == "eval") {
    O.Mode = {false, 0};
    return O;
  }
  if (Words[0] == "train" &&
      (Words.size() == 1 ||
       (Words.size() == 2 && !Words[1].getAsInteger(10, Seed)))) {
    O.Mode = {true, Seed};
    return O;
  }
  llvm::WithColor::error(Err, "nnc-repl")
      << ":mode takes 'train', 'train SEED' (an integer) or 'eval', not '"
      << Arg << "'\n";
  return failure();
}

std::optional<std::vector<StoredTensor>>
Repl::initInstance(Candidate &C, const ir::Module::Instance &I) {
  std::vector<StoredTensor> Params;
  if (I.Params.empty())
    return Params;
  if (llvm::Error E = ensureEngine()) {
    llvm::WithColor::error(Err, "nnc-repl")
        << llvm::toString(std::move(E)) << '\n';
    return std::nullopt;
  }
  std::string InitName = I.Name + "_init";
  ir::Function *F = C.getIR().lookup(InitName);
  if (!F) {
    C.error(llvm::SMLoc(), "internal error: no '" + InitName + "'");
    return std::nullopt;
  }
  // Each parameter its own result, not the C struct: the session holds
  // them apart.
  F->ResultStruct = {};
  auto Code = JIT->compile(C.getIR(), InitName);
  if (!Code) {
    if (wasInterrupted())
      llvm::consumeError(Code.takeError());
    else
      llvm::WithColor::error(Err, "nnc-repl")
          << llvm::toString(Code.takeError()) << '\n';
    return std::nullopt;
  }
  CompiledCall &Call = **Code;
  int64_t Seed = 0;
  Call.setArg(0, &Seed);
  if (!runInterruptibly([&] { Call.call(); }))
    return std::nullopt;
  llvm::Expected<Value> V = Call.result();
  if (!V) {
    llvm::WithColor::error(Err, "nnc-repl")
        << "initializing '" << I.Name << "': " << llvm::toString(V.takeError())
        << '\n';
    return std::nullopt;
  }
  std::vector<Value> Leaves;
  if (I.Params.size() == 1)
    Leaves.push_back(*V);
  else
    Leaves = V->getElements();
  for (size_t K = 0; K < I.Params.size() && K < Leaves.size(); ++K) {
    std::optional<StoredTensor> T = storeValue(I.Params[K].first, Leaves[K]);
    if (!T)
      return std::nullopt;
    Params.push_back(std::move(*T));
  }
  return Params;
}

/// Whether \p Held are the parameters \p I has (names, kinds, shapes).
static bool sameParams(const std::vector<StoredTensor> &Held,
                       const ir::Module::Instance &I) {
  if (Held.size() != I.Params.size())
    return false;
  for (size_t K = 0; K < Held.size(); ++K) {
    const auto &[Name, Ty] = I.Params[K];
    if (Held[K].Name != Name || Held[K].Elem != Ty.getElementKind() ||
        Held[K].Shape.size() != Ty.getShape().size())
      return false;
    for (size_t D = 0; D < Held[K].Shape.size(); ++D)
      if (Held[K].Shape[D] != Ty.getShape()[D].Factor)
        return false;
  }
  return true;
}

bool Repl::initInstances(Candidate &C, const llvm::StringSet<> &Declared,
                         std::vector<SessionDecl> &Added) {
  for (const ir::Module::Instance &I : C.getIR().Instances) {
    if (I.IsState)
      continue;
    SessionDecl *Entry = nullptr;
    if (Declared.contains(I.Name)) {
      for (SessionDecl &D : Added)
        if (D.Name == I.Name)
          Entry = &D;
    } else if (const SessionDecl *Old = S.lookup(I.Name)) {
      // An instance of a redefined layer keeps its parameters while they
      // keep their names, types and shapes.
      if (Old->Data && sameParams(*Old->Data, I))
        continue;
      Added.push_back(*Old);
      Entry = &Added.back();
      if (Old->Data)
        llvm::WithColor::note(Err, "nnc-repl")
            << "the parameters of '" << I.Name
            << "' changed with its layer; they are initialized again\n";
    }
    if (!Entry)
      continue;
    std::optional<std::vector<StoredTensor>> Params = initInstance(C, I);
    if (!Params)
      return false;
    Entry->Data =
        std::make_shared<std::vector<StoredTensor>>(std::move(*Params));
  }
  return true;
}
