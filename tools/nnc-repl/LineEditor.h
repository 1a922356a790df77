//===- LineEditor.h - Line editing, history and completion ------*- C++ -*-===//
//
// nnc-repl edits lines with libedit (Debian's libedit-dev): BSD-licensed,
// so it can be linked into anything, and with the interface readline users
// know. History is kept in a file across sessions; Tab completes names.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_TOOLS_REPL_LINEEDITOR_H
#define NNC_TOOLS_REPL_LINEEDITOR_H

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::repl {

class LineEditor {
public:
  /// What Tab may complete: the word before the cursor, and whether it is
  /// the command after a leading ':'.
  using Completer =
      std::function<std::vector<std::string>(bool IsCommand)>;

  /// \p Interrupted tells whether Ctrl-C came (the SIGINT handler's flag):
  /// readLine then returns Interrupted, even when the signal arrived while
  /// libedit was redrawing rather than waiting for a key.
  LineEditor(std::string HistoryFile, Completer Complete,
             bool (*Interrupted)());
  ~LineEditor();

  enum class Status { Line, Interrupted, EndOfFile };
  /// Reads one line (without its newline) after \p Prompt.
  Status readLine(const std::string &Prompt, std::string &Line);
  /// Adds an input to the history and saves the history file.
  void addHistory(const std::string &Entry);

  struct Impl;

private:
  std::unique_ptr<Impl> P;
};

} // namespace nnc::repl

#endif // NNC_TOOLS_REPL_LINEEDITOR_H
