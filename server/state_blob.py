"""A session's stored state as bytes, with its history encoded in blocks that are kept.

A session's history grows by one entry per epoch and is otherwise only cut at
the end (undo), while everything else in its state is small or has a fixed
size. Encoding the whole ``Trainer.state_dict()`` at every save would make a
long history (an import of a million epochs) cost seconds on every later step,
and decoding it as one JSON document would hold the interpreter for as long in
one C call. So the history is kept as JSON blocks of :data:`BLOCK` epochs
(:class:`HistoryJSON`, one per session): a save encodes the epochs new since
the last one and joins the blocks it has, and a read parses one block at a
time.

The blob stays one JSON document equal to ``state_dict()`` (whitespace aside):
the history comes first, each list with its blocks on lines of their own
(JSON allows a newline between array items; orjson never writes one)::

    {"history":{
    "train_loss":[
    0.69,0.68,...            (BLOCK entries)
    ,0.51,...                (the rest)
    ],
    "test_loss":[
    ...
    ]
    },"version":1,"config":...}

A blob without that first line (written before, or by hand) is read whole.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import orjson

from mlp_engine.state import SAFE_INT, encode

from . import collector

if TYPE_CHECKING:
    from mlp_engine import Trainer
    from mlp_engine.records import History

BLOCK = 4096
"""Epochs per encoded block: a block costs a few milliseconds to encode or parse."""

_HEAD = b'{"history":{'


def _items(values: list[Any]) -> bytes:
    """The JSON of ``values`` without its brackets (empty for no values), as
    :func:`~mlp_engine.state.encode` writes it, without its copy where it is not needed:
    a history has millions of entries, and ``encode`` would visit each one in Python and
    copy each epoch's ``grad_norms`` tuple into a new list (a million lists, which set off
    the collector's full passes).

    * Floats and ``None`` (every list but ``grad_norms``): orjson writes them as ``encode``
      does, all but the non-finite floats, which ``encode`` turns into its strings.
    * Tuples of finite numbers below :data:`~mlp_engine.state.SAFE_INT` (``grad_norms``):
      orjson writes tuples as arrays and the numbers as they are.
    * Anything else (an integer, a NumPy scalar, a non-finite norm) goes through ``encode``."""
    kinds = set(map(type, values))
    if kinds <= _FLAT:
        return orjson.dumps([x if x is None or x - x == 0 else _NONFINITE[(x > 0) - (x < 0)] for x in values])[1:-1]
    if kinds == _TUPLES:
        try:
            with np.errstate(invalid="ignore"):  # NaN compares false: encoded below
                plain = bool((np.abs(np.asarray(values, dtype=np.float64)) < SAFE_INT).all())
            if plain:
                return orjson.dumps(values)[1:-1]
        except (TypeError, ValueError, OverflowError):  # orjson.JSONEncodeError is a TypeError
            pass
    return orjson.dumps(encode(values))[1:-1]


_FLAT, _TUPLES = frozenset({float, type(None)}), frozenset({tuple})
_NONFINITE = {0: encode(math.nan), 1: encode(math.inf), -1: encode(-math.inf)}
"""``encode``'s strings for the non-finite floats, by sign (NaN compares neither way: 0)."""


class HistoryJSON:
    """One session's history as encoded blocks: each list's full blocks of :data:`BLOCK`
    entries, kept from save to save for as long as :meth:`~mlp_engine.records.History.kept_since`
    says they still hold. Used under the session's lock."""

    __slots__ = ("history", "cuts", "blocks")

    def __init__(self) -> None:
        self.history: History | None = None
        self.cuts = 0
        self.blocks: dict[str, list[bytes]] = {}

    def lists(self, history: "History") -> dict[str, list[bytes]]:
        """Per history list, its blocks' items (full blocks from the cache, then the rest)."""
        kept = history.kept_since(self.cuts) if history is self.history else None
        if kept is None:
            self.blocks = {}
        self.history, self.cuts = history, history.cuts
        out: dict[str, list[bytes]] = {}
        columns = history.columns(extras=True)
        for key in list(self.blocks):
            if key not in columns:
                del self.blocks[key]
        for key, values in columns.items():
            done = self.blocks.setdefault(key, [])
            if kept is not None:
                del done[kept // BLOCK:]
            full = len(values) // BLOCK
            while len(done) < full:
                start = len(done) * BLOCK
                done.append(_items(values[start:start + BLOCK]))
            rest = values[full * BLOCK:]
            out[key] = done + ([_items(rest)] if rest else [])
        return out

    def seed(self, history: "History", blocks: dict[str, list[tuple[bytes, int]]]) -> None:
        """Take the blocks a blob was read from (each with its number of entries) as this
        history's encoding: it was decoded from exactly them, so the full ones hold until
        the history changes (blocks of another size, from another version, are not used)."""
        self.history, self.cuts = history, history.cuts
        self.blocks = {}
        for key, values in history.columns(extras=True).items():
            full = len(values) // BLOCK
            items = blocks.get(key, [])[:full]
            ok = len(items) == full and all(n == BLOCK for _, n in items)
            self.blocks[key] = [item for item, _ in items] if ok else []

    def fragment(self, history: "History") -> orjson.Fragment:
        """The history as one JSON object, for a document that embeds it (an export)."""
        parts = [orjson.dumps(key) + b":[" + b",".join(items) + b"]" for key, items in self.lists(history).items()]
        return orjson.Fragment(b"{" + b",".join(parts) + b"}")


def encode_state(trainer: "Trainer", cache: HistoryJSON | None = None) -> bytes:
    """The trainer's ``state_dict()`` as the bytes the store keeps (see the module docstring):
    exact, the engine writing shortest round-trip floats; the history's unchanged blocks
    come from ``cache`` (a throw-away one when ``None``)."""
    main = orjson.dumps(trainer.state_dict(history=False))
    lines = [_HEAD]
    sections = list((cache or HistoryJSON()).lists(trainer.history).items())
    for n, (key, items) in enumerate(sections):
        lines.append(orjson.dumps(key) + b":[")
        lines.extend(item if i == 0 else b"," + item for i, item in enumerate(items))
        lines.append(b"]," if n < len(sections) - 1 else b"]")
    lines.append(b"}," + main[1:])
    return b"\n".join(lines)


def split_state(blob: bytes) -> tuple[dict[str, Any], dict[str, list[tuple[bytes, int]]]]:
    """A stored blob as the JSON-safe state, and the history blocks it held with their
    numbers of entries (none when it was written whole). Parsed one block at a time,
    never in one long call."""
    if not blob.startswith(_HEAD + b"\n"):
        return orjson.loads(blob), {}
    lines = blob.split(b"\n")
    state = orjson.loads(b"{" + lines[-1][2:])
    history: dict[str, Any] = {}
    blocks: dict[str, list[tuple[bytes, int]]] = {}
    key = ""
    for line in lines[1:-1]:
        if line.endswith(b":["):
            key = orjson.loads(line[:-2])
            history[key], blocks[key] = [], []
        elif line in (b"]", b"],"):
            continue
        else:
            item = line[1:] if line.startswith(b",") else line
            values = orjson.loads(b"[" + item + b"]")
            blocks[key].append((item, len(values)))
            history[key].extend(values)
    state["history"] = history
    return state, blocks


class Restores(Protocol):
    """What turns a state back into a trainer: :class:`server.sessions.Builder` (named here
    by its one method, so that this module needs nothing from the sessions module)."""

    def from_state(self, state: dict[str, Any]) -> "Trainer": ...


def decode_state(blob: bytes, builder: Restores, cache: HistoryJSON | None = None) -> "Trainer":
    """A stored blob back as a trainer (checked whole by the engine); ``cache`` is seeded
    with the blob's history blocks, so the next save encodes only what is new."""
    with collector.held():  # the parsed history is kept or freed by reference counting
        state, blocks = split_state(blob)
        trainer = builder.from_state(state)
        del state
    if cache is not None:
        cache.seed(trainer.history, blocks)
    return trainer
