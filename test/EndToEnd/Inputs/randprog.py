#!/usr/bin/env python3
"""Differential tester for nnc's reverse-mode AD: random programs.

Usage: randprog.py NNC [--seed S] [-n N] [--points K] [--workdir DIR]
                       [--keep] [-v] [--exclude FEATURE,...] [--only fK,...]
                       [--nnc-flag FLAG]... [--hoist-derived] [--corrupt [nan|inf]]

Generates N random scalar .nn functions f0 ... f{N-1} of 1-4 f64 parameters
(plus helper functions they call, some with a user `backward` rule derived
symbolically here, so mathematically correct), compiles them with NNC into a
shared library and checks, at 3 random points per function:

  * value:     fK against an interpreter of the generated program (Python
               floats, the same operation order);
  * gradient:  fK__grad = grad(fK) against central finite differences of fK
               with Richardson extrapolation, (4 D(h/2) - D(h)) / 3, relative
               error <= 1e-6 (denominator max(|a|, |n|, 1e-8));
  * second derivatives: fK__grad__grad = grad(fK__grad) for one-parameter
               functions, and grad(grad(fK, p)) for some others, against
               finite differences of the first derivative;
  * siblings:  vjp(fK) and value_and_grad(fK), where emitted, agree with
               grad(fK);
  * round trip: `nnc --emit=nn` output recompiles (with --prefix=rt_, into a
               second library loaded in the same process) and every exported
               function gives the same values as the original.

Points near a kink (relu, abs, max, min, select, if) are detected by
computing the extrapolated difference with two step sizes: where the two
disagree by more than 1e-4 relative the partial is skipped (counted in S,
as "kink"). A partial whose error exceeds the tolerance but is within what
double precision can resolve there (10x the spread of the two differences
plus the rounding of f over the step, plus 128 ulps of the largest
intermediate value: a derivative that is 0 up to rounding) is skipped too
("noise"), and so is one where |analytic| * h exceeds 1000 times every |f|
within the step: f oscillates faster than h resolves ("unresolved"; a
smooth f changes over the step by at most a few times its size). Points
where the function overflows or any intermediate value
exceeds 1e8 in magnitude are re-drawn (up to 40 tries, else "no point"), and
so are points where a comparison's two sides agree to rounding ("a tie":
nnc may round one side differently and take the other branch, a jump like
a kink's). A NaN or inf in a compared value is a failure, never a match.

The interpreter evaluates grad(hK) of a helper with a backward rule through
that rule, as nnc does (not by differentiating hK's body, which agrees with
the rule only to rounding).

The last line is
  randprog: N functions, P partials checked, S skipped, F failed, worst rel err E
and the exit status is 1 if F > 0 or nnc failed. The generator is
deterministic given --seed (the program, the points and the output).
Failures print `FAIL fK: ...` lines with the point and both values.

Options for hunting bugs:
  --keep            keep the work folder (a temporary one unless --workdir;
                    it is also kept on failure): rand.nn, rand.rt.nn, ...
  --only f3,f7      emit and check only these functions and what they need:
                    a smaller reproducer of the same seed and points
  --exclude F,...   do not generate these constructs (FEATURES lists them)
  --nnc-flag FLAG   pass FLAG to every nnc run (-O0, --passes=, ...)
  --hoist-derived   print an inline transform call grad(h, p)(...) as a
                    call of `fn h__g_p = grad(h, p);`, and put that and
                    every named transform of a helper first in the file: if
                    a failure goes away, it is the order in which nnc
                    materializes derived functions
  --corrupt         perturb the first checked gradient value by a relative
                    1e-5, to show that the check fails
  --corrupt nan, --corrupt inf
                    make it NaN or inf instead: the check fails as well
  -v                print every check, passed and skipped
"""
import argparse
import ctypes
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gradcheck import bind, read_signatures  # noqa: E402

TOL = 1e-6          # gradient vs finite differences
KINK_TOL = 1e-4     # two extrapolated differences disagree: a kink
VALUE_TOL = 1e-9    # compiled value vs interpreter
SAME_TOL = 1e-12    # round trip, vjp / value_and_grad vs grad
MAX_MAG = 1e8       # re-draw a point if an intermediate value exceeds this
UNRESOLVED = 1e3    # |analytic| * step / max |f| in the step: f too fast

FEATURES = [
    "div", "pow", "varpow", "negpow", "exp", "log", "sqrt", "tanh",
    "sigmoid", "sin", "cos", "abs", "relu", "maxmin", "select", "if",
    "boollet", "shadow", "call", "rule", "libcall", "maincall",
    "derived-call", "named-derived", "vjp", "value-and-grad",
    "partial-grad", "helpercall",
]

# ---------------------------------------------------------------------------
# Expressions are tuples:
#   ('num', value, text)            a literal >= 0 (text as printed)
#   ('var', name)
#   ('neg', a)
#   ('bin', op, a, b)               op in + - * /
#   ('pow', a, b, form)             form '^' or 'pow'
#   ('un', name, a)                 exp log sqrt tanh sigmoid sin cos abs relu
#   ('mm', name, a, b)              max, min
#   ('sel', c, a, b)                select(c, a, b)
#   ('if', ((c, a), ...), b)        if c { a } else if ... else { b }
#   ('cmp', op, a, b)               < <= > >= == !=
#   ('not', c)  ('and', a, b)  ('or', a, b)
#   ('call', f, (args...))          a user function or a named derived one
#   ('dcall', f, wrt, (args...))    grad(f)(args) or grad(f, p)(args), inline
# ---------------------------------------------------------------------------


def fmt_num(v):
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def num(v, text=None):
    v = float(v)
    if v < 0:
        return ('neg', num(-v, text))
    return ('num', v, text or fmt_num(v))


ZERO = num(0)
ONE = num(1)


def const_value(e):
    if e[0] == 'num':
        return e[1]
    if e[0] == 'neg' and e[1][0] == 'num':
        return -e[1][1]
    return None


# Smart constructors for derivatives; None is a symbolic zero.
def s_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return ('bin', '+', a, b)


def s_neg(a):
    if a is None:
        return None
    if a[0] == 'neg':
        return a[1]
    return ('neg', a)


def s_sub(a, b):
    if b is None:
        return a
    if a is None:
        return s_neg(b)
    return ('bin', '-', a, b)


def s_mul(a, b):
    if a is None or b is None:
        return None
    if const_value(a) == 1.0:
        return b
    if const_value(b) == 1.0:
        return a
    return ('bin', '*', a, b)


def s_div(a, b):
    if a is None:
        return None
    return ('bin', '/', a, b)


def orzero(e):
    return ZERO if e is None else e


def diff(e, dm):
    """d e / d p, where dm maps a variable to its derivative (None: 0)."""
    k = e[0]
    if k == 'num':
        return None
    if k == 'var':
        return dm.get(e[1])
    if k == 'neg':
        return s_neg(diff(e[1], dm))
    if k == 'bin':
        op, a, b = e[1], e[2], e[3]
        da, db = diff(a, dm), diff(b, dm)
        if op == '+':
            return s_add(da, db)
        if op == '-':
            return s_sub(da, db)
        if op == '*':
            return s_add(s_mul(da, b), s_mul(a, db))
        return s_sub(s_div(da, b), s_div(s_mul(a, db), ('bin', '*', b, b)))
    if k == 'pow':
        a, b = e[1], e[2]
        da, db = diff(a, dm), diff(b, dm)
        c = const_value(b)
        if c is not None:
            if da is None:
                return None
            if c == 1:
                return da
            return s_mul(('bin', '*', num(c), ('pow', a, num(c - 1), '^')), da)
        return s_mul(e, s_add(s_mul(db, ('un', 'log', a)),
                              s_div(s_mul(b, da), a)))
    if k == 'un':
        name, a = e[1], e[2]
        da = diff(a, dm)
        if da is None:
            return None
        if name == 'exp':
            return s_mul(e, da)
        if name == 'log':
            return s_div(da, a)
        if name == 'sqrt':
            return s_div(da, ('bin', '*', num(2), e))
        if name == 'tanh':
            return s_mul(('bin', '-', ONE, ('bin', '*', e, e)), da)
        if name == 'sigmoid':
            return s_mul(('bin', '*', e, ('bin', '-', ONE, e)), da)
        if name == 'sin':
            return s_mul(('un', 'cos', a), da)
        if name == 'cos':
            return s_neg(s_mul(('un', 'sin', a), da))
        if name == 'abs':
            return ('sel', ('cmp', '>', a, ZERO), da,
                    ('sel', ('cmp', '<', a, ZERO), s_neg(da), ZERO))
        if name == 'relu':
            return ('sel', ('cmp', '>', a, ZERO), da, ZERO)
        raise ValueError(name)
    if k == 'mm':
        da, db = diff(e[2], dm), diff(e[3], dm)
        if da is None and db is None:
            return None
        op = '>=' if e[1] == 'max' else '<='
        return ('sel', ('cmp', op, e[2], e[3]), orzero(da), orzero(db))
    if k == 'sel':
        da, db = diff(e[2], dm), diff(e[3], dm)
        if da is None and db is None:
            return None
        return ('sel', e[1], orzero(da), orzero(db))
    if k == 'if':
        ds = [diff(a, dm) for _, a in e[1]]
        de = diff(e[2], dm)
        if all(d is None for d in ds) and de is None:
            return None
        return ('if', tuple((c, orzero(d)) for (c, _), d in zip(e[1], ds)),
                orzero(de))
    if k in ('cmp', 'not', 'and', 'or'):
        return None
    raise ValueError("cannot differentiate " + k)


# ---------------------------------------------------------------------------
# Printing, with as few parentheses as the precedence allows (so the parser's
# precedence is tested too): || 1, && 2, comparisons 3, + - 4, * / 5,
# prefix - ! 6, ^ 7, primary 9. `if` is parenthesized as an operand.
# ---------------------------------------------------------------------------
BIN_PREC = {'+': 4, '-': 4, '*': 5, '/': 5}


def prec(e):
    k = e[0]
    if k == 'bin':
        return BIN_PREC[e[1]]
    if k == 'pow':
        return 7 if e[3] == '^' else 9
    if k in ('neg', 'not'):
        return 6
    if k == 'cmp':
        return 3
    if k == 'and':
        return 2
    if k == 'or':
        return 1
    if k == 'if':
        return 0
    return 9


def pr(e):
    """Prints e as an operand-free expression (statement or argument)."""
    k = e[0]
    if k == 'num':
        return e[2]
    if k == 'var':
        return e[1]
    if k == 'neg':
        a = e[1]
        if a[0] == 'neg' or prec(a) < 6:
            return '-(' + pr(a) + ')'
        return '-' + pr(a)
    if k == 'not':
        return '!(' + pr(e[1]) + ')'
    if k in ('bin', 'and', 'or'):
        op = e[1] if k == 'bin' else {'and': '&&', 'or': '||'}[k]
        a, b = (e[2], e[3]) if k == 'bin' else (e[1], e[2])
        p = prec(e)
        return wrap(a, prec(a) < p) + ' ' + op + ' ' + wrap(b, prec(b) <= p)
    if k == 'cmp':
        return (wrap(e[2], prec(e[2]) <= 3) + ' ' + e[1] + ' '
                + wrap(e[3], prec(e[3]) <= 3))
    if k == 'pow':
        a, b = e[1], e[2]
        if e[3] == 'pow':
            return 'pow(' + pr(a) + ', ' + pr(b) + ')'
        left = wrap(a, prec(a) <= 7)
        if b[0] == 'neg' and b[1][0] == 'num':
            right = pr(b)                     # x ^ -2 (documented: 2^-1)
        else:
            right = wrap(b, prec(b) < 7)
        return left + ' ^ ' + right
    if k == 'un':
        return e[1] + '(' + pr(e[2]) + ')'
    if k == 'mm':
        return e[1] + '(' + pr(e[2]) + ', ' + pr(e[3]) + ')'
    if k == 'sel':
        return 'select(' + ', '.join(pr(x) for x in e[1:]) + ')'
    if k == 'if':
        s = ' else '.join('if %s { %s }' % (pr(c), pr(a)) for c, a in e[1])
        return s + ' else { ' + pr(e[2]) + ' }'
    if k == 'call':
        return e[1] + '(' + ', '.join(pr(x) for x in e[2]) + ')'
    if k == 'dcall':
        if HOIST:
            t = hoisted_name(e)
        else:
            t = 'grad(' + e[1] + ('' if e[2] is None else ', ' + e[2]) + ')'
        return t + '(' + ', '.join(pr(x) for x in e[3]) + ')'
    raise ValueError(k)


# --hoist-derived prints grad(h, p)(args) as a call of `fn h__g_p =
# grad(h, p);` declared at the top of the file, before everything else.
HOIST = False


def hoisted_name(e):
    return '%s__g%s' % (e[1], '' if e[2] is None else '_' + e[2])


def dcalls(e, out):
    if isinstance(e, (tuple, list)):
        if e and e[0] == 'dcall':
            out.add((e[1], e[2]))
        for x in e:
            dcalls(x, out)
    return out


def wrap(e, paren):
    s = pr(e)
    return '(' + s + ')' if paren or e[0] == 'if' else s


# ---------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------
class Func:
    def __init__(self, name, params, lets, ret, kind='fn'):
        self.name = name
        self.params = params          # names
        self.lets = lets              # [(name, expr)]
        self.ret = ret
        self.kind = kind              # 'fn' or 'derived'
        self.rule = None              # text of the backward clause
        self.rule_expr = None         # it as (upstream, lets, results)
        self.of = None                # derived: (function, wrt index)
        self.depth = 0                # longest chain of user calls below
        self.annotate = False
        self.block = True
        self.deps = set()

    def text(self):
        if self.kind == 'derived':
            f, i = self.of
            return 'fn %s = grad(%s%s);' % (
                self.name, f.name, '' if len(f.params) == 1
                else ', ' + f.params[i])
        ps = ', '.join(p + ': f64' if self.annotate else p
                       for p in self.params)
        head = 'fn %s(%s)%s' % (self.name, ps,
                                ' -> f64' if self.annotate else '')
        if not self.block and not self.lets:
            s = head + ' = ' + pr(self.ret)
            return s + (' ' + self.rule if self.rule else ';')
        lines = [head + ' {']
        for n, e in self.lets:
            lines.append('  let %s = %s;' % (n, pr(e)))
        lines.append('  return %s;' % pr(self.ret))
        s = '\n'.join(lines) + '\n}'
        return s + (' ' + self.rule if self.rule else '')


def mentions(e, name):
    if e[0] == 'var':
        return e[1] == name
    if e[0] == 'if':
        return any(mentions(c, name) or mentions(a, name) for c, a in e[1]) \
            or mentions(e[2], name)
    return any(isinstance(x, tuple) and mentions(x, name) for x in e[1:])


def uses(f, name):
    """Whether a later let or the result of f reads the let `name`."""
    seen = False
    for n, e in f.lets:
        if seen and mentions(e, name):
            return True
        if n == name:
            if seen:
                return False          # shadowed
            seen = True
    return mentions(f.ret, name)


def diff_function(f):
    """Forward-mode symbolic derivative of a call-free function: a list of
    lets (the body's, each preceded by its derivatives) and one result per
    parameter."""
    dms = [{p: (ONE if i == j else None) for i, p in enumerate(f.params)}
           for j in range(len(f.params))]
    lets = []
    counter = [0]
    for n, e in f.lets:
        for dm in dms:
            d = diff(e, dm)
            # A derivative that is a constant, a parameter or a derivative
            # let is used as is; one that names a let gets its own let, as
            # a later let may shadow that name.
            if d is None or d[0] == 'num' or (
                    d[0] == 'var' and (d[1] in f.params
                                       or d[1].startswith('d_'))):
                dm[n] = d
            else:
                name = 'd_%d' % counter[0]
                counter[0] += 1
                lets.append((name, d))
                dm[n] = ('var', name)
        lets.append((n, e))
    return lets, [diff(f.ret, dm) for dm in dms]


# ---------------------------------------------------------------------------
# Interpreter (the reference for values)
# ---------------------------------------------------------------------------
def _exp(a):
    try:
        return math.exp(a)
    except OverflowError:
        return math.inf


def _log(a):
    if a > 0:
        return math.log(a)
    return -math.inf if a == 0 else math.nan


def _sqrt(a):
    return math.sqrt(a) if a >= 0 else math.nan


def _pow(a, b):
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


def _div(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        return math.nan if a == 0 or a != a else math.inf


UNARY = {
    'exp': _exp, 'log': _log, 'sqrt': _sqrt, 'tanh': math.tanh,
    'sigmoid': lambda a: 1.0 / (1.0 + _exp(-a)),
    'sin': math.sin, 'cos': math.cos, 'abs': abs,
    'relu': lambda a: a if a > 0 else 0.0,
}
CMP = {'<': lambda a, b: a < b, '<=': lambda a, b: a <= b,
       '>': lambda a, b: a > b, '>=': lambda a, b: a >= b,
       '==': lambda a, b: a == b, '!=': lambda a, b: a != b}


class Interp:
    def __init__(self, funcs):
        self.funcs = funcs
        self.mag = 0.0
        self.bad = False
        self.tie = False
        self.dcache = {}

    def note(self, v):
        if isinstance(v, float):
            if math.isfinite(v):
                self.mag = max(self.mag, abs(v))
            else:
                self.bad = True
        return v

    def note_tie(self, a, b):
        """Notes a comparison whose sides differ, but only by rounding: nnc
        may round a side differently (a libm function, a rule instead of
        the body's derivative) and take the other branch, a jump like a
        kink's. Sides that are equal are equal by construction (relu(x)
        == 0, select(c, w, w) == abs(w)), exactly in nnc too."""
        if isinstance(a, float) and isinstance(b, float) and a != b and \
                abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-15:
            self.tie = True

    def run(self, lets, ret, env):
        env = dict(env)
        for n, e in lets:
            env[n] = self.ev(e, env)
        return self.ev(ret, env)

    def call(self, name, args):
        f = self.funcs[name]
        if f.kind == 'derived':
            return self.deriv(f.of[0].name, f.of[1], args)
        return self.run(f.lets, f.ret, zip(f.params, args))

    def deriv(self, name, wrt, args):
        f = self.funcs[name]
        if f.rule_expr:
            # grad(f) is f's backward rule with the upstream value 1, as
            # nnc computes it, not the derivative of f's body: the two
            # agree only to rounding.
            g, lets, outs = f.rule_expr
            env = dict(zip(f.params, args))
            env[g] = 1.0
            return self.run(lets, outs[wrt], env)
        if name not in self.dcache:
            self.dcache[name] = diff_function(f)
        lets, rets = self.dcache[name]
        return self.run(lets, orzero(rets[wrt]), zip(f.params, args))

    def ev(self, e, env):
        k = e[0]
        if k == 'num':
            return e[1]
        if k == 'var':
            return env[e[1]]
        if k == 'neg':
            return self.note(-self.ev(e[1], env))
        if k == 'bin':
            a, b = self.ev(e[2], env), self.ev(e[3], env)
            op = e[1]
            v = (a + b if op == '+' else a - b if op == '-'
                 else a * b if op == '*' else _div(a, b))
            return self.note(v)
        if k == 'pow':
            return self.note(_pow(self.ev(e[1], env), self.ev(e[2], env)))
        if k == 'un':
            a = self.ev(e[2], env)
            try:
                return self.note(float(UNARY[e[1]](a)))
            except ValueError:           # sin(inf)
                return self.note(math.nan)
        if k == 'mm':
            a, b = self.ev(e[2], env), self.ev(e[3], env)
            if e[1] == 'max':
                return a if a >= b else b
            return a if a <= b else b
        if k == 'sel':
            c, a, b = (self.ev(x, env) for x in e[1:])
            return a if c else b
        if k == 'if':
            arms = [(self.ev(c, env), self.ev(a, env)) for c, a in e[1]]
            other = self.ev(e[2], env)
            for c, a in arms:
                if c:
                    return a
            return other
        if k == 'cmp':
            a, b = self.ev(e[2], env), self.ev(e[3], env)
            self.note_tie(a, b)
            return CMP[e[1]](a, b)
        if k == 'not':
            return not self.ev(e[1], env)
        if k == 'and':
            a, b = self.ev(e[1], env), self.ev(e[2], env)
            return a and b
        if k == 'or':
            a, b = self.ev(e[1], env), self.ev(e[2], env)
            return a or b
        if k == 'call':
            return self.note(self.call(e[1], [self.ev(x, env) for x in e[2]]))
        if k == 'dcall':
            f = self.funcs[e[1]]
            wrt = 0 if e[2] is None else f.params.index(e[2])
            return self.note(self.deriv(e[1], wrt,
                                        [self.ev(x, env) for x in e[3]]))
        raise ValueError(k)


# ---------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------
PARAM_NAMES = ['x', 'y', 'z', 'w', 'u', 'v', 'a', 'b', 'p', 'q', 's', 'r']
LET_NAMES = ['t', 'h', 'k', 'm', 'n', 'acc', 'tmp', 'hid', 'act', 'z1',
             'z2', 'e1', 'c0', 'mid', 'o']
UPSTREAM = ['g', 'dy', 'gout', 'up', 'd_out']
CONSTS = [(0.5, ['0.5', '.5', '5e-1']), (1.0, ['1', '1.0']),
          (2.0, ['2', '2.0']), (3.0, ['3']), (1.5, ['1.5']),
          (0.25, ['0.25', '2.5e-1']), (0.1, ['0.1']), (0.3, ['0.3']),
          (0.7, ['0.7']), (2.5, ['2.5']), (4.0, ['4'])]


def v(name):
    return ('var', name)


def b_(op, a, b):
    return ('bin', op, a, b)


def call(f, *args):
    return ('call', f, args)


# Helpers with hand-written rules (that may call the function itself).
# Each: (arity, body builder(params) -> expr, rule text with {f} and params,
# the same rule as expressions: builder(f, g, params) -> (lets, results)).
# The interpreter evaluates grad(hK) through the rule, as nnc does: the
# rule's rounding differs from that of the body's derivative. The rules'
# own lets are named apart from PARAM_NAMES.
LIBRARY = [
    (1, lambda x: b_('*', x, x),
     'backward({g}) = 2 * {g} * {0};',
     lambda f, g, x: ([], [b_('*', b_('*', num(2), g), x)])),
    (1, lambda x: b_('/', ONE, b_('+', ONE, ('un', 'exp', ('neg', x)))),
     'backward({g}) = {g} * {f}({0}) * (1 - {f}({0}));',
     lambda f, g, x: ([], [b_('*', b_('*', g, call(f, x)),
                              b_('-', ONE, call(f, x)))])),
    (1, lambda x: ('un', 'log', b_('+', ONE, ('un', 'exp', x))),
     'backward({g}) = {g} * sigmoid({0});',
     lambda f, g, x: ([], [b_('*', g, ('un', 'sigmoid', x))])),
    (1, lambda x: ('un', 'tanh', x),
     'backward({g}) {{\n  let th = {f}({0});\n'
     '  return {g} * (1 - th * th);\n}}',
     lambda f, g, x: ([('th', call(f, x))],
                      [b_('*', g, b_('-', ONE, b_('*', v('th'), v('th'))))])),
    (1, lambda x: ('un', 'sqrt', b_('+', b_('*', x, x), ONE)),
     'backward({g}) = {g} * {0} / {f}({0});',
     lambda f, g, x: ([], [b_('/', b_('*', g, x), call(f, x))])),
    (1, lambda x: b_('*', b_('*', x, x), x),
     'backward({g}) = 3 * {g} * {0} * {0};',
     lambda f, g, x: ([], [b_('*', b_('*', b_('*', num(3), g), x), x)])),
    (1, lambda x: ('un', 'exp', ('neg', b_('*', x, x))),
     'backward({g}) = -2 * {0} * {f}({0}) * {g};',
     lambda f, g, x: ([], [b_('*', b_('*', b_('*', num(-2), x),
                                          call(f, x)), g)])),
    (2, lambda a, b: b_('*', a, b),
     'backward({g}) = ({g} * {1}, {g} * {0});',
     lambda f, g, a, b: ([], [b_('*', g, b), b_('*', g, a)])),
    (2, lambda a, b: ('un', 'sqrt', b_('+', b_('+', ONE, b_('*', a, a)),
                                        b_('*', b, b))),
     'backward({g}) {{\n  let len = {f}({0}, {1});\n'
     '  return ({g} * {0} / len, {g} * {1} / len);\n}}',
     lambda f, g, a, b: ([('len', call(f, a, b))],
                         [b_('/', b_('*', g, a), v('len')),
                          b_('/', b_('*', g, b), v('len'))])),
    (2, lambda a, b: ('un', 'log', b_('+', ('un', 'exp', a),
                                       ('un', 'exp', b))),
     'backward({g}) {{\n  let lse = {f}({0}, {1});\n'
     '  return ({g} * exp({0} - lse), {g} * exp({1} - lse));\n}}',
     lambda f, g, a, b: ([('lse', call(f, a, b))],
                         [b_('*', g, ('un', 'exp', b_('-', a, v('lse')))),
                          b_('*', g, ('un', 'exp', b_('-', b, v('lse'))))])),
    (3, lambda a, b, c: b_('+', b_('*', a, b), c),
     'backward({g}) = ({g} * {1}, {g} * {0}, {g});',
     lambda f, g, a, b, c: ([], [b_('*', g, b), b_('*', g, a), g])),
]


class Gen:
    def __init__(self, seed, n, exclude):
        self.rng = random.Random(seed)
        self.n = n
        self.ex = set(exclude)
        self.funcs = {}          # name -> Func
        self.order = []          # top-level declarations, in file order
        self.helpers = []
        self.mains = []
        self.checks = {}         # main name -> list of (kind, Func)
        self.named_helpers = []  # fn hK__dI = grad(hK, p)

    def on(self, feature):
        return feature not in self.ex

    # -- expressions ---------------------------------------------------------
    def const(self):
        val, texts = self.rng.choice(CONSTS)
        return ('num', val, self.rng.choice(texts))

    def leaf(self):
        r = self.rng
        if not self.scope or r.random() < 0.15:
            return self.const()
        nums = [s for s in self.scope if s not in self.boolvars]
        lets = [s for s in nums if s not in self.params]
        if lets and r.random() < 0.6:
            return v(r.choice(lets))       # fan-out: lets are used often
        return v(r.choice(nums))

    def pos(self, d):
        """A positive expression, mostly >= 0.25 (exp(e) can get small)."""
        r = self.rng
        e = self.expr(max(d - 1, 0))
        forms = [lambda: b_('+', ONE, b_('*', e, e)),
                 lambda: b_('+', num(2), ('un', 'sin', e)),
                 lambda: b_('+', num(2), ('un', 'cos', e)),
                 lambda: b_('+', num(1.5), ('un', 'tanh', e)),
                 lambda: ('un', 'sqrt', b_('+', b_('*', e, e), num(0.5))),
                 lambda: b_('+', ONE, ('pow', e, num(2), '^'))]
        if self.on('exp'):
            forms += [lambda: ('un', 'exp', e),
                      lambda: b_('+', num(0.5), ('un', 'exp', e))]
        if self.on('sigmoid'):
            forms.append(lambda: b_('+', ONE, ('un', 'sigmoid', e)))
        if self.on('abs'):
            forms.append(lambda: b_('+', num(0.5), ('un', 'abs', e)))
        if self.on('relu'):
            forms.append(lambda: b_('+', ONE, ('un', 'relu', e)))
        if self.on('maxmin'):
            forms.append(lambda: ('mm', 'max', e, num(0.5)))
        return r.choice(forms)()

    def cond(self, d):
        r = self.rng
        bools = [s for s in self.scope if s in self.boolvars]
        if bools and r.random() < 0.3:
            return v(r.choice(bools))
        c = ('cmp', r.choice(list(CMP)), self.expr(d - 1),
             self.expr(d - 1) if r.random() < 0.7 else self.const())
        x = r.random()
        if x < 0.1:
            return ('not', c)
        if x < 0.2:
            return (r.choice(['and', 'or']), c, self.cond(d - 1))
        return c

    def expr(self, d):
        r = self.rng
        if d <= 0 or r.random() < 0.05:
            return self.leaf()
        choices = [('add', 3), ('mul', 3), ('neg', 0.7), ('leaf', 1)]
        for feat, w in [('div', 2), ('pow', 1.5), ('varpow', 0.3),
                        ('negpow', 0.3), ('exp', 1), ('log', 1),
                        ('sqrt', 1), ('tanh', 1), ('sigmoid', 1),
                        ('sin', 1), ('cos', 1), ('abs', 0.8),
                        ('relu', 0.8), ('maxmin', 1.2), ('select', 0.8),
                        ('if', 0.8)]:
            if self.on(feat):
                choices.append((feat, w))
        if self.callees:
            choices.append(('call', 2.5))
        if self.dtargets:
            choices.append(('derived-call', 0.6))
        if self.named:
            choices.append(('named-derived', 0.6))
        if self.maincallees:
            choices.append(('maincall', 0.7))
        total = sum(w for _, w in choices)
        x = r.random() * total
        for c, w in choices:
            x -= w
            if x < 0:
                break
        E = lambda: self.expr(d - 1)     # noqa: E731
        if c == 'leaf':
            return self.leaf()
        if c == 'add':
            return b_(r.choice('+-'), E(), E())
        if c == 'mul':
            return b_('*', E(), E())
        if c == 'neg':
            return ('neg', E())
        if c == 'div':
            return b_('/', E(), self.pos(d - 1))
        if c == 'pow':
            form = '^' if r.random() < 0.8 else 'pow'
            k = r.choice([2, 3, -1, -2, 0.5, 1.5, 4])
            return ('pow', self.pos(d - 1), num(k), form)
        if c == 'varpow':
            return ('pow', self.pos(d - 1),
                    ('un', 'tanh', E()) if r.random() < 0.5 else E(), '^')
        if c == 'negpow':                # any sign, integer exponent
            return ('pow', E(), num(r.choice([2, 3])), '^')
        if c == 'exp':
            a = E()
            if r.random() < 0.3:
                return ('un', 'log', ('un', 'exp', a))
            return ('un', 'exp', ('un', r.choice(['tanh', 'sin', 'cos']), a)
                    if r.random() < 0.3 else a)
        if c in ('log', 'sqrt'):
            return ('un', c, self.pos(d - 1))
        if c in ('tanh', 'sigmoid', 'sin', 'cos', 'abs', 'relu'):
            return ('un', c, E())
        if c == 'maxmin':
            return ('mm', r.choice(['max', 'min']), E(),
                    E() if r.random() < 0.8 else self.const())
        if c == 'select':
            return ('sel', self.cond(d), E(), E())
        if c == 'if':
            arms = tuple((self.cond(d), E())
                         for _ in range(r.choice([1, 1, 2])))
            return ('if', arms, E())
        if c == 'call':
            f = r.choice(self.callees)
            self.used.add(f.name)
            return ('call', f.name, tuple(E() for _ in f.params))
        if c == 'maincall':
            f = r.choice(self.maincallees)
            self.used.add(f.name)
            return ('call', f.name, tuple(E() for _ in f.params))
        if c == 'named-derived':
            f = r.choice(self.named)
            self.used.add(f.name)
            return ('call', f.name, tuple(E() for _ in f.params))
        f = r.choice(self.dtargets)
        self.used.add(f.name)
        wrt = None
        if len(f.params) > 1 or r.random() < 0.3:
            wrt = r.choice(f.params)
        return ('dcall', f.name, wrt, tuple(E() for _ in f.params))

    # -- functions -----------------------------------------------------------
    def body(self, f, nlets, depth):
        r = self.rng
        self.scope = list(f.params)
        self.params = set(f.params)
        self.boolvars = set()
        self.used = set()
        for _ in range(nlets):
            shadowable = [s for s in self.scope if s not in self.params
                          and s not in self.boolvars]
            if self.on('shadow') and shadowable and r.random() < 0.15:
                name = r.choice(shadowable)
            else:
                name = r.choice([x for x in LET_NAMES if x not in self.scope]
                                or ['t%d' % len(self.scope)])
            if self.on('boollet') and r.random() < 0.1 and \
                    (self.on('select') or self.on('if')) and \
                    name not in self.scope:
                e = self.cond(2)
                self.boolvars.add(name)
            else:
                e = self.expr(r.randint(min(2, depth), depth))
            f.lets.append((name, e))
            if name not in self.scope:
                self.scope.append(name)
        f.ret = self.expr(depth)
        # Fan-out: a let the result does not read yet is added in.
        for n, _ in f.lets:
            if n not in self.boolvars and not uses(f, n) and r.random() < 0.8:
                f.ret = b_(r.choice('+-*'), f.ret, v(n))
        f.deps = set(self.used)
        f.depth = 1 + max([self.funcs[u].depth for u in self.used] + [-1])

    def new_params(self, n):
        return self.rng.sample(PARAM_NAMES, n)

    def helper(self, i):
        r = self.rng
        name = 'h%d' % i
        self.callees, self.dtargets, self.named = [], [], []
        self.maincallees = []
        if self.on('libcall') and self.on('rule') and r.random() < 0.35:
            arity, build, rule, rule_expr = r.choice(LIBRARY)
            ps = self.new_params(arity)
            f = Func(name, ps, [], build(*(v(p) for p in ps)))
            f.block = r.random() < 0.3
            g = r.choice([u for u in UPSTREAM if u not in ps])
            f.rule = rule.format(*ps, f=name, g=g)
            f.rule_expr = (g,) + rule_expr(name, v(g), *(v(p) for p in ps))
        else:
            ps = self.new_params(r.choice([1, 1, 2, 2, 3]))
            f = Func(name, ps, [], None)
            rule = self.on('rule') and r.random() < 0.5
            # A helper without a rule may call earlier helpers (rules then
            # apply inside a function that is itself expanded); one with a
            # rule is call-free, so that its rule can be derived here.
            if not rule and self.on('helpercall') and r.random() < 0.4:
                self.callees = list(self.helpers)
            self.body(f, r.choice([0, 0, 1, 2]), r.randint(1, 3))
            f.block = bool(f.lets) or r.random() < 0.3
            if rule:
                f.rule = self.rule_text(f)
        f.annotate = r.random() < 0.3
        return f

    def rule_text(self, f):
        r = self.rng
        lets, ds = diff_function(f)
        taken = set(f.params) | {n for n, _ in lets}
        g = r.choice([u for u in UPSTREAM if u not in taken])
        outs = []
        for d in ds:
            if d is None:
                outs.append(ZERO if r.random() < 0.5 else b_('*', ZERO, v(g)))
            elif r.random() < 0.5:
                outs.append(b_('*', v(g), d))
            else:
                outs.append(b_('*', d, v(g)))
        f.rule_expr = (g, lets, outs)
        res = outs[0] if len(outs) == 1 else None
        restext = pr(res) if res else '(' + ', '.join(pr(o) for o in outs) + ')'
        if not lets and r.random() < 0.6:
            return 'backward(%s) = %s;' % (g, restext)
        lines = ['backward(%s) {' % g]
        for n, e in lets:
            lines.append('  let %s = %s;' % (n, pr(e)))
        lines.append('  return %s;' % restext)
        return '\n'.join(lines) + '\n}'

    def main(self, i):
        r = self.rng
        name = 'f%d' % i
        f = Func(name, self.new_params(r.randint(1, 4)), [], None)
        self.callees = [h for h in self.helpers] if self.on('call') else []
        self.dtargets = [h for h in self.helpers
                         if self.on('derived-call') and not h.deps]
        self.named = list(self.named_helpers)
        self.maincallees = [m for m in self.mains if m.depth <= 1
                            and len(m.params) <= 2] \
            if self.on('maincall') else []
        nlets = r.choice([0, 1, 2, 3, 4])
        self.body(f, nlets, r.randint(3, 4))
        f.block = bool(f.lets) or r.random() < 0.2
        f.annotate = r.random() < 0.2
        return f

    def derived(self, name, of, wrt=0):
        d = Func(name, list(of.params), [], None, kind='derived')
        d.of = (of, wrt)
        d.deps = {of.name}
        d.depth = of.depth
        return d

    def place(self, f, lo=0):
        """Inserts a declaration at a random place at or after lo."""
        i = self.rng.randint(lo, len(self.order))
        self.order.insert(i, f)
        self.funcs[f.name] = f

    def generate(self):
        r = self.rng
        nhelpers = max(2, self.n // 4)
        for i in range(nhelpers):
            h = self.helper(i)
            self.helpers.append(h)
            self.place(h)
            if self.on('named-derived') and not h.deps and \
                    r.random() < 0.3:
                wrt = r.randrange(len(h.params))
                d = self.derived('%s__d%d' % (h.name, wrt), h, wrt)
                self.place(d)
                self.named_helpers.append(d)
        for i in range(self.n):
            f = self.main(i)
            self.mains.append(f)
            self.order.append(f)
            self.funcs[f.name] = f
            checks = []

            def mk(name, text, deps):
                d = Func(name, list(f.params), [], None, kind='derived')
                d.deps = set(deps)
                d.text = lambda: text
                return d
            g = mk(f.name + '__grad', 'fn %s__grad = grad(%s);'
                   % (f.name, f.name), [f.name])
            checks.append(('grad', g))
            if len(f.params) == 1:
                checks.append(('grad2', mk(
                    g.name + '__grad',
                    'fn %s__grad = grad(%s);' % (g.name, g.name), [g.name])))
            elif self.on('partial-grad') and r.random() < 0.4:
                if r.random() < 0.6:
                    # grad(f, p), and its gradient: mixed second partials
                    wrt = [r.randrange(len(f.params))]
                else:
                    # grad(f, q, p): a tuple in the order written
                    wrt = r.sample(range(len(f.params)),
                                   r.randint(2, len(f.params)))
                ps = [f.params[i] for i in wrt]
                d = mk('%s__d_%s' % (f.name, '_'.join(ps)),
                       'fn %s__d_%s = grad(%s, %s);'
                       % (f.name, '_'.join(ps), f.name, ', '.join(ps)),
                       [f.name])
                d.wrt = wrt
                checks.append(('partial', d))
                if len(wrt) == 1:
                    dd = mk(d.name + '__grad', 'fn %s__grad = grad(%s);'
                            % (d.name, d.name), [d.name])
                    checks.append(('partial2', dd))
            if self.on('vjp') and r.random() < 0.15:
                checks.append(('vjp', mk(
                    f.name + '__vjp', 'fn %s__vjp = vjp(%s);'
                    % (f.name, f.name), [f.name])))
            if self.on('value-and-grad') and r.random() < 0.15:
                checks.append(('vg', mk(
                    f.name + '__vg', 'fn %s__vg = value_and_grad(%s);'
                    % (f.name, f.name), [f.name])))
            self.checks[f.name] = checks
            for _, c in checks:
                # Mostly right after f, sometimes anywhere after the ones
                # it derives from, sometimes before them.
                x = r.random()
                if x < 0.8:
                    self.order.append(c)
                else:
                    self.place(c)
                self.funcs.setdefault(c.name, c)

    def closure(self, roots):
        seen = set()
        todo = list(roots)
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            todo += list(self.funcs[n].deps)
        return seen

    def source(self, only=None):
        keep = None
        if only is not None:
            roots = set()
            for m in only:
                roots.add(m)
                roots |= {c.name for _, c in self.checks[m]}
            keep = self.closure(roots)
        out = ['// Generated by randprog.py.']
        order = [f for f in self.order if keep is None or f.name in keep]
        if HOIST:
            found = set()
            for f in order:
                dcalls((f.lets, f.ret), found)
            for h, p in sorted(found, key=str):
                out.append('fn %s = grad(%s%s);' % (
                    hoisted_name(('dcall', h, p)), h,
                    '' if p is None else ', ' + p))
            order = ([f for f in order if f in self.named_helpers]
                     + [f for f in order if f not in self.named_helpers])
        for f in order:
            out.append(f.text())
        return '\n\n'.join(out) + '\n'


# ---------------------------------------------------------------------------
# Checking
# ---------------------------------------------------------------------------
def rel(a, b, floor):
    """Relative error; inf if either side is NaN or inf (inf == inf is no
    match either: every compared value is finite where it is checked)."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b), floor)


class Checker:
    def __init__(self, args):
        self.args = args
        self.partials = 0
        self.skips = {'kink': 0, 'noise': 0, 'unresolved': 0,
                      'not finite': 0, 'no point': 0}
        self.failed = 0
        self.worst = 0.0
        self.values = 0
        self.same = 0
        self.redrawn = 0
        self.ties = 0
        self.corrupt = args.corrupt
        self.failed_funcs = set()

    @property
    def skipped(self):
        return sum(self.skips.values())

    def fail(self, fname, msg):
        self.failed += 1
        self.failed_funcs.add(fname)
        print('FAIL %s: %s' % (fname, msg))

    def log(self, msg):
        if self.args.verbose:
            print(msg)

    def fd(self, fn, x, i, a, fname, what, mag=0.0):
        """Checks the analytic partial a of fn's first result along x[i];
        mag is the largest intermediate value of the function there."""
        scale = [0.0]

        def D(h):
            xp, xm = list(x), list(x)
            xp[i] += h
            xm[i] -= h
            fp, fm = fn(*xp)[0], fn(*xm)[0]
            scale[0] = max(scale[0], abs(fp), abs(fm))
            return (fp - fm) / (xp[i] - xm[i])
        h = 1e-3 * max(1.0, abs(x[i]))
        d1, d2, d3 = D(h), D(h / 2), D(h / 4)
        n = (4 * d2 - d1) / 3
        n2 = (4 * d3 - d2) / 3
        where = '%s %s d/d%d at %r' % (fname, what, i, tuple(x))
        if not (math.isfinite(n) and math.isfinite(n2)):
            self.skips['not finite'] += 1
            self.log('skip %s: numeric not finite' % where)
            return
        if rel(n, n2, 1e-8) > KINK_TOL:
            self.skips['kink'] += 1
            self.log('skip %s: kink (%.17g vs %.17g)' % (where, n, n2))
            return
        if self.corrupt:
            a = {'rel': a * (1 + 1e-5), 'nan': math.nan,
                 'inf': math.inf}[self.corrupt]
            self.corrupt = None
        err = rel(a, n, 1e-8)
        # What the difference quotient itself cannot resolve: rounding of
        # the function values (a few ulps of |f| over the step) and the
        # spread between the two step sizes; and what the analytic value
        # cannot: rounding of its terms, of the size of the function's.
        eps = 2.2e-16
        noise = (10 * (abs(n - n2) + 8 * eps * scale[0] / h)
                 + 128 * eps * max(mag, scale[0], 1.0))
        if err > TOL and abs(a - n) <= noise:
            self.skips['noise'] += 1
            self.log('skip %s: below the difference noise %.2e (analytic '
                     '%.17g numeric %.17g)' % (where, noise, a, n))
            return
        # A function that is smooth over the step changes there by at most
        # a few times its size: |a| h far above every value of f in
        # [x - h, x + h] means it oscillates faster than the step resolves
        # (cos((1 + p^2)^4) at p = 7.8: a period of 1e-7), where the
        # differences of all three steps agree on a meaningless 0.
        scale[0] = max(scale[0], abs(fn(*x)[0]))
        if err > TOL and math.isfinite(a) and \
                abs(a) * h > UNRESOLVED * scale[0]:
            self.skips['unresolved'] += 1
            self.log('skip %s: the step does not resolve f (analytic '
                     '%.17g, |f| <= %.3g within the step)'
                     % (where, a, scale[0]))
            return
        self.partials += 1
        self.worst = max(self.worst, err)
        if err > TOL:
            self.fail(fname, '%s: analytic %.17g numeric %.17g rel %.2e'
                      % (where.split(' ', 1)[1], a, n, err))
        else:
            self.log('ok %s: analytic %.17g numeric %.17g rel %.2e'
                     % (where, a, n, err))

    def same_values(self, fname, what, got, want, tol=SAME_TOL):
        self.same += 1
        for j, (a, b) in enumerate(zip(got, want)):
            if not rel(a, b, 1e-300) <= tol:
                self.fail(fname, '%s: result %d is %.17g, expected %.17g'
                          % (what, j, a, b))
                return


NNC_FLAGS = []


def compile_nn(nnc, src, out, header, extra=()):
    cmd = ([nnc, src, '-shared', '-o', out, '--header', header] + NNC_FLAGS
           + list(extra))
    return run(cmd), cmd


def run(cmd):
    """Runs nnc; a hang counts as a failure (exit status 'timeout')."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True,
                              timeout=600)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, 'timeout', '',
                                           'nnc did not finish in 600 s')


def report_compile_failure(p, cmd):
    print('FAIL nnc: %s exited with %s' % (' '.join(cmd), p.returncode))
    for line in (p.stderr or '').splitlines()[:40]:
        print('  | ' + line)


def isolate(gen, args, work, names):
    """After nnc failed on the whole file: which functions fail alone?"""
    bad = []
    for m in names:
        src = os.path.join(work, 'alone-%s.nn' % m)
        with open(src, 'w') as fh:
            fh.write(gen.source([m]))
        p, _ = compile_nn(args.nnc, src, src[:-3] + '.so', src[:-3] + '.h')
        if p.returncode != 0:
            bad.append(m)
            print('  nnc fails on %s alone: %s' % (m, src))
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('nnc')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('-n', type=int, default=60)
    ap.add_argument('--points', type=int, default=3)
    ap.add_argument('--workdir')
    ap.add_argument('--keep', action='store_true')
    ap.add_argument('--exclude', default='')
    ap.add_argument('--only', default='')
    ap.add_argument('--corrupt', nargs='?', const='rel',
                    choices=['rel', 'nan', 'inf'])
    ap.add_argument('--hoist-derived', action='store_true')
    ap.add_argument('--nnc-flag', action='append', default=[],
                    help='pass this option to every nnc run, e.g. -O0 or '
                    '--passes=')
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args()
    exclude = [x for x in args.exclude.split(',') if x]
    for x in exclude:
        if x not in FEATURES:
            sys.exit('unknown feature %r; features: %s'
                     % (x, ' '.join(FEATURES)))

    global HOIST
    HOIST = args.hoist_derived
    NNC_FLAGS[:] = args.nnc_flag
    gen = Gen(args.seed, args.n, exclude)
    gen.generate()
    only = [x for x in args.only.split(',') if x] or None
    mains = [m for m in gen.mains if only is None or m.name in only]

    if args.workdir:
        work = args.workdir
        os.makedirs(work, exist_ok=True)
    else:
        work = tempfile.mkdtemp(prefix='randprog-')
    src = os.path.join(work, 'rand.nn')
    with open(src, 'w') as fh:
        fh.write(gen.source(only))

    ck = Checker(args)
    summary = lambda: print(  # noqa: E731
        'randprog: %d functions, %d partials checked, %d skipped, '
        '%d failed, worst rel err %.2e'
        % (len(mains), ck.partials, ck.skipped, ck.failed, ck.worst))

    so, hdr = os.path.join(work, 'rand.so'), os.path.join(work, 'rand.h')
    p, cmd = compile_nn(args.nnc, src, so, hdr)
    if p.returncode != 0:
        report_compile_failure(p, cmd)
        ck.failed += 1
        isolate(gen, args, work, [m.name for m in mains])
        summary()
        print('randprog: kept %s' % work)
        sys.exit(1)
    rt_src = os.path.join(work, 'rand.rt.nn')
    p = run([args.nnc, src, '--emit=nn', '-o', rt_src] + NNC_FLAGS)
    rt_ok = p.returncode == 0
    if rt_ok:
        rt_so = os.path.join(work, 'rand.rt.so')
        rt_hdr = os.path.join(work, 'rand.rt.h')
        p, cmd = compile_nn(args.nnc, rt_src, rt_so, rt_hdr, ['--prefix=rt_'])
        rt_ok = p.returncode == 0
        if not rt_ok:
            report_compile_failure(p, cmd)
    else:
        report_compile_failure(p, [args.nnc, src, '--emit=nn'] + NNC_FLAGS)
    if not rt_ok:
        ck.failed += 1

    lib = ctypes.CDLL(os.path.abspath(so))
    sigs = read_signatures(hdr)
    rtlib = ctypes.CDLL(os.path.abspath(rt_so)) if rt_ok else None
    rtsigs = read_signatures(rt_hdr) if rt_ok else {}
    fns = {}

    def get(name):
        if name not in fns:
            fns[name] = bind(lib, name, sigs[name])
        return fns[name]

    interp = Interp(gen.funcs)
    points_of = {}
    for m in mains:
        prng = random.Random('%d:%s' % (args.seed, m.name))
        pts = []
        for _ in range(40):
            # Full precision: a rounded coordinate can sit exactly on a
            # kink (max(sigmoid(0), 0.5)), where finite differences average.
            x = [prng.uniform(-2, 2) for _ in m.params]
            interp.mag, interp.bad, interp.tie = 0.0, False, False
            val = interp.call(m.name, x)
            if interp.bad or interp.mag > MAX_MAG or interp.tie:
                ck.redrawn += 1
                ck.ties += interp.tie
                continue
            pts.append((x, val, interp.mag))
            if len(pts) == args.points:
                break
        points_of[m.name] = [x for x, _, _ in pts]
        if len(pts) < args.points:
            ck.log('skip %s: %d of %d points found where the values stay '
                   'finite and below %g' % (m.name, len(pts), args.points,
                                            MAX_MAG))
        nparts = len(m.params) + (1 if len(m.params) == 1 else 0)
        ck.skips['no point'] += nparts * (args.points - len(pts))
        f = get(m.name)
        g = get(m.name + '__grad')
        for x, want, mag in pts:
            ck.values += 1
            got = f(*x)[0]
            tol = VALUE_TOL * max(abs(got), abs(want)) + 1e-12 * mag
            if not abs(got - want) <= tol:
                ck.fail(m.name, 'value at %r: compiled %.17g, interpreter '
                        '%.17g' % (tuple(x), got, want))
            grad = g(*x)
            for i in range(len(m.params)):
                ck.fd(f, x, i, grad[i], m.name, 'grad', mag)
            for kind, c in gen.checks[m.name]:
                fc = get(c.name)
                if kind == 'grad2':
                    ck.fd(g, x, 0, fc(*x)[0], m.name, 'grad(grad)', mag)
                elif kind == 'partial':
                    ck.same_values(m.name, '%s at %r' % (c.name, tuple(x)),
                                   fc(*x), [grad[i] for i in c.wrt])
                elif kind == 'partial2':
                    d = get(c.name[:-len('__grad')])
                    second = fc(*x)
                    for i in range(len(m.params)):
                        ck.fd(d, x, i, second[i], m.name, c.name, mag)
                elif kind == 'vjp':
                    ck.same_values(m.name, '%s at %r' % (c.name, tuple(x)),
                                   fc(*x, 0.5), [0.5 * a for a in grad])
                elif kind == 'vg':
                    ck.same_values(m.name, '%s at %r' % (c.name, tuple(x)),
                                   fc(*x), [f(*x)[0]] + grad)

    # Round trip: every exported function, original against recompiled.
    if rt_ok:
        owner = {}
        for m in mains:
            owner[m.name] = m.name
            for _, c in gen.checks[m.name]:
                owner[c.name] = m.name
        prng = random.Random('%d:roundtrip' % args.seed)
        for name in sorted(sigs):
            ins = sigs[name][1]
            if 'rt_' + name not in rtsigs:
                ck.fail(name, '--emit=nn output lacks %s' % name)
                continue
            rt = bind(rtlib, 'rt_' + name, rtsigs['rt_' + name])
            pts = [x + [0.5] * (len(ins) - len(x))
                   for x in points_of.get(owner.get(name), [])]
            # More points, drawn as for the main functions: where the
            # interpreter finds finite values (the function's own, or for
            # a derived function those of the function it derives from)
            # and no tie.
            f = gen.funcs[owner.get(name, name)]
            for _ in range(40):
                if len(pts) >= 2:
                    break
                x = [prng.uniform(-2, 2) for _ in ins]
                interp.mag, interp.bad, interp.tie = 0.0, False, False
                interp.call(f.name, x[:len(f.params)])
                if not (interp.bad or interp.tie or interp.mag > MAX_MAG):
                    pts.append(x)
            for x in pts:
                ck.same_values(owner.get(name, name),
                               'round trip of %s at %r' % (name, tuple(x)),
                               rt(*x), get(name)(*x))

    print('randprog: seed %d: %d values, %d same-value checks, %d points '
          're-drawn (%d at a tie); skipped: %s'
          % (args.seed, ck.values, ck.same, ck.redrawn, ck.ties,
             ', '.join('%d %s' % (n, k) for k, n in ck.skips.items())))
    if ck.failed_funcs:
        print('randprog: failing functions: %s (reproduce one with --only '
              'NAME --keep)' % ','.join(sorted(ck.failed_funcs,
                                                key=lambda s: (len(s), s))))
    summary()
    if ck.failed or args.keep or args.workdir:
        print('randprog: kept %s' % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if ck.failed else 0)


if __name__ == '__main__':
    main()
