"""Pure planning: selection -> plan, and the ready-set tracker. No I/O."""

from upstream.planning.plan import Plan, build_plan, cut_plan
from upstream.planning.ready import ReadySet, Skipped
from upstream.planning.selection import select

__all__ = ["Plan", "ReadySet", "Skipped", "build_plan", "cut_plan", "select"]
