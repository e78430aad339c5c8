"""Helpers of the practice-mode browser tests: a link to a config, the hints of a stage, and a
hint's numbers worked out (to check that a hint adds up to the answer it marks right)."""
from __future__ import annotations

import json
import math
import re
from urllib.parse import quote


def link(app, fields: dict, practice: bool = False) -> str:
    """A link to the page with this config (the URL hash the page reads: dotted keys, JSON values)."""
    pairs = [f"{k}={quote(v if isinstance(v, str) else json.dumps(v, separators=(',', ':')))}" for k, v in fields.items()]
    return f"{app.url}#{'&'.join(pairs)}{'&practice=1' if practice else ''}"


def hints(app) -> dict[str, str]:
    """Check the stage with no answers: every number gets its hint, by name."""
    app.click("practice-check")
    loc = app.page.locator('[data-testid="practice-hint"]')
    return dict(zip(loc.evaluate_all("els => els.map(e => e.dataset.for)"), loc.all_inner_texts()))


def practice_at(app, stage: str) -> None:
    """In practice mode after a Step: reveal the stage on screen (so the way on opens), then go to ``stage``."""
    app.click("practice-reveal")
    app.stage(stage)


def value_of(hint: str) -> float:
    """The numbers a hint fills in, worked out: the text after its last "= ", in the page's notation."""
    expr = hint.rsplit("= ", 1)[1]
    expr = expr.replace("−", "-").replace("·", "*").replace("√", "math.sqrt").replace("sign", "_sign")
    assert re.fullmatch(r"[-+*/(), 0-9.e]+", re.sub(r"math\.sqrt|_sign|max|tanh|exp", "", expr)), expr
    return eval(expr, {"math": math, "_sign": lambda x: (x > 0) - (x < 0)})  # noqa: S307 (our own page's digits)
