"""The exceptions of the nnc package: every error it raises is an nnc.Error.

The status ABI's codes (docs/abi.md, "Tensors") each have a class, which
also derives from the closest built-in exception, so `except ValueError`
catches a shape error as well.
"""


class Error(Exception):
    """Base class of every error the nnc package raises."""


class CompileError(Error):
    """nnc could not compile the model; `stderr` holds its diagnostics."""

    def __init__(self, message, stderr=""):
        super().__init__(message + ("\n" + stderr.rstrip() if stderr else ""))
        self.stderr = stderr


class SignatureError(Error):
    """The signature file is of a version or form this package cannot bind."""


class DTypeError(Error, TypeError):
    """An argument cannot be converted to the element type the model takes."""


class StatusError(Error):
    """A call returned a status other than NNC_OK; `status` is the code and
    `function` the function's name."""

    status = None

    def __init__(self, function, message):
        super().__init__("%s: %s" % (function, message))
        self.function = function


class ShapeError(StatusError, ValueError):
    """NNC_ERR_SHAPE: sizes disagree with each other or with the model, are
    negative, or a size overflows. Also raised before the call when the
    arrays given cannot fit the function's shapes."""

    status = 1


class LabelError(StatusError, IndexError):
    """NNC_ERR_INDEX: a label given to onehot or pick (cross_entropy,
    svm_loss) is negative or not below the number of classes."""

    status = 2


class OutOfMemoryError(StatusError, MemoryError):
    """NNC_ERR_NOMEM: the function could not allocate its workspace."""

    status = 3


class ArgumentError(StatusError, ValueError):
    """NNC_ERR_ARG (modules compiled with abi_checks=True): a null or
    overlapping buffer, or a small workspace."""

    status = 4


_BY_STATUS = {c.status: c for c in (ShapeError, LabelError, OutOfMemoryError,
                                    ArgumentError)}
_MEANING = {1: "the sizes disagree with each other or with the model "
               "(NNC_ERR_SHAPE)",
            2: "a label or an index is out of range (NNC_ERR_INDEX)",
            3: "the workspace could not be allocated (NNC_ERR_NOMEM)",
            4: "a null or overlapping buffer, or a small workspace "
               "(NNC_ERR_ARG)"}


def raise_for_status(function, status):
    """Raises the exception of a status other than 0."""
    if status == 0:
        return
    cls = _BY_STATUS.get(status)
    if cls is None:
        err = StatusError(function, "unknown status %d" % status)
        err.status = status
        raise err
    raise cls(function, _MEANING[status])


class UsageError(Error, TypeError):
    """A call with missing, extra or unknown arguments."""


class CheckpointError(Error):
    """A safetensors file that cannot be read or does not fit the
    parameters; the message names the file and the problem."""
