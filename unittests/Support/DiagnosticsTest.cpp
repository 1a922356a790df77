//===- DiagnosticsTest.cpp - Tests of nnc::DiagnosticEngine ---------------===//
//
// A diagnostic is rendered as `name:line:col: error: message`, the source line
// and a caret (with `~` under the rest of a range); errors are counted, and
// after the error limit the engine saturates: it says so once and drops the
// rest, notes included.
//
//===----------------------------------------------------------------------===//

#include "nnc/Support/Diagnostics.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "gtest/gtest.h"

#include <string>

using namespace nnc;

namespace {

class DiagnosticsTest : public ::testing::Test {
protected:
  /// Makes \p Text the source buffer "test.nn".
  void load(llvm::StringRef Text) {
    SM.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(Text, "test.nn"),
                          llvm::SMLoc());
  }

  /// The location of the first occurrence of \p Needle in the buffer.
  llvm::SMLoc locOf(llvm::StringRef Needle) {
    llvm::StringRef Buffer = SM.getMemoryBuffer(SM.getMainFileID())->getBuffer();
    size_t Offset = Buffer.find(Needle);
    EXPECT_NE(Offset, llvm::StringRef::npos) << "'" << Needle.str() << "'";
    return llvm::SMLoc::getFromPointer(Buffer.data() + Offset);
  }

  /// The range that covers the first occurrence of \p Needle.
  llvm::SMRange rangeOf(llvm::StringRef Needle) {
    llvm::SMLoc Start = locOf(Needle);
    return llvm::SMRange(
        Start, llvm::SMLoc::getFromPointer(Start.getPointer() + Needle.size()));
  }

  /// Everything printed so far.
  const std::string &output() {
    OS.flush();
    return Out;
  }

  /// How often \p Needle occurs in the output.
  size_t count(llvm::StringRef Needle) {
    return llvm::StringRef(output()).count(Needle);
  }

  llvm::SourceMgr SM;
  std::string Out;
  llvm::raw_string_ostream OS{Out};
  DiagnosticEngine Diags{SM, OS};
};

TEST_F(DiagnosticsTest, ErrorShowsLocationLineAndCaret) {
  load("fn f(x) = x +;\n");
  Diags.report(locOf(";"), DiagID::err_expected, "an expression");
  EXPECT_EQ(output(), "test.nn:1:14: error: expected an expression\n"
                      "fn f(x) = x +;\n"
                      "             ^\n");
}

TEST_F(DiagnosticsTest, LineAndColumnAreOneBased) {
  load("fn f(x) = x;\n"
       "fn g(y) = @;\n");
  Diags.report(locOf("@"), DiagID::err_unexpected_char, "@");
  EXPECT_EQ(output(), "test.nn:2:11: error: unexpected character '@'\n"
                      "fn g(y) = @;\n"
                      "          ^\n");
}

TEST_F(DiagnosticsTest, FirstColumn) {
  load("@\n");
  Diags.report(locOf("@"), DiagID::err_unexpected_char, "@");
  EXPECT_EQ(output(), "test.nn:1:1: error: unexpected character '@'\n"
                      "@\n"
                      "^\n");
}

TEST_F(DiagnosticsTest, RangeIsUnderlined) {
  load("fn f(x, y) = x + y;\n");
  Diags.report(rangeOf("x + y"), DiagID::err_syntax, "bad sum");
  EXPECT_EQ(output(), "test.nn:1:14: error: bad sum\n"
                      "fn f(x, y) = x + y;\n"
                      "             ^~~~~\n");
}

TEST_F(DiagnosticsTest, ArgumentsFillThePlaceholders) {
  load("fn g(a) = f(a, a);\n");
  Diags.report(locOf("f("), DiagID::err_arity, "f", 3, "s", 2, "were");
  EXPECT_NE(output().find("test.nn:1:11: error: 'f' takes 3 arguments, but 2 "
                          "were given\n"),
            std::string::npos)
      << output();
}

TEST_F(DiagnosticsTest, OnlyErrorsAreCounted) {
  load("fn f(x) = x;\nfn f(y) = y;\n");
  EXPECT_FALSE(Diags.hasErrors());
  EXPECT_EQ(Diags.getNumErrors(), 0u);

  Diags.report(locOf("f("), DiagID::warn_driver, "careful");
  EXPECT_EQ(Diags.getNumErrors(), 0u);
  EXPECT_EQ(count("test.nn:1:4: warning: careful\n"), 1u) << output();

  Diags.report(locOf("f(y"), DiagID::err_redefinition, "f");
  Diags.report(locOf("f(x"), DiagID::note_previous_definition);
  EXPECT_EQ(Diags.getNumErrors(), 1u);
  EXPECT_TRUE(Diags.hasErrors());
  EXPECT_EQ(count("test.nn:2:4: error: redefinition of 'f'\n"), 1u) << output();
  EXPECT_EQ(count("test.nn:1:4: note: previous definition is here\n"), 1u)
      << output();

  Diags.report(locOf("y"), DiagID::err_unknown_name, "y");
  EXPECT_EQ(Diags.getNumErrors(), 2u);
  EXPECT_FALSE(Diags.isSaturated());

  Diags.resetErrors();
  EXPECT_EQ(Diags.getNumErrors(), 0u);
  EXPECT_FALSE(Diags.hasErrors());
}

TEST_F(DiagnosticsTest, ErrorLimitSaturates) {
  load("@ @ @ @ @\n");
  Diags.setErrorLimit(3);
  for (int I = 0; I < 5; ++I) {
    Diags.report(locOf("@"), DiagID::err_unexpected_char, "@");
    // A note belongs to the error before it, and goes with it when dropped.
    Diags.report(locOf("@"), DiagID::note_bracket_depth);
  }
  EXPECT_EQ(Diags.getNumErrors(), 3u);
  EXPECT_TRUE(Diags.isSaturated());
  EXPECT_TRUE(Diags.hasErrors());
  EXPECT_EQ(count("error: unexpected character '@'"), 3u) << output();
  // The notes of the first two errors are shown; the third error reached the
  // limit, so its note comes after the "stopping now" and is dropped.
  EXPECT_EQ(count("note: use -fbracket-depth=N"), 2u) << output();
  EXPECT_EQ(count("error: too many errors emitted, stopping now\n"), 1u)
      << output();
  // Nothing is printed after the limit message.
  llvm::StringRef Rest = llvm::StringRef(output()).split("stopping now\n").second;
  EXPECT_EQ(Rest, "") << output();
}

TEST_F(DiagnosticsTest, DefaultErrorLimitIsTwenty) {
  load("@\n");
  for (int I = 0; I < 25; ++I)
    Diags.report(locOf("@"), DiagID::err_unexpected_char, "@");
  EXPECT_EQ(Diags.getNumErrors(), 20u);
  EXPECT_TRUE(Diags.isSaturated());
  EXPECT_EQ(count("error: unexpected character"), 20u);
  EXPECT_EQ(count("too many errors emitted"), 1u);
}

TEST_F(DiagnosticsTest, ZeroErrorLimitMeansNoLimit) {
  load("@\n");
  Diags.setErrorLimit(0);
  for (int I = 0; I < 50; ++I)
    Diags.report(locOf("@"), DiagID::err_unexpected_char, "@");
  EXPECT_EQ(Diags.getNumErrors(), 50u);
  EXPECT_FALSE(Diags.isSaturated());
  EXPECT_EQ(count("too many errors emitted"), 0u);
}

TEST_F(DiagnosticsTest, ResetErrorsLiftsSaturation) {
  load("@\n");
  Diags.setErrorLimit(1);
  Diags.report(locOf("@"), DiagID::err_unexpected_char, "@");
  EXPECT_TRUE(Diags.isSaturated());
  Diags.resetErrors();
  EXPECT_FALSE(Diags.isSaturated());
  Diags.setErrorLimit(0);
  Diags.report(locOf("@"), DiagID::err_unexpected_char, "@");
  EXPECT_EQ(Diags.getNumErrors(), 1u);
  EXPECT_EQ(count("error: unexpected character"), 2u) << output();
}

TEST_F(DiagnosticsTest, SeveritiesComeFromTheRegistry) {
  EXPECT_EQ(DiagnosticEngine::getSeverity(DiagID::err_expected),
            Severity::Error);
  EXPECT_EQ(DiagnosticEngine::getSeverity(DiagID::warn_driver),
            Severity::Warning);
  EXPECT_EQ(DiagnosticEngine::getSeverity(DiagID::note_previous_definition),
            Severity::Note);
  EXPECT_EQ(DiagnosticEngine::getSeverity(DiagID::err_too_many_errors),
            Severity::Fatal);
  EXPECT_STREQ(DiagnosticEngine::getFormat(DiagID::err_redefinition),
               "redefinition of '{0}'");
}

// Every message in the registry follows the house style: it starts in lower
// case and has no trailing period.
TEST(DiagnosticKindsTest, MessagesAreLowercaseWithoutPeriod) {
  struct Kind {
    const char *Name;
    const char *Format;
  };
  static const Kind Kinds[] = {
#define DIAG(Name, Severity, Format) {#Name, Format},
#include "nnc/Support/DiagnosticKinds.def"
  };
  for (const Kind &K : Kinds) {
    llvm::StringRef Format(K.Format);
    ASSERT_FALSE(Format.empty()) << K.Name;
    EXPECT_FALSE(Format.front() >= 'A' && Format.front() <= 'Z')
        << K.Name << ": \"" << K.Format << "\"";
    EXPECT_NE(Format.back(), '.') << K.Name << ": \"" << K.Format << "\"";
  }
}

} // namespace

namespace {

// A buffer's lines may be reported shifted, as the REPL reports each input
// at its line of the session.
TEST(DiagnosticsLineOffsetTest, ShiftsTheLineOnly) {
  llvm::SourceMgr SM;
  unsigned ID = SM.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy("x\nf(1, +)\n", "<stdin>"),
      llvm::SMLoc());
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  DiagnosticEngine Diags(SM, OS);
  Diags.setLineOffset(ID, 40);
  llvm::StringRef Text = SM.getMemoryBuffer(ID)->getBuffer();
  Diags.report(llvm::SMLoc::getFromPointer(Text.data() + Text.find('+')),
               DiagID::err_syntax, "boom");
  OS.flush();
  EXPECT_EQ(Out, "<stdin>:42:6: error: boom\nf(1, +)\n     ^\n");
}

} // namespace
