//===- Progress.cpp - The progress bar and the per-epoch lines ------------===//
#include "nnc/Train/Trainer.h"
#include "llvm/Support/Format.h"
#include <cmath>

using namespace nnc;
using namespace nnc::train;

/// `1:05` or `1:02:05`.
static std::string formatDuration(double Seconds) {
  long S = std::lround(std::max(0.0, Seconds));
  char Buf[32];
  if (S >= 3600)
    std::snprintf(Buf, sizeof Buf, "%ld:%02ld:%02ld", S / 3600, S / 60 % 60,
                  S % 60);
  else
    std::snprintf(Buf, sizeof Buf, "%ld:%02ld", S / 60, S % 60);
  return Buf;
}

void ProgressPrinter::operator()(const Progress &P) {
  double Rate = P.Seconds > 0 ? P.Samples / P.Seconds : 0;
  if (!P.EpochDone) {
    if (!Terminal)
      return;
    // Redrawn at most ten times a second: drawing costs more than a step.
    if (LastDraw >= 0 && P.Seconds - LastDraw < 0.1 && P.Seconds >= LastDraw)
      return;
    LastDraw = P.Seconds;
    constexpr int Width = 24;
    double Frac = P.EpochSamples ? double(P.Samples) / P.EpochSamples : 1;
    int Filled = static_cast<int>(Frac * Width);
    std::string Bar(Filled, '=');
    if (Filled < Width)
      Bar += '>';
    Bar.resize(Width, ' ');
    double ETA = Rate > 0 ? (P.EpochSamples - P.Samples) / Rate : 0;
    OS << "\r\x1b[K" << "epoch " << P.Epoch << "/" << P.Epochs << " ["
       << Bar << "] " << llvm::format("%3d%%", int(Frac * 100))
       << llvm::format("  loss %.4f  %.0f samples/s  ETA %s", P.Loss, Rate,
                       formatDuration(ETA).c_str());
    OS.flush();
    LineOpen = true;
    return;
  }
  if (LineOpen)
    OS << "\r\x1b[K";
  LineOpen = false;
  LastDraw = -1;
  OS << "epoch " << P.Epoch << "/" << P.Epochs
     << llvm::format(": train loss %.4f", P.Loss);
  if (P.HasTest) {
    OS << llvm::format(", test loss %.4f", P.TestLoss);
    if (!std::isnan(P.TestAccuracy))
      OS << llvm::format(", test accuracy %.4f", P.TestAccuracy);
  }
  OS << llvm::format(" (%.2f s, %.0f samples/s)", P.Seconds, Rate) << '\n';
  OS.flush();
}
