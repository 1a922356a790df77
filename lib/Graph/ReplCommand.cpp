//===- ReplCommand.cpp - The REPL's :graph ---------------------------------===//
//
// `:graph f(-2, 5, -4) [-o FILE]`: each argument is an expression of the
// session, evaluated as the REPL evaluates one; the circuit is then built
// at those values (GraphOptions::Positional) exactly as `nnc graph` builds
// it, and written to FILE.
//
//===----------------------------------------------------------------------===//
#include "GraphInternal.h"
#include "nnc/Check/Check.h"
#include "nnc/JIT/Engine.h"
#include "nnc/JIT/Session.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/WithColor.h"

using namespace nnc;
using namespace nnc::graph;

namespace {

/// The call `name(a, b, ...)` split into the name and the arguments'
/// texts (commas inside brackets do not split), and what follows it.
struct CallText {
  std::string Name;
  std::vector<std::string> Args;
  llvm::StringRef Rest;
};

std::optional<CallText> splitCall(llvm::StringRef Text) {
  size_t Open = Text.find('(');
  if (Open == llvm::StringRef::npos)
    return std::nullopt;
  CallText C;
  C.Name = Text.take_front(Open).trim().str();
  if (C.Name.empty() ||
      !llvm::all_of(C.Name, [](char Ch) {
        return llvm::isAlnum(Ch) || Ch == '_' || Ch == '.';
      }))
    return std::nullopt;
  int Depth = 0;
  size_t Start = Open + 1;
  for (size_t I = Open; I < Text.size(); ++I) {
    char Ch = Text[I];
    if (Ch == '(' || Ch == '[')
      ++Depth;
    else if (Ch == ')' || Ch == ']')
      --Depth;
    if ((Ch == ',' && Depth == 1) || Depth == 0) {
      llvm::StringRef Arg = Text.slice(Start, I).trim();
      if (!Arg.empty() || Ch == ',' || !C.Args.empty())
        C.Args.push_back(Arg.str());
      Start = I + 1;
    }
    if (Depth == 0) {
      C.Rest = Text.drop_front(I + 1).trim();
      return C;
    }
  }
  return std::nullopt;
}

} // namespace

bool graph::runReplCommand(jit::Session &S, const jit::Input &Arg,
                           llvm::raw_ostream &Out, llvm::raw_ostream &Err) {
  auto Fail = [&](const llvm::Twine &Message) {
    llvm::WithColor::error(Err, "nnc-repl") << Message << '\n';
    return false;
  };
  std::optional<CallText> Call = splitCall(llvm::StringRef(Arg.Text).trim());
  if (!Call)
    return Fail(":graph needs a call, such as :graph f(-2, 5, -4) "
                "[-o f.svg]");
  std::string File;
  if (!Call->Rest.empty()) {
    if (!Call->Rest.consume_front("-o") || Call->Rest.trim().empty())
      return Fail(":graph: after the call, only -o FILE may follow");
    File = Call->Rest.trim().str();
    llvm::StringRef Ext = llvm::sys::path::extension(File);
    if (Ext != ".dot" && Ext != ".gv" && Ext != ".svg" && Ext != ".png" &&
        Ext != ".pdf")
      return Fail("cannot write '" + File +
                  "': give a .dot, .gv, .svg, .png or .pdf file");
  }
  if (File.empty()) {
    // `net.loss` draws into net_loss.svg; .dot when Graphviz is missing.
    std::string Base = Call->Name;
    std::replace(Base.begin(), Base.end(), '.', '_');
    File = Base + (llvm::sys::findProgramByName("dot") ? ".svg" : ".dot");
  }

  auto JIT = jit::Engine::create();
  if (!JIT)
    return Fail(llvm::toString(JIT.takeError()));
  GraphOptions Opts;
  Opts.Function = Call->Name;
  Opts.UsePositional = true;
  for (size_t I = 0; I < Call->Args.size(); ++I) {
    std::string Why;
    std::optional<jit::Value> V =
        check::evaluateExpression(S, **JIT, Call->Args[I], Why);
    if (!V) {
      // The message without the place inside the REPL's own wrapper.
      llvm::StringRef Tag = ": error: ";
      size_t At = Why.find(Tag);
      if (At != std::string::npos)
        Why = Why.substr(At + Tag.size());
      return Fail("argument " + llvm::Twine(I + 1) + " of :graph: " + Why);
    }
    ArgSpec A;
    A.Kind = ArgSpec::Given;
    A.Value = std::move(*V);
    Opts.Positional.push_back(std::move(A));
  }
  std::string Diags;
  llvm::raw_string_ostream DOS(Diags);
  llvm::Expected<Circuit> C = buildCircuit(S, **JIT, Opts, DOS);
  if (!C) {
    Err << Diags;
    return Fail(llvm::toString(C.takeError()));
  }
  std::string Dot;
  llvm::raw_string_ostream Text(Dot);
  printDot(*C, Text);
  if (llvm::Error E = writeDot(Dot, File))
    return Fail(llvm::toString(std::move(E)));
  Out << "wrote " << File << '\n';
  return true;
}
