"""`observe()`: Dagster's in-process call for observable source assets."""

from __future__ import annotations

import pytest

from upstream import (
    AssetExecutionContext,
    AssetSpec,
    ConfigurableResource,
    DataVersion,
    Definitions,
    ObserveResult,
    SelectionError,
    UpstreamError,
    asset,
    materialize,
    observable_source_asset,
    observe,
)


class Folder(ConfigurableResource):
    files: list[str]


@observable_source_asset
def drop_folder(context: AssetExecutionContext, folder: Folder) -> ObserveResult:
    context.log.info("looking at %d files", len(folder.files))
    return ObserveResult(
        data_version=DataVersion(str(len(folder.files))), metadata={"files": len(folder.files)}
    )


@observable_source_asset(group_name="lake")
def daily_dump() -> DataVersion:
    return DataVersion("2026-12-03")


def test_observe_records_each_data_version_and_metadata() -> None:
    result = observe([drop_folder, daily_dump], resources={"folder": Folder(files=["a", "b"])})
    assert result.success
    assert result.data_version_for("drop_folder") == "2"
    assert result.data_version_for("daily_dump") == "2026-12-03"
    by_key = {o.asset_key: o for o in result.get_asset_observation_events()}
    assert by_key["drop_folder"].metadata == {"files": {"type": "int", "value": 2}}
    assert [line.message for line in result.logs["drop_folder"]] == ["looking at 2 files"]


def test_observe_takes_a_selection_and_definitions() -> None:
    defs = Definitions(
        assets=[drop_folder, daily_dump, AssetSpec("raw")], resources={"folder": Folder(files=[])}
    )
    result = observe(defs, selection="group:lake")
    assert list(result.observations) == ["daily_dump"]
    with pytest.raises(SelectionError, match="names no observable source asset"):
        observe(defs, selection="raw")
    with pytest.raises(SelectionError, match="nothing to observe"):
        observe([AssetSpec("raw")])


def test_a_failing_observe_function_raises_its_own_error_after_the_others_ran() -> None:
    @observable_source_asset
    def flaky() -> DataVersion:
        raise ConnectionError("bucket unreachable")

    with pytest.raises(ConnectionError, match="bucket unreachable"):
        observe([flaky, daily_dump])
    result = observe([flaky, daily_dump], raise_on_error=False)
    assert not result.success and list(result.observations) == ["daily_dump"]
    assert result.errors["flaky"].type == "ConnectionError"


def test_an_observe_function_must_return_a_data_version_or_observe_result() -> None:
    @observable_source_asset
    def wrong() -> str:
        return "v1"

    with pytest.raises(UpstreamError, match="returned str; return a DataVersion or an"):
        observe([wrong])


async def test_async_observe_functions_and_a_running_loop() -> None:
    @observable_source_asset
    async def remote() -> DataVersion:
        return DataVersion("etag-1")

    assert observe([remote]).data_version_for("remote") == "etag-1"


def test_an_observable_asset_is_an_upstream_like_any_external_asset() -> None:
    @asset(deps=[daily_dump])
    def report() -> int:
        return 1

    result = materialize([daily_dump, report])
    assert list(result.steps) == ["report"]


CALLS: list[str] = []


class Bucket(ConfigurableResource):
    """Says when it is set up and torn down (observe's lifecycle test)."""

    name: str

    def setup_for_execution(self, context: object) -> None:
        CALLS.append(f"setup {self.name}")

    def teardown_after_execution(self, context: object) -> None:
        CALLS.append("teardown")


def test_observe_sets_resources_up_once_and_reads_env_vars(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A resource of an observe function gets the run's lifecycle, as a step's does: its
    EnvVar read when observing starts, set up once for every observation, torn down after."""
    from upstream import EnvVar

    CALLS.clear()

    @observable_source_asset
    def first(bucket: Bucket) -> DataVersion:
        return DataVersion(bucket.name)

    @observable_source_asset
    def second(bucket: Bucket) -> DataVersion:
        return DataVersion(bucket.name + "2")

    monkeypatch.setenv("BUCKET_NAME", "drops")
    result = observe([first, second], resources={"bucket": Bucket(name=EnvVar("BUCKET_NAME"))})
    assert result.data_version_for("first") == "drops"
    assert result.data_version_for("second") == "drops2"
    assert CALLS == ["setup drops", "teardown"]
