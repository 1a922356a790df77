//===- Target.cpp - Target machines, the -O pipelines, object files -------===//
#include "nnc/CodeGen/CodeGen.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Analysis/CGSCCPassManager.h"
#include "llvm/Analysis/LoopAnalysisManager.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/OptBisect.h"
#include "llvm/IR/PassInstrumentation.h"
#include "llvm/IR/PassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/StandardInstrumentations.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include <mutex>

using namespace nnc;

static void initializeTargets() {
  static std::once_flag Once;
  std::call_once(Once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    llvm::InitializeAllAsmParsers();
  });
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
nnc::createTargetMachine(const CodeGenOptions &Opts) {
  initializeTargets();
  std::string TripleName = Opts.TargetTriple.empty()
                               ? llvm::sys::getDefaultTargetTriple()
                               : llvm::Triple::normalize(Opts.TargetTriple);
  std::string Error;
  const llvm::Target *T = llvm::TargetRegistry::lookupTarget(TripleName, Error);
  if (!T)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "unknown target '" + Opts.TargetTriple +
                                       "': " + Error);
  std::string CPU = Opts.CPU;
  if (CPU.empty())
    CPU = Opts.TargetTriple.empty() ? "native" : "generic";
  llvm::Triple Triple(TripleName);
  std::string Features;
  if (CPU == "native") {
    // The name and the features: a virtual machine may hide some of what
    // its CPU's name implies (AVX-512 on a Zen 4 guest).
    CPU = llvm::sys::getHostCPUName().str();
    for (const auto &F : llvm::sys::getHostCPUFeatures())
      Features += (Features.empty() ? "" : ",") +
                  std::string(F.getValue() ? "+" : "-") + F.getKey().str();
  }
  if (CPU == "generic" && Triple.getArch() == llvm::Triple::x86_64)
    CPU = "x86-64";
  llvm::TargetOptions TO;
  // LLVM's RISC-V default is the soft-float RV64I ABI; Linux distributions
  // use RV64GC with hardware floats, so code must match to link with them.
  if (Triple.isRISCV()) {
    if (Features.empty())
      Features = "+m,+a,+f,+d,+c";
    TO.MCOptions.ABIName = Triple.isRISCV64() ? "lp64d" : "ilp32d";
  }
  llvm::CodeGenOptLevel Level = llvm::CodeGenOptLevel::Default;
  switch (Opts.OptLevel) {
  case 0: Level = llvm::CodeGenOptLevel::None; break;
  case 1: Level = llvm::CodeGenOptLevel::Less; break;
  case 3: Level = llvm::CodeGenOptLevel::Aggressive; break;
  default: break;
  }
  std::unique_ptr<llvm::TargetMachine> TM(T->createTargetMachine(
      TripleName, CPU, Features, TO, llvm::Reloc::PIC_, std::nullopt, Level));
  if (!TM)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot create a target machine for '" +
                                       TripleName + "'");
  return TM;
}

/// The function a function or loop pass runs on; null for module and
/// call-graph passes.
static const llvm::Function *functionOf(const llvm::Any &IR) {
  if (const auto *F = llvm::any_cast<const llvm::Function *>(&IR))
    return *F;
  if (const auto *L = llvm::any_cast<const llvm::Loop *>(&IR))
    return (*L)->getHeader()->getParent();
  return nullptr;
}

/// Whether a hand-built function (HandBuiltAttr) gets \p Pass. Its loops are
/// already vectorized, blocked and in their final order, with unrolling
/// disabled: what is left is cleaning the builder's plain arithmetic
/// (constant strides, selects of a layout, repeated address computations)
/// and hoisting what does not change along k. The O2 function pipeline's
/// other passes (the vectorizers, GVN, unrolling, loop idiom and deletion,
/// jump threading...) found nothing there and took most of the kernel's
/// optimization time (docs/performance.md, "Compile time").
static bool isHandBuiltPass(llvm::StringRef Pass) {
  return llvm::StringSwitch<bool>(Pass)
      .Cases("InstCombinePass", "SimplifyCFGPass", "EarlyCSEPass", "LICMPass",
             "SROAPass", true)
      .Cases("LoopSimplifyPass", "LCSSAPass", "IndVarSimplifyPass",
             "LoopRotatePass", true)
      .Default(false);
}

void nnc::optimizeLLVMModule(llvm::Module &LM, llvm::TargetMachine &TM,
                             unsigned OptLevel) {
  llvm::LoopAnalysisManager LAM;
  llvm::FunctionAnalysisManager FAM;
  llvm::CGSCCAnalysisManager CGAM;
  llvm::ModuleAnalysisManager MAM;
  // The context's pass gate (-opt-bisect-limit, or the REPL's Ctrl-C) may
  // skip optional passes, here as in the legacy pass manager of codegen.
  llvm::PassInstrumentationCallbacks PIC;
  llvm::OptPassGate &Gate = LM.getContext().getOptPassGate();
  if (Gate.isEnabled())
    PIC.registerShouldRunOptionalPassCallback(
        [&Gate](llvm::StringRef Pass, llvm::Any) {
          return Gate.shouldRunPass(Pass, "module");
        });
  PIC.registerShouldRunOptionalPassCallback(
      [](llvm::StringRef Pass, llvm::Any IR) {
        const llvm::Function *F = functionOf(IR);
        return !F || !F->hasFnAttribute(HandBuiltAttr) || isHandBuiltPass(Pass);
      });
  // The standard instrumentation makes --time-passes (and -print-after-all
  // style options) cover this pipeline, not only codegen's.
  llvm::StandardInstrumentations SI(LM.getContext(), /*DebugLogging=*/false);
  SI.registerCallbacks(PIC, &MAM);
  llvm::PassBuilder PB(&TM, llvm::PipelineTuningOptions(), std::nullopt, &PIC);
  PB.registerModuleAnalyses(MAM);
  PB.registerCGSCCAnalyses(CGAM);
  PB.registerFunctionAnalyses(FAM);
  PB.registerLoopAnalyses(LAM);
  PB.crossRegisterProxies(LAM, FAM, CGAM, MAM);
  llvm::OptimizationLevel Level = llvm::OptimizationLevel::O2;
  switch (OptLevel) {
  case 0: Level = llvm::OptimizationLevel::O0; break;
  case 1: Level = llvm::OptimizationLevel::O1; break;
  case 3: Level = llvm::OptimizationLevel::O3; break;
  default: break;
  }
  llvm::ModulePassManager MPM =
      OptLevel == 0 ? PB.buildO0DefaultPipeline(Level)
                    : PB.buildPerModuleDefaultPipeline(Level);
  MPM.run(LM, MAM);
}

llvm::Error nnc::emitMachineCode(llvm::Module &LM, llvm::TargetMachine &TM,
                                 OutputKind Kind,
                                 llvm::raw_pwrite_stream &OS) {
  llvm::legacy::PassManager PM;
  auto FileType = Kind == OutputKind::Object
                      ? llvm::CodeGenFileType::ObjectFile
                      : llvm::CodeGenFileType::AssemblyFile;
  if (TM.addPassesToEmitFile(PM, OS, nullptr, FileType))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the target cannot emit this file type");
  PM.run(LM);
  return llvm::Error::success();
}
