"""The exception types for mistakes a user can make, and how their messages name parameters.

The CLI turns an :class:`LrplanError` into a single line on stderr and exit code 2. Anything
else that escapes is a bug in lrplan.

The core and the analysis name parameters the way Python spells them (``lr``, ``min_lr``,
``T_max``), in marks: ``«min_lr»`` for the parameter, ``«min_lr=1e-06»`` for a value of it,
``«param.T_max=24»`` for a constructor argument of another scheduler. :func:`worded` turns the
marks into the reader's words with a :data:`Naming`: :func:`as_arguments` (the default, for
Python callers) writes ``min_lr=1e-06``; the CLI passes its own that writes ``--min-lr 1e-06``.
This module imports nothing, so every layer may use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: A parameter in a message: ``«name»`` or ``«name=value»``.
MARK = re.compile(r"«([A-Za-z_][\w.]*)(?:=([^»]*))?»")

#: How a reader spells a parameter (and a value of it, or None): ``(name, value) -> text``.
Naming = Callable[[str, "str | None"], str]

#: The prefix of a constructor argument of another scheduler than WarmupCosLR in a mark.
PARAM = "param."


def as_arguments(name: str, value: str | None) -> str:
    """A parameter as a Python caller writes it: ``min_lr``, ``min_lr=1e-06``, ``T_max=24``."""
    name = name.removeprefix(PARAM)
    return name if value is None else f"{name}={value}"


def worded(text: str, naming: Naming = as_arguments) -> str:
    """``text`` with every mark replaced by ``naming``'s spelling of it."""
    return MARK.sub(lambda match: naming(match[1], match[2]), text)


def first_line(error: BaseException, default: str | None = None) -> str:
    """The first line of an exception's message (a KeyError's quotes removed); ``default``
    (the exception's type name unless given) when it has none."""
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    lines = text.strip().splitlines()
    if lines:
        return lines[0]
    return type(error).__name__ if default is None else default


#: A word (a run without spaces) of a message longer than this is shortened: a value quoted
#: whole (a million-digit ``--lr``, a config's huge list) would make a line no one reads.
WORD_CHARS = 200
#: A message longer than this, after its long words are shortened, is cut in the middle.
MESSAGE_CHARS = 2000


def shortened(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, its head and tail kept around ``…``."""
    if len(text) <= limit:
        return text
    tail = limit // 4
    return f"{text[: limit - tail - 1]}…{text[-tail:]}"


def bounded(text: str) -> str:
    """``text`` with each word over :data:`WORD_CHARS` shortened, and at most
    :data:`MESSAGE_CHARS` long: every message of lrplan is a line a terminal shows."""
    if len(text) <= WORD_CHARS:
        return text
    words = text.split(" ")
    text = " ".join(
        shortened(word, WORD_CHARS) if len(word) > WORD_CHARS else word for word in words
    )
    return shortened(text, MESSAGE_CHARS)


class LrplanError(Exception):
    """A user-fixable problem: a bad value, config file or output path.

    The message is one line that names the parameter (or file) and says what would be valid;
    it may name parameters in marks, which ``str()`` spells for Python callers and
    :meth:`message` for another reader.
    """

    def message(self, naming: Naming = as_arguments) -> str:
        """The message, with parameters spelled by ``naming``."""
        return bounded(worded(str(self.args[0]) if self.args else "", naming))

    def __str__(self) -> str:
        return self.message()


class ParameterError(LrplanError):
    """One parameter has a bad value.

    ``parameter`` names it as Python spells it (``lr``, ``warmup_epochs``, ``T_max``);
    ``problem`` and ``fix`` may name parameters in marks (see :func:`worded`). ``str()`` of
    the error is the message worded for Python callers; :meth:`message` words it for
    another reader, and may name where the value came from (a config file's key). A
    ``problem`` that names its parameters itself is said without the ``invalid NAME:``
    opening (``headed=False``).
    """

    def __init__(self, parameter: str, problem: str, fix: str, *, headed: bool = True) -> None:
        self.parameter = parameter
        self.problem = problem
        self.fix = fix
        self.headed = headed
        super().__init__(self.message())

    def message(  # type: ignore[override]
        self, naming: Naming = as_arguments, where: str | None = None
    ) -> str:
        """``invalid <where>: <problem>; <fix>``; ``where`` defaults to the parameter's name."""
        said = f"{worded(self.problem, naming)}; {worded(self.fix, naming)}"
        if not self.headed and where is None:
            return bounded(said)
        name = where if where is not None else naming(self.parameter, None)
        return bounded(f"invalid {name}: {said}")
