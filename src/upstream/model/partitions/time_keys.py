"""Time partition keys: a window start formatted with the definition's `fmt`, and back.

Pure. Dagster's rule for the repeated hour of a fall-back day: when the schedule repeats
every hour and `fmt` has no `%z`, the second occurrence's key gets its UTC offset appended
("2023-11-05-01:00-0600"). `format_ticks` formats many ticks without a datetime per tick
(100,000 hourly keys in a fraction of a second): the date part once per local day, the time
part from a table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from upstream.model.partitions.schedule import localize

__all__ = ["format_tick", "format_ticks", "parse_key"]

_DAY = 86400
_TIME_TOKENS = {"%H": 0, "%M": 1, "%S": 2}
_DATE_TOKENS = {"%Y", "%m", "%d", "%y", "%b", "%B", "%a", "%A", "%j", "%%"}
_TOKEN = re.compile(r"%.|[^%]+", re.DOTALL)


def _with_offset(fmt: str) -> str:
    return fmt if "%z" in fmt else fmt + "%z"


def format_tick(local: datetime, fmt: str, suffix_folds: bool) -> str:
    """The key of a window starting at `local` (aware, in the definition's zone)."""
    if suffix_folds and local.fold and "%z" not in fmt and _is_second_occurrence(local):
        return local.strftime(_with_offset(fmt))
    return local.strftime(fmt)


def _is_second_occurrence(local: datetime) -> bool:
    first = local.replace(fold=0).utcoffset()
    second = local.replace(fold=1).utcoffset()
    return first is not None and second is not None and first > second


def parse_key(key: str, fmt: str, tz: ZoneInfo) -> float | None:
    """The instant `key` names (naive: read in `tz`, first occurrence), None if it does not
    parse with `fmt` (nor with a UTC offset appended, Dagster's fall-back form)."""
    try:
        parsed = datetime.strptime(key, fmt)
    except ValueError:
        try:
            parsed = datetime.strptime(key, _with_offset(fmt))
        except ValueError:
            return None
    if parsed.tzinfo is not None:
        return parsed.timestamp()
    return localize(parsed, tz)


def format_ticks(ticks: Sequence[float], tz: ZoneInfo, fmt: str, suffix_folds: bool) -> list[str]:
    """The keys of `ticks` (ascending UTC timestamps on whole minutes), in order."""
    pieces = _TOKEN.findall(fmt)
    if not ticks or any(
        p.startswith("%") and p not in _TIME_TOKENS.keys() | _DATE_TOKENS for p in pieces
    ):
        return [format_tick(datetime.fromtimestamp(t, tz), fmt, suffix_folds) for t in ticks]
    # The date part: `fmt` with each time token replaced by a marker, split on the markers.
    marked = "".join("\x1f" if p in _TIME_TOKENS else p for p in pieces)
    order = [_TIME_TOKENS[p] for p in pieces if p in _TIME_TOKENS]
    two = [f"{n:02d}" for n in range(60)]
    days: dict[int, list[str]] = {}
    epoch = date(1970, 1, 1)

    def date_segments(day: int) -> list[str]:
        segments = days.get(day)
        if segments is None:
            segments = (epoch + timedelta(days=day)).strftime(marked).split("\x1f")
            days[day] = segments
        return segments

    keys: list[str] = []
    append = keys.append
    n = len(ticks)
    block = 24
    i = 0
    while i < n:
        j = min(i + block, n)
        first = datetime.fromtimestamp(ticks[i], tz)
        offset = _offset(ticks[i], tz)
        if first.fold or _offset(ticks[j - 1], tz) != offset:  # near a transition: carefully
            for t in ticks[i:j]:
                append(format_tick(datetime.fromtimestamp(t, tz), fmt, suffix_folds))
            i = j
            continue
        for t in ticks[i:j]:
            wall = int(t) + offset
            day, second = divmod(wall, _DAY)
            segments = date_segments(day)
            values = (two[second // 3600], two[second // 60 % 60], two[second % 60])
            key = segments[0]
            for k, index in enumerate(order):
                key += values[index] + segments[k + 1]
            append(key)
        i = j
    return keys


def _offset(ts: float, tz: ZoneInfo) -> int:
    offset = datetime.fromtimestamp(ts, tz).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0
