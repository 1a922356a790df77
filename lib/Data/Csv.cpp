//===- Csv.cpp - CSV with a header row and a label column -----------------===//
#include "Internal.h"
#include "nnc/Data/Dataset.h"
#include "llvm/ADT/SmallVector.h"
#include <cmath>
#include <limits>

using namespace nnc;
using namespace nnc::data;
using namespace nnc::data::detail;

/// Splits \p Line on commas; each field loses surrounding blanks and one
/// pair of double quotes.
static llvm::SmallVector<llvm::StringRef, 16> splitFields(llvm::StringRef Line) {
  llvm::SmallVector<llvm::StringRef, 16> Fields;
  Line.split(Fields, ',');
  for (llvm::StringRef &F : Fields) {
    F = F.trim(" \t");
    if (F.size() >= 2 && F.front() == '"' && F.back() == '"')
      F = F.drop_front().drop_back().trim(" \t");
  }
  return Fields;
}

llvm::Expected<Dataset> data::readCsv(llvm::StringRef Path,
                                      llvm::StringRef LabelColumn) {
  auto File = openDataFile(Path);
  if (!File)
    return File.takeError();
  llvm::StringRef Text = (*File)->getBuffer();

  auto lineError = [&](unsigned Line, const llvm::Twine &Why) {
    return fileError((Path + ":" + llvm::Twine(Line)).str(), Why);
  };

  llvm::SmallVector<llvm::StringRef, 16> Columns;
  size_t LabelIndex = 0;
  bool HaveHeader = false;
  Dataset D;
  unsigned LineNo = 0;
  while (!Text.empty()) {
    llvm::StringRef Line;
    std::tie(Line, Text) = Text.split('\n');
    ++LineNo;
    Line = Line.rtrim("\r");
    if (Line.trim(" \t").empty())
      continue;
    llvm::SmallVector<llvm::StringRef, 16> Fields = splitFields(Line);
    if (!HaveHeader) {
      HaveHeader = true;
      Columns = Fields;
      auto It = llvm::find(Columns, LabelColumn);
      if (It == Columns.end()) {
        std::string Names;
        for (llvm::StringRef C : Columns)
          Names += (Names.empty() ? "'" : ", '") + C.str() + "'";
        return lineError(LineNo, "no column named '" + LabelColumn +
                                     "' in the header (columns: " + Names +
                                     ")");
      }
      LabelIndex = It - Columns.begin();
      if (std::find(It + 1, Columns.end(), LabelColumn) != Columns.end())
        return lineError(LineNo, "the header names column '" + LabelColumn +
                                     "' twice");
      if (Columns.size() < 2)
        return lineError(LineNo, "no feature columns besides the label '" +
                                     LabelColumn + "'");
      D.SampleShape = {int64_t(Columns.size() - 1)};
      continue;
    }
    if (Fields.size() != Columns.size())
      return lineError(LineNo, llvm::Twine(Fields.size()) +
                                   " fields, but the header has " +
                                   llvm::Twine(Columns.size()) + " columns");
    for (size_t I = 0; I < Fields.size(); ++I) {
      llvm::StringRef F = Fields[I];
      if (F.empty())
        return lineError(LineNo, "empty field in column '" + Columns[I] + "'");
      if (I == LabelIndex) {
        int64_t L;
        if (F.getAsInteger(10, L))
          return lineError(LineNo, "label '" + F + "' in column '" +
                                       Columns[I] + "' is not an integer");
        if (L < 0 || L > std::numeric_limits<int32_t>::max())
          return lineError(LineNo, "label " + llvm::Twine(L) +
                                       " is out of range [0, 2^31)");
        D.Y.push_back(int32_t(L));
        continue;
      }
      double V;
      // getAsDouble accepts "nan" and "inf"; the finiteness test below
      // turns those away too.
      if (F.getAsDouble(V))
        return lineError(LineNo, "'" + F + "' in column '" + Columns[I] +
                                     "' is not a number");
      if (!std::isfinite(V) ||
          std::fabs(V) > double(std::numeric_limits<float>::max()))
        return lineError(LineNo, "'" + F + "' in column '" + Columns[I] +
                                     "' is not a finite f32 value");
      D.X.push_back(float(V));
    }
    ++D.Count;
  }
  if (!HaveHeader)
    return fileError(Path, "empty file: no header row");
  if (D.Count == 0)
    return fileError(Path, "no data rows after the header");
  return D;
}
