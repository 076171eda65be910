"""JSON texts spelled the way AWS Step Functions spells them inside error causes."""

from __future__ import annotations

import json
from typing import Any


def compact_json(value: Any) -> str:
    """Return `value` as compact JSON text (no spaces), as AWS quotes inputs in causes.

    AWS writes `{"other":1}` in "could not be found in the input '{"other":1}'".
    """
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
