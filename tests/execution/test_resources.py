"""A run's resources in one process: set up once, dependencies first, torn down in reverse
(also after a failure); EnvVar read at setup and never shown; run config for resources
configured at launch; function resources with cleanup; `build_resources`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pydantic import PrivateAttr

from upstream import (
    ConfigurableResource,
    ConfigurationError,
    Definitions,
    EnvVar,
    InitResourceContext,
    InMemoryIOManager,
    ResourceDependency,
    asset,
    build_resources,
    check_resources_config,
    resource,
)
from upstream.execution import execute_step
from upstream.execution.resources import RunResources, open_run_resources, step_resource_keys
from upstream.model.keys import AssetKey

EVENTS: list[str] = []


class Credentials(ConfigurableResource):
    user: str
    password: str = "none"

    def setup_for_execution(self, context: InitResourceContext) -> None:
        EVENTS.append(f"setup credentials {context.run_id}")

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        EVENTS.append("teardown credentials")


class Bucket(ConfigurableResource):
    credentials: Credentials
    region: str
    _session: Any = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        EVENTS.append(f"setup bucket as {self.credentials.user}")
        self._session = f"session in {self.region}"

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        EVENTS.append("teardown bucket")


@pytest.fixture(autouse=True)
def _clear() -> None:
    EVENTS.clear()


def test_dependencies_are_set_up_first_once_and_torn_down_in_reverse() -> None:
    """The same credentials object, top-level and nested, is one resource set up once."""
    credentials = Credentials(user="ann")
    resources = {"credentials": credentials, "bucket": Bucket(credentials=credentials, region="eu")}
    with open_run_resources(resources, run_id="r1") as run:
        bucket = run.setup(["bucket"])["bucket"]
        again = run.setup(["bucket", "credentials"])
        assert again["bucket"] is bucket
        assert bucket.credentials is again["credentials"]
        assert bucket._session == "session in eu"
        assert bucket is not resources["bucket"]  # a per-run copy; the definition is untouched
    assert EVENTS == [
        "setup credentials r1",
        "setup bucket as ann",
        "teardown bucket",
        "teardown credentials",
    ]


def test_only_the_resources_asked_for_are_set_up() -> None:
    credentials = Credentials(user="ann")
    run = RunResources({"credentials": credentials, "other": Credentials(user="bob")})
    run.setup(["credentials"])
    run.close()
    run.close()  # once only
    assert EVENTS == ["setup credentials None", "teardown credentials"]


def test_env_var_is_read_at_setup_and_the_copy_still_shows_its_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PASSWORD", "hunter2")
    resources = {"credentials": Credentials(user="ann", password=EnvVar("PASSWORD"))}
    with open_run_resources(resources) as run:
        credentials = run.setup(["credentials"])["credentials"]
        assert credentials.password == "hunter2"
        assert "hunter2" not in repr(credentials)
        assert "EnvVar('PASSWORD')" in repr(credentials)


def test_a_missing_env_var_names_the_variable_and_the_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PASSWORD", raising=False)
    resources = {"credentials": Credentials(user="ann", password=EnvVar("PASSWORD"))}
    with open_run_resources(resources) as run, pytest.raises(ConfigurationError) as caught:
        run.setup(["credentials"])
    message = str(caught.value)
    assert "'credentials'" in message and "'password'" in message and "'PASSWORD'" in message
    assert EVENTS == []  # nothing set up


def test_env_var_int(monkeypatch: pytest.MonkeyPatch) -> None:
    class Pool(ConfigurableResource):
        size: int

    monkeypatch.setenv("SIZE", "12")
    with open_run_resources({"pool": Pool(size=EnvVar.int("SIZE"))}) as run:
        assert run.setup(["pool"])["pool"].size == 12
    monkeypatch.setenv("SIZE", "twelve")
    with (
        open_run_resources({"pool": Pool(size=EnvVar.int("SIZE"))}) as run,
        pytest.raises(ConfigurationError, match="not an integer"),
    ):
        run.setup(["pool"])


def test_configure_at_launch_takes_the_run_config_dict_or_an_object() -> None:
    resources = {"credentials": Credentials.configure_at_launch(password="pw")}
    config = {"credentials": {"config": {"user": "ann"}}}
    check_resources_config(resources, config)
    with open_run_resources(resources, config) as run:
        credentials = run.setup(["credentials"])["credentials"]
    assert (credentials.user, credentials.password) == ("ann", "pw")
    with open_run_resources(resources, {"credentials": Credentials(user="bob")}) as run:
        assert run.setup(["credentials"])["credentials"].user == "bob"


def test_run_config_overrides_a_configured_resource_field() -> None:
    """As in Dagster, a resource's given values are defaults the run config may change."""
    with open_run_resources(
        {"credentials": Credentials(user="ann")}, {"credentials": {"config": {"user": "bob"}}}
    ) as run:
        assert run.setup(["credentials"])["credentials"].user == "bob"


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({}, "resource 'credentials' (Credentials): field 'user': Field required"),
        ({"credentials": {"config": {"user": 3}}}, "field 'user': Input should be a valid string"),
        ({"credentail": {"config": {}}}, "names resource 'credentail'"),
        ({"credentials": {"user": "x"}}, "must look like {'config'"),
    ],
)
def test_check_resources_config_names_the_resource_and_field(
    config: dict[str, Any], words: str
) -> None:
    resources = {"credentials": Credentials.configure_at_launch()}
    with pytest.raises(ConfigurationError) as caught:
        check_resources_config(resources, config)
    assert words in str(caught.value)


def test_check_does_not_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Env vars are read where steps run; a submitting process need not have them."""
    monkeypatch.delenv("USER_NAME", raising=False)
    resources = {"credentials": Credentials.configure_at_launch()}
    check_resources_config(resources, {"credentials": {"config": {"user": {"env": "USER_NAME"}}}})
    monkeypatch.setenv("USER_NAME", "eve")
    with open_run_resources(
        resources, {"credentials": {"config": {"user": {"env": "USER_NAME"}}}}
    ) as run:
        assert run.setup(["credentials"])["credentials"].user == "eve"


def test_a_nested_resource_configured_at_launch_is_wired_by_identity() -> None:
    """Dagster's pattern: the same partial object top-level and as the nested field."""
    credentials = Credentials.configure_at_launch()
    resources = {"credentials": credentials, "bucket": Bucket(credentials=credentials, region="eu")}
    config = {"credentials": {"config": {"user": "ann"}}}
    check_resources_config(resources, config)
    with open_run_resources(resources, config) as run:
        assert run.setup(["bucket"])["bucket"].credentials.user == "ann"


def test_resource_dependency_on_a_function_resource() -> None:
    @resource
    def client() -> dict[str, str]:
        return {"name": "client"}

    class Uses(ConfigurableResource):
        client: ResourceDependency[dict[str, str]]

    with open_run_resources({"client": client, "uses": Uses(client=client)}) as run:
        made = run.setup(["uses", "client"])
    assert made["uses"].client is made["client"]


def test_yield_for_execution_wraps_the_value() -> None:
    class Wrapped(ConfigurableResource):
        name: str

        @contextmanager
        def yield_for_execution(self, context: InitResourceContext) -> Iterator[Any]:
            EVENTS.append("enter")
            yield self
            EVENTS.append("exit")

    with open_run_resources({"w": Wrapped(name="x")}) as run:
        assert run.setup(["w"])["w"].name == "x"
    assert EVENTS == ["enter", "exit"]


def test_teardown_runs_when_a_later_setup_fails() -> None:
    class Broken(ConfigurableResource):
        def setup_for_execution(self, context: InitResourceContext) -> None:
            raise RuntimeError("cannot connect")

    resources = {"credentials": Credentials(user="a"), "broken": Broken()}
    with pytest.raises(RuntimeError, match="cannot connect"):  # noqa: SIM117
        with open_run_resources(resources) as run:
            run.setup(["credentials", "broken"])
    assert EVENTS == ["setup credentials None", "teardown credentials"]


def test_legacy_resource_config_and_generator_cleanup() -> None:
    @resource(config_schema={"url": str})
    def db(init_context: InitResourceContext) -> Iterator[str]:
        EVENTS.append("open")
        yield f"conn to {init_context.resource_config['url']}"
        EVENTS.append("close")

    @resource(required_resource_keys={"db"})
    def repo(init_context: InitResourceContext) -> str:
        return f"repo over {init_context.resources.db}"

    resources = {"db": db, "repo": repo}
    with pytest.raises(ConfigurationError, match="resource 'db': config field 'url'"):
        check_resources_config(resources, {})
    config = {"db": {"config": {"url": "pg"}}}
    with open_run_resources(resources, config) as run:
        assert run.setup(["repo"])["repo"] == "repo over conn to pg"
    assert EVENTS == ["open", "close"]
    with open_run_resources({"db": db.configured({"url": "x"})}) as run:
        assert run.setup(["db"])["db"] == "conn to x"


def test_build_resources_outside_a_run() -> None:
    with build_resources({"credentials": Credentials(user="ann")}) as resources:
        assert resources.credentials.user == "ann"
        assert EVENTS == ["setup credentials None"]
    assert EVENTS[-1] == "teardown credentials"


async def test_execute_step_injects_the_run_resources() -> None:
    """The step receives the per-run objects, by parameter and in context.resources."""
    seen: dict[str, Any] = {}

    @asset(required_resource_keys={"credentials"})
    def report(context: Any, bucket: Bucket) -> str:
        seen["context"] = context.resources.credentials
        return bucket._session

    credentials = Credentials(user="ann")
    defs = Definitions(
        [report],
        resources={
            "credentials": credentials,
            "bucket": Bucket(credentials=credentials, region="us"),
        },
    )
    key = AssetKey(["report"])
    assert step_resource_keys(defs, key) == ["bucket", "credentials"]
    io = InMemoryIOManager()
    with open_run_resources(defs.resources) as run:
        made = run.setup(step_resource_keys(defs, key))
        result = await execute_step(defs, key, run_id="r", default_io_manager=io, resources=made)
    assert result.success, result.error
    assert io.values[key] == "session in us"
    assert seen["context"] is made["credentials"]


def test_get_resource_context_on_the_run_copy_only() -> None:
    credentials = Credentials(user="ann")
    with pytest.raises(ConfigurationError, match="no resource context"):
        credentials.get_resource_context()
    with open_run_resources({"credentials": credentials}, run_id="r9") as run:
        made = run.setup(["credentials"])["credentials"]
        assert made.get_resource_context().run_id == "r9"
        assert run.ready(["credentials"]) == {"credentials": made}
        assert run.ready(["credentials", "other"]) is None


def test_an_async_yield_for_execution_runs_on_the_run_loop() -> None:
    """As Dagster allows: the resource is entered on the loop async assets run on."""
    import asyncio
    from contextlib import asynccontextmanager

    from upstream import materialize

    class Looped(ConfigurableResource):
        _loop: Any = PrivateAttr(default=None)

        @asynccontextmanager
        async def yield_for_execution(self, context: InitResourceContext) -> Any:  # type: ignore[override]
            self._loop = asyncio.get_running_loop()
            EVENTS.append("enter")
            yield self
            EVENTS.append("exit")

    @asset
    async def on_loop(looped: Looped) -> bool:
        return looped._loop is asyncio.get_running_loop()

    assert materialize([on_loop], resources={"looped": Looped()}).output_for("on_loop") is True
    assert EVENTS == ["enter", "exit"]
    with (
        pytest.raises(ConfigurationError, match="async yield_for_execution"),
        build_resources({"looped": Looped()}),
    ):
        pass
