"""Pure planning: selection -> plan, and the ready-set tracker. No I/O."""

from upstream.planning.asset_selection import AssetSelection
from upstream.planning.plan import Plan, build_plan, cut_plan
from upstream.planning.ready import ReadySet, Skipped
from upstream.planning.selection import select

__all__ = ["AssetSelection", "Plan", "ReadySet", "Skipped", "build_plan", "cut_plan", "select"]
