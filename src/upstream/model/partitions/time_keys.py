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
    # Per local day, a %-template: the date part of `fmt` rendered once, "%s" where each time
    # token goes; per second of the day, the time tokens' values in their order.
    marked = "".join("\x1f" if p in _TIME_TOKENS else p for p in pieces)
    order = [_TIME_TOKENS[p] for p in pieces if p in _TIME_TOKENS]
    epoch = date(1970, 1, 1)
    templates: dict[int, str] = {}
    times: dict[int, tuple[str, ...]] = {}

    def template(day: int) -> str:
        rendered = (epoch + timedelta(days=day)).strftime(marked)
        return "%s".join(part.replace("%", "%%") for part in rendered.split("\x1f"))

    def time_values(second: int) -> tuple[str, ...]:
        hms = (f"{second // 3600:02d}", f"{second // 60 % 60:02d}", f"{second % 60:02d}")
        return tuple(hms[index] for index in order)

    keys: list[str] = []
    append = keys.append
    n = len(ticks)
    i = 0
    while i < n:
        j = min(i + 24, n)
        offset = _offset(ticks[i], tz)
        if datetime.fromtimestamp(ticks[i], tz).fold or _offset(ticks[j - 1], tz) != offset:
            for t in ticks[i:j]:  # near a transition: one datetime per tick
                append(format_tick(datetime.fromtimestamp(t, tz), fmt, suffix_folds))
            i = j
            continue
        for t in ticks[i:j]:
            day, second = divmod(int(t) + offset, _DAY)
            day_template = templates.get(day)
            if day_template is None:
                day_template = templates[day] = template(day)
            values = times.get(second)
            if values is None:
                values = times[second] = time_values(second)
            append(day_template % values)
        i = j
    return keys


def _offset(ts: float, tz: ZoneInfo) -> int:
    offset = datetime.fromtimestamp(ts, tz).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0
