//===- Dataset.h - Labelled datasets for training ---------------*- C++ -*-===//
//
// The readers `nnc train`, the REPL's `:train` and the Python package share:
// IDX (Fashion-MNIST's format, gzip'd or plain), NumPy .npy pairs and CSV
// with a label column. Each gives a Dataset of f32 features and i32 class
// labels in memory, the form the trainer feeds batches from.
//
// Every reader returns an error naming the file and the problem for any
// malformed input (truncated files, bad magic numbers, unsupported element
// types, shapes that disagree, sizes that overflow or exceed what this
// process may allocate); none of them aborts or throws.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DATA_DATASET_H
#define NNC_DATA_DATASET_H

#include "nnc/Data/Array.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <string>
#include <vector>

namespace nnc::data {

/// Count samples of SampleShape each, with one class label per sample.
struct Dataset {
  /// Count * getSampleSize() features, sample after sample, row-major.
  std::vector<float> X;
  /// Count labels, each in [0, 2^31).
  std::vector<int32_t> Y;
  /// The shape of one sample: {28, 28} for Fashion-MNIST, {features} for
  /// CSV, the trailing dimensions of X for .npy (empty for scalar samples).
  llvm::SmallVector<int64_t, 4> SampleShape;
  int64_t Count = 0;

  /// Elements of one sample: the product of SampleShape.
  int64_t getSampleSize() const;
  /// One more than the largest label (0 for an empty set).
  int32_t getNumClasses() const;
};

/// A training set and a test set.
struct Split {
  Dataset Train;
  Dataset Test;
};

/// Reads one IDX file (magic 0 0 type rank, rank big-endian u32 dimensions,
/// big-endian elements), gzip'd or plain; gzip is recognised by its magic
/// bytes, not by the file name. Element types: u8 (0x08), i32 (0x0C), f32
/// (0x0D), f64 (0x0E). The result is converted to little-endian.
llvm::Expected<Array> readIdx(llvm::StringRef Path);

/// Reads an IDX image file and an IDX label file into a Dataset. u8 images
/// are scaled to [0, 1] (divided by 255); labels must be an integer IDX
/// array of rank 1 with as many entries as there are images.
llvm::Expected<Dataset> readIdxDataset(llvm::StringRef ImagesPath,
                                       llvm::StringRef LabelsPath);

/// Reads Fashion-MNIST (or MNIST) from \p Dir: train-images-idx3-ubyte,
/// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
/// each with or without a `.gz` suffix.
llvm::Expected<Split> readFashionMNIST(llvm::StringRef Dir);

/// The folder a named dataset is installed in by its Debian package:
/// /usr/share/datasets/<Name>.
std::string getNamedDatasetDir(llvm::StringRef Name);

/// The datasets readNamedDataset knows: "fashion-mnist".
llvm::ArrayRef<llvm::StringRef> getNamedDatasets();

/// Reads a dataset by name from getNamedDatasetDir(Name). An unknown name,
/// or a known one whose package is not installed, is an error that says so
/// (and which Debian package to install).
llvm::Expected<Split> readNamedDataset(llvm::StringRef Name);

/// Reads a NumPy .npy file (format versions 1, 2 and 3): little-endian or
/// byte-order-free element types f4, f8, i4, i8, u1, C order. Fortran order,
/// big-endian data and other element types are errors.
llvm::Expected<Array> readNpy(llvm::StringRef Path);

/// Reads features from \p XPath and labels from \p YPath (.npy). X is f32,
/// f64 or u8 (u8 scaled to [0, 1], as images are) with the samples along
/// its first dimension; Y is i32, i64 or u8 of shape (N,) or (N, 1) with N
/// the first dimension of X. Labels must be non-negative and fit in i32.
llvm::Expected<Dataset> readNpyDataset(llvm::StringRef XPath,
                                       llvm::StringRef YPath);

/// Reads a CSV file: a header row of column names, then one sample per row.
/// The column named \p LabelColumn holds integer labels; every other column
/// is a numeric feature. Fields are separated by commas; a field may be
/// quoted with "..." (no commas or quotes inside); blank lines are skipped;
/// CRLF line ends are accepted. Errors name the file and the line.
llvm::Expected<Dataset> readCsv(llvm::StringRef Path,
                                llvm::StringRef LabelColumn);

} // namespace nnc::data

#endif // NNC_DATA_DATASET_H
