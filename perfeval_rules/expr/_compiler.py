"""Syntax tree to checked closures: names resolved, types checked, errors located; evaluation never raises."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..errors import Location, caret, did_you_mean
from . import _nodes as n
from ._functions import BUILTIN_NAMES, CONTEXT, builtins, rounding_mode
from ._parser import keyword_hint, parse
from ._types import ExprError, Function, Problem, Scope, Type, Undefined, Value

Env = Mapping[str, Value]
Fn = Callable[[Env], Value]

_PYTYPE: dict[Type, type | None] = {Type.NUMBER: Decimal, Type.TEXT: str, Type.BOOL: bool, Type.ANY: None}


@dataclass(frozen=True, eq=False)
class Expression:
    """A compiled, checked expression: immutable, reusable, cheap to evaluate many times.

    `names` are the canonical names of the variables it reads, `functions` the canonical names of the
    functions it calls. Made by compile_expression only.
    """

    text: str
    type: Type
    names: frozenset[str]
    functions: frozenset[str]
    _run: Fn = field(repr=False)
    _spans: tuple[tuple[int, int, str], ...] = field(repr=False)
    _compiled_from: tuple[Any, ...] = field(repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        # Closures do not pickle; a worker process recompiles from the same text and scope instead.
        return (_recompile, self._compiled_from)

    def evaluate(self, env: Env) -> Value:
        """The value for `env` (keyed by canonical variable names); Undefined instead of any error."""
        return self._run(env)

    @property
    def function(self) -> Fn:
        """What `evaluate` calls, as a plain function of the environment: one call fewer on a hot path."""
        return self._run

    def explain(self, env: Env) -> str:
        """The expression as written with each variable replaced by its value in `env`."""
        out: list[str] = []
        done = 0
        for start, end, name in self._spans:
            out.append(self.text[done:start])
            shown = _show(_coerce(env.get(name), name))
            if shown.startswith("-") and self.text[:start].rstrip()[-1:] in ("+", "-", "*", "/"):
                shown = f"({shown})"
            out.append(shown)
            done = end
        out.append(self.text[done:])
        return "".join(out)


def compile_expression(
    text: str,
    scope: Scope,
    *,
    expect: Type = Type.ANY,
    where: Location | None = None,
    rounding: str = "ROUND_HALF_UP",
) -> Expression:
    """Parse and check `text` against `scope`; an ExprError located at the offending token if it is wrong.

    `where` is the location of the expression's first character in its file; `expect` is the type the
    whole expression must give; `rounding` is the decimal mode of round() (half-up by default).
    A YAML number or boolean given instead of text is taken as the literal it is (`0`, `true`).
    """
    if isinstance(text, bool):  # YAML `when: true` or `score: 0` arrives as a bool or a number
        text = "true" if text else "false"
    elif isinstance(text, int):
        text = str(text)
    elif isinstance(text, Decimal) and text.is_finite():
        text = format(text, "f")
    if not isinstance(text, str):
        raise ExprError(
            f"an expression must be text, got {type(text).__name__} {text!r}",
            where,
            hint="quote it in the YAML file",
        )
    mode = rounding_mode(rounding)
    if mode is None:
        raise ExprError(f"unknown rounding mode {rounding!r}", where, hint="use e.g. ROUND_HALF_UP or ROUND_HALF_EVEN")
    try:
        node = parse(text)
        compiler = _Compiler(text, scope, mode)
        run, type_ = compiler.top(node, expect)
    except Problem as problem:
        raise located(text, where, problem) from None
    spans = tuple(sorted(compiler.spans))
    names = frozenset(name for _, _, name in spans)
    return Expression(
        text, type_, names, frozenset(compiler.called), run, spans, (text, scope, expect, where, rounding)
    )


def _recompile(text: str, scope: Scope, expect: Type, where: Location | None, rounding: str) -> Expression:
    return compile_expression(text, scope, expect=expect, where=where, rounding=rounding)


def located(text: str, where: Location | None, problem: Problem) -> ExprError:
    """`problem` as an ExprError whose location points at its offset inside `text` as placed at `where`."""
    offset = problem.offset
    line_no = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    col = offset - line_start
    excerpt = _excerpt(line, col)
    if where is None:
        location = Location(line=line_no + 1, column=col + 1, source_line=line)
        return ExprError(problem.message, location, problem.hint, excerpt=excerpt)
    column = None
    source_line = None
    if where.column is not None:
        column = where.column + col
        if line_no == 0 and where.source_line is not None:
            # The YAML position may be that of an opening quote: find the expression on its line.
            first = text.split("\n", 1)[0]
            found = where.source_line.find(first, where.column - 1)
            if found in (where.column - 1, where.column):
                column = found + 1 + col
                source_line = where.source_line
                excerpt = _excerpt(source_line, column - 1)
    line_number = where.line + line_no if where.line is not None else None
    location = Location(where.file, line_number, column, where.cell, source_line)
    return ExprError(problem.message, location, problem.hint, excerpt=excerpt)


_EXCERPT_WIDTH = 100


def _excerpt(line: str, col: int) -> str:
    """The line with a caret under `col`, cut to a window around it when the line is long."""
    if len(line) <= _EXCERPT_WIDTH:
        return caret(line, col)
    start = max(0, min(col - _EXCERPT_WIDTH // 2, len(line) - _EXCERPT_WIDTH))
    end = start + _EXCERPT_WIDTH
    head = "…" if start > 0 else ""
    tail = "…" if end < len(line) else ""
    return caret(head + line[start:end] + tail, col - start + len(head))


@dataclass(frozen=True, slots=True)
class _Part:
    """A compiled sub-expression: its closure, static type, and how a reason names it."""

    fn: Fn
    type: Type
    desc: str
    null: bool = False
    # What the closure does, for operators that skip the call on their usual path: the canonical
    # name a plain variable load reads, or the value a literal gives.
    loads: str | None = None
    literal: Value = None


class _Compiler:
    def __init__(self, text: str, scope: Scope, rounding: str) -> None:
        self.text = text
        self.variables = scope.by_name
        self.builtins = builtins(rounding)
        self.functions: dict[str, Function] = {**self.builtins, **scope.functions_by_name}
        self.spans: list[tuple[int, int, str]] = []
        self.called: set[str] = set()

    def top(self, node: n.Node, expect: Type) -> tuple[Fn, Type]:
        part = self.compile(node)
        if expect is Type.ANY:
            return part.fn, part.type
        if part.null or part.type not in (Type.ANY, expect):
            got = "null" if part.null else part.type.shown
            raise Problem(f"expected {expect.shown}, got {got}", node.start)
        return _final(part.fn, expect, part.desc), expect

    def compile(self, node: n.Node) -> _Part:
        method: Callable[[Any], _Part] = getattr(self, f"_{type(node).__name__.lower()}")
        return method(node)

    def desc(self, node: n.Node) -> str:
        if isinstance(node, n.Name):
            return node.name
        source = self.text[node.start : node.end]
        return repr(source if len(source) <= 40 else source[:39] + "…")

    def need(self, part: _Part, want: Type, node: n.Node, what: str) -> None:
        if part.null:
            raise Problem(f"{what} needs {want.shown}, got null", node.start)
        if part.type is not Type.ANY and part.type is not want:
            raise Problem(f"{what} needs {want.shown}, got {part.type.shown}", node.start)

    # Leaves

    def _number(self, node: n.Number) -> _Part:
        return _Part(_constant(node.value), Type.NUMBER, self.desc(node), literal=node.value)

    def _text(self, node: n.Text) -> _Part:
        return _Part(_constant(node.value), Type.TEXT, self.desc(node), literal=node.value)

    def _boolean(self, node: n.Boolean) -> _Part:
        return _Part(_constant(node.value), Type.BOOL, self.desc(node), literal=node.value)

    def _null(self, node: n.Null) -> _Part:
        return _Part(_constant(None), Type.ANY, "null", null=True)

    def _name(self, node: n.Name) -> _Part:
        var = self.variables.get(node.name)
        if var is None:
            if node.name in self.functions:
                raise Problem(f"{node.name!r} is a function: call it with arguments, {node.name}(...)", node.start)
            message = f"unknown name {node.name!r}{did_you_mean(node.name, self.variables)}"
            raise Problem(message, node.start, keyword_hint(node.name))
        self.spans.append((node.start, node.end, var.name))
        return _Part(_loader(var.name, node.name, var.type), var.type, node.name, loads=var.name)

    # Operators

    def _minus(self, node: n.Minus) -> _Part:
        part = self.compile(node.operand)
        self.need(part, Type.NUMBER, node.operand, "'-'")
        fn, desc = part.fn, part.desc

        def minus(env: Env) -> Value:
            v = fn(env)
            if type(v) is Decimal:
                return v.copy_negate()
            return _need_number(v, desc, "-")

        return _Part(minus, Type.NUMBER, self.desc(node))

    def _arithmetic(self, node: n.Arithmetic) -> _Part:
        first = self.compile(node.first)
        self.need(first, Type.NUMBER, node.first, f"{node.rest[0][0].symbol!r}")
        steps = []
        # Each step's source runs to the next operator, so a closing bracket stays in the reason.
        ends = [op.start for op, _ in node.rest[1:]] + [node.end]
        for (op, operand), end in zip(node.rest, ends, strict=True):
            part = self.compile(operand)
            self.need(part, Type.NUMBER, operand, f"{op.symbol!r}")
            source = self.text[node.start : end].strip()
            steps.append((_ARITHMETIC[op.symbol], part.fn, part.desc, op.symbol, source))
        first_fn, first_desc, first_symbol = first.fn, first.desc, node.rest[0][0].symbol
        chain = tuple(steps)

        def arithmetic(env: Env) -> Value:
            acc = first_fn(env)
            if type(acc) is not Decimal:
                return _need_number(acc, first_desc, first_symbol)
            for apply, fn, desc, symbol, source in chain:
                b = fn(env)
                if type(b) is not Decimal:
                    return _need_number(b, desc, symbol)
                try:
                    acc = apply(acc, b)
                except ArithmeticError:
                    # With finite operands only x / 0 and overflow can trap.
                    if not b:
                        return Undefined(f"division by zero in {source!r}")
                    return Undefined(f"number out of range in {source!r}")
            return acc

        if len(chain) == 1:
            return _Part(_one_step(first_fn, chain[0][0], chain[0][1], arithmetic), Type.NUMBER, self.desc(node))
        return _Part(arithmetic, Type.NUMBER, self.desc(node))

    def _not(self, node: n.Not) -> _Part:
        part = self.compile(node.operand)
        self.need(part, Type.BOOL, node.operand, "'not'")
        fn, desc = part.fn, part.desc

        def negation(env: Env) -> Value:
            v = fn(env)
            if v is True:
                return False
            if v is False:
                return True
            return _need_bool(v, desc, "not")

        return _Part(negation, Type.BOOL, self.desc(node))

    def _logical(self, node: n.Logical) -> _Part:
        parts = [self.compile(operand) for operand in node.operands]
        for part, operand in zip(parts, node.operands, strict=True):
            self.need(part, Type.BOOL, operand, f"{node.op.symbol!r}")
        operands = tuple((part.fn, part.desc) for part in parts)
        symbol = node.op.symbol
        # Three-valued logic: a decisive operand (false for 'and', true for 'or') wins over an undefined one.
        decisive = symbol == "or"

        def logical(env: Env) -> Value:
            undefined: Undefined | None = None
            for fn, desc in operands:
                v = fn(env)
                if v is decisive:
                    return decisive
                if v is not (not decisive) and undefined is None:
                    undefined = _need_bool(v, desc, symbol)
            return (not decisive) if undefined is None else undefined

        fn = _logical_pair(operands, decisive, symbol, logical) if len(operands) == 2 else logical
        return _Part(fn, Type.BOOL, self.desc(node))

    def _compare(self, node: n.Compare) -> _Part:
        left, right = self.compile(node.left), self.compile(node.right)
        symbol = node.op.symbol
        if symbol in ("=", "!="):
            if left.null or right.null:
                return self._presence(node, left, right)
            if Type.ANY not in (left.type, right.type) and left.type is not right.type:
                raise Problem(f"cannot compare {left.type.shown} with {right.type.shown}", node.op.start)
            kinds: frozenset[type] = frozenset({Decimal, str, bool})
        else:
            self.need(left, Type.NUMBER, node.left, f"{symbol!r}")
            self.need(right, Type.NUMBER, node.right, f"{symbol!r}")
            kinds = frozenset({Decimal})
        op: Callable[[Any, Any], bool] = _COMPARISONS[symbol]
        lfn, rfn, ldesc, rdesc = left.fn, right.fn, left.desc, right.desc

        def compare(env: Env) -> Value:
            a = lfn(env)
            b = rfn(env)
            if type(a) is type(b) and type(a) in kinds:
                return op(a, b)
            return _compare_slow(a, b, ldesc, rdesc, symbol, op)

        return _Part(_fast_compare(left, right, op, kinds, compare), Type.BOOL, self.desc(node))

    def _presence(self, node: n.Compare, left: _Part, right: _Part) -> _Part:
        """`x = null` / `x != null`: whether x has a value (never undefined unless x is)."""
        wanted = node.op.symbol == "="
        if left.null and right.null:
            return _Part(_constant(wanted), Type.BOOL, self.desc(node))
        fn = right.fn if left.null else left.fn

        def presence(env: Env) -> Value:
            v = fn(env)
            if isinstance(v, Undefined):
                return v
            return (v is None) is wanted

        return _Part(presence, Type.BOOL, self.desc(node))

    def _member(self, node: n.Member) -> _Part:
        operand = self.compile(node.operand)
        if operand.null:
            raise Problem("'in' needs a value on its left, got null", node.operand.start)
        items = [self.compile(item) for item in node.items]
        for part, item in zip(items, node.items, strict=True):
            if part.null:
                raise Problem("null cannot be listed after 'in'; test it with '= null'", item.start)
            if Type.ANY not in (operand.type, part.type) and operand.type is not part.type:
                raise Problem(f"cannot compare {operand.type.shown} with {part.type.shown}", item.start)
        negated = node.negated
        fn, desc = operand.fn, operand.desc
        literal = all(isinstance(item, n.Number | n.Text | n.Boolean) for item in node.items)
        item_fns = tuple((part.fn, part.desc) for part in items)
        constants = frozenset(part.fn({}) for part in items) if literal else frozenset()
        kinds = {type(c) for c in constants}
        kind = kinds.pop() if len(kinds) == 1 else None

        def member(env: Env) -> Value:
            a = fn(env)
            if type(a) is kind:
                return (a in constants) is not negated
            if a is None or isinstance(a, Undefined):
                return _missing(a, desc)
            undefined: Undefined | None = None
            for item_fn, item_desc in item_fns:
                b = item_fn(env)
                if type(a) is type(b):
                    if a == b:
                        return not negated
                elif undefined is None:
                    if b is None or isinstance(b, Undefined):
                        undefined = _missing(b, item_desc)
                    else:
                        undefined = Undefined(f"cannot compare {_kind(a).shown} with {_kind(b).shown}")
            return negated if undefined is None else undefined

        return _Part(member, Type.BOOL, self.desc(node))

    def _conditional(self, node: n.Conditional) -> _Part:
        condition = self.compile(node.condition)
        self.need(condition, Type.BOOL, node.condition, "'if'")
        then, otherwise = self.compile(node.then), self.compile(node.otherwise)
        if then.null or otherwise.null:
            type_ = otherwise.type if then.null else then.type
        elif then.type is otherwise.type or Type.ANY in (then.type, otherwise.type):
            type_ = then.type if then.type is otherwise.type else Type.ANY
        else:
            raise Problem(
                f"the branches of 'if' give different types: {then.type.shown} and {otherwise.type.shown}",
                node.otherwise.start,
            )
        test, desc, then_fn, else_fn = condition.fn, condition.desc, then.fn, otherwise.fn

        def conditional(env: Env) -> Value:
            c = test(env)
            if c is True:
                return then_fn(env)
            if c is False:
                return else_fn(env)
            return _need_bool(c, desc, "if")

        return _Part(conditional, type_, self.desc(node), null=then.null and otherwise.null)

    def _call(self, node: n.Call) -> _Part:
        name = node.name.name
        fn = self.functions.get(name)
        if fn is None:
            if name in self.variables:
                raise Problem(f"{name!r} is a variable, not a function", node.start)
            raise Problem(f"unknown function {name!r}{did_you_mean(name, self.functions)}", node.start)
        count, wanted = len(node.args), len(fn.params)
        plural = "" if wanted == 1 else "s"
        if fn.variadic and count < wanted:
            raise Problem(f"{name}() takes at least {wanted} argument{plural}, got {count}", node.end - 1)
        if not fn.variadic and count != wanted:
            offset = node.args[wanted].start if count > wanted else node.end - 1
            raise Problem(f"{name}() takes {wanted} argument{plural}, got {count}", offset)
        self.called.add(fn.name)
        checks = []
        for index, arg in enumerate(node.args):
            want = fn.params[min(index, wanted - 1)]
            part = self.compile(arg)
            label = f"argument {index + 1} of {name}()"
            if part.null and want is not Type.ANY:
                raise Problem(f"{label} must be {want.shown}, got null", arg.start)
            if Type.ANY not in (part.type, want) and part.type is not want:
                raise Problem(f"{label} must be {want.shown}, got {part.type.shown}", arg.start)
            checks.append((part.fn, _PYTYPE[want], want, part.desc, label))
        return _Part(_caller(fn, tuple(checks), name in BUILTIN_NAMES), fn.returns, self.desc(node))


def _fast_compare(left: _Part, right: _Part, op: Callable[[Any, Any], bool], kinds: frozenset[type], general: Fn) -> Fn:
    """`general` with the usual case of a variable against a literal or another variable done inline.

    The inline path is taken only where the general one would load a value of the literal's type (a
    finite number for a number) and compare it as is; anything else goes the general way.
    """
    name = left.loads
    if name is None or left.type is Type.ANY or _PYTYPE[left.type] not in kinds:
        return general
    pytype = _PYTYPE[left.type]
    value = right.literal
    if right.loads is None and type(value) is pytype:
        if pytype is Decimal:
            if not value.is_finite():  # type: ignore[union-attr]
                return general

            def number_literal(env: Env) -> Value:
                a = env.get(name)
                if type(a) is Decimal and a.is_finite():
                    return op(a, value)
                return general(env)

            return number_literal

        def literal(env: Env) -> Value:
            a = env.get(name)
            if type(a) is pytype:
                return op(a, value)
            return general(env)

        return literal
    other = right.loads
    if other is not None and right.type is left.type:
        if pytype is Decimal:

            def numbers(env: Env) -> Value:
                a = env.get(name)
                b = env.get(other)
                if type(a) is Decimal and type(b) is Decimal and a.is_finite() and b.is_finite():
                    return op(a, b)
                return general(env)

            return numbers

        def variables(env: Env) -> Value:
            a = env.get(name)
            b = env.get(other)
            if type(a) is pytype and type(b) is pytype:
                return op(a, b)
            return general(env)

        return variables
    return general


def _one_step(first: Fn, apply: Callable[[Decimal, Decimal], Decimal], second: Fn, general: Fn) -> Fn:
    """`general` (one operator between two numbers) with its usual case inline: two numbers, no trap."""

    def one_step(env: Env) -> Value:
        a = first(env)
        if type(a) is Decimal:
            b = second(env)
            if type(b) is Decimal:
                try:
                    return apply(a, b)
                except ArithmeticError:
                    pass
        return general(env)

    return one_step


def _logical_pair(operands: tuple[tuple[Fn, str], ...], decisive: bool, symbol: str, general: Fn) -> Fn:
    """`general` (`and`/`or` of two operands) unrolled: the same result and reason as its loop."""
    (first, first_desc), (second, second_desc) = operands
    other = not decisive

    def logical_pair(env: Env) -> Value:
        v = first(env)
        if v is decisive:
            return decisive
        w = second(env)
        if w is decisive:
            return decisive
        if v is not other:
            return _need_bool(v, first_desc, symbol)
        if w is not other:
            return _need_bool(w, second_desc, symbol)
        return other

    return logical_pair


# Run-time helpers: each gives a value or an Undefined with a reason, never an exception.


def _constant(value: Value) -> Fn:
    def constant(env: Env) -> Value:
        return value

    return constant


def _loader(name: str, shown: str, type_: Type) -> Fn:
    pytype = _PYTYPE[type_]
    if pytype is Decimal:

        def load_number(env: Env) -> Value:
            v = env.get(name)
            if type(v) is Decimal and v.is_finite():
                return v
            return _checked(v, shown, type_)

        return load_number

    def load(env: Env) -> Value:
        v = env.get(name)
        if pytype is not None and type(v) is pytype:
            return v
        return _checked(v, shown, type_)

    return load


def _checked(value: object, shown: str, want: Type) -> Value:
    v = _coerce(value, shown)
    if v is None or isinstance(v, Undefined) or want is Type.ANY:
        return v
    kind = _kind(v)
    return v if kind is want else Undefined(f"{shown} should be {want.shown}, got {kind.shown}")


def _coerce(value: object, shown: str) -> Value:
    """A value from outside (env or a caller function) as a Value: ints become Decimal, floats are refused."""
    if isinstance(value, Decimal):
        return value if value.is_finite() else Undefined(f"{shown} is not a finite number ({value})")
    if value is None or type(value) in (str, bool) or isinstance(value, Undefined):
        return value  # type: ignore[return-value]
    if isinstance(value, str):
        return str.__str__(value)  # a plain str, so the fast paths (type(v) is str) apply to str subclasses
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Undefined(f"{shown} is a binary float; pass a Decimal")
    return Undefined(f"{shown} has an unsupported type {type(value).__name__}")


def _kind(value: Decimal | str | bool) -> Type:
    if type(value) is bool:
        return Type.BOOL
    return Type.NUMBER if isinstance(value, Decimal) else Type.TEXT


def _missing(value: Value, desc: str) -> Undefined:
    return value if isinstance(value, Undefined) else Undefined(f"{desc} is missing")


def _need_number(value: Value, desc: str, symbol: str) -> Undefined:
    if value is None or isinstance(value, Undefined):
        return _missing(value, desc)
    return Undefined(f"{symbol!r} needs a number, got {_kind(value).shown}")


def _need_bool(value: Value, desc: str, symbol: str) -> Undefined:
    if value is None or isinstance(value, Undefined):
        return _missing(value, desc)
    return Undefined(f"{symbol!r} needs true/false, got {_kind(value).shown}")


def _compare_slow(a: Value, b: Value, ldesc: str, rdesc: str, symbol: str, op: Callable[[Any, Any], bool]) -> Value:
    if a is None or isinstance(a, Undefined):
        return _missing(a, ldesc)
    if b is None or isinstance(b, Undefined):
        return _missing(b, rdesc)
    ka, kb = _kind(a), _kind(b)
    if symbol not in ("=", "!="):
        return Undefined(f"{symbol!r} needs a number, got {(kb if ka is Type.NUMBER else ka).shown}")
    if ka is not kb:
        return Undefined(f"cannot compare {ka.shown} with {kb.shown}")
    return op(a, b)


def _final(fn: Fn, expect: Type, desc: str) -> Fn:
    """Enforce the expected type of the whole expression at run time: missing or wrong becomes Undefined."""
    pytype = _PYTYPE[expect]

    def final(env: Env) -> Value:
        v = fn(env)
        if type(v) is pytype:
            return v
        if v is None or isinstance(v, Undefined):
            return _missing(v, desc)
        return Undefined(f"expected {expect.shown}, got {_kind(v).shown}")

    return final


def _caller(fn: Function, checks: tuple[tuple[Fn, type | None, Type, str, str], ...], builtin: bool) -> Fn:
    impl, name, returns = fn.impl, fn.name, fn.returns

    def call(env: Env) -> Value:
        values: list[Value] = []
        for arg, pytype, want, desc, label in checks:
            v = arg(env)
            if type(v) is not pytype:
                problem = _check_arg(v, want, desc, label)
                if problem is not None:
                    return problem
            values.append(v)
        if builtin:
            return impl(*values)
        try:
            result = impl(*values)
        except (ArithmeticError, LookupError, ValueError) as exc:
            detail = exc.args[0] if len(exc.args) == 1 else exc  # KeyError's str() would add quotes
            return Undefined(f"{name}() failed: {detail}")
        result = _coerce(result, f"the result of {name}()")
        if result is None or isinstance(result, Undefined) or returns is Type.ANY or _kind(result) is returns:
            return result
        return Undefined(f"{name}() gave {_kind(result).shown}, expected {returns.shown}")

    return _builtin_call(impl, checks, call) if builtin and len(checks) in (1, 2) else call


def _builtin_call(
    impl: Callable[..., Value], checks: tuple[tuple[Fn, type | None, Type, str, str], ...], general: Fn
) -> Fn:
    """`general` (a built-in function of one or two arguments) with its loop over the arguments unrolled."""
    (arg, pytype, want, desc, label) = checks[0]
    if len(checks) == 1:

        def call_one(env: Env) -> Value:
            v = arg(env)
            if type(v) is not pytype:
                problem = _check_arg(v, want, desc, label)
                if problem is not None:
                    return problem
            return impl(v)

        return call_one
    (arg2, pytype2, want2, desc2, label2) = checks[1]

    def call_two(env: Env) -> Value:
        v = arg(env)
        if type(v) is not pytype:
            problem = _check_arg(v, want, desc, label)
            if problem is not None:
                return problem
        w = arg2(env)
        if type(w) is not pytype2:
            problem = _check_arg(w, want2, desc2, label2)
            if problem is not None:
                return problem
        return impl(v, w)

    return call_two


def _check_arg(value: Value, want: Type, desc: str, label: str) -> Undefined | None:
    if isinstance(value, Undefined):
        return value
    if value is None:
        return None if want is Type.ANY else Undefined(f"{desc} is missing")
    if want is Type.ANY:
        return None
    kind = _kind(value)
    return None if kind is want else Undefined(f"{label} must be {want.shown}, got {kind.shown}")


def _show(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, Undefined):
        return "undefined"
    if type(value) is bool:
        return "true" if value else "false"
    if isinstance(value, Decimal):
        # Like the JSON writer (3500.00 -> 3500), but without normalize(), which would read the global context.
        text = format(value, "f")
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return "0" if text == "-0" else text
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


_ARITHMETIC: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    "+": CONTEXT.add,
    "-": CONTEXT.subtract,
    "*": CONTEXT.multiply,
    "/": CONTEXT.divide,
}
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
