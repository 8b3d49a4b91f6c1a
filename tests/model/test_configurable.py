"""Pydantic resources as Dagster's: fields, defaults, frozen, errors naming the field,
`EnvVar` shown by name, `configure_at_launch()`, function resources. Pure: nothing runs."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import PrivateAttr

from upstream import (
    ConfigurableIOManager,
    ConfigurableResource,
    ConfigurationError,
    Definitions,
    DefinitionsError,
    EnvVar,
    InputContext,
    IOManager,
    OutputContext,
    ResourceDependency,
    ResourceParam,
    asset,
    build_init_resource_context,
    io_manager,
    resource,
)
from upstream.model.configurable import PartialResource
from upstream.model.resources import is_resource_annotation, provides_io_manager


class Db(ConfigurableResource):
    url: str
    pool: int = 5
    _connection: Any = PrivateAttr(default=None)


class Client:
    """A plain object, a dependency that is not configurable."""


class Api(ConfigurableResource):
    db: Db
    client: ResourceDependency[Client]
    region: str = "eu"


class Store(ConfigurableIOManager):
    root: str

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        return None

    def load_input(self, context: InputContext) -> Any:
        return None


def test_fields_defaults_and_keyword_construction() -> None:
    db = Db(url="postgres://x")
    assert (db.url, db.pool) == ("postgres://x", 5)
    assert Db(url="u", pool=9).pool == 9


def test_a_resource_is_frozen_but_private_attributes_may_be_set() -> None:
    db = Db(url="u")
    with pytest.raises(ConfigurationError, match=r"frozen.*'url'.*PrivateAttr"):
        db.url = "v"  # type: ignore[misc]
    db._connection = "open"
    assert db._connection == "open"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({}, "Db(...): field 'url': Field required"),
        ({"url": "u", "pool": "many"}, "field 'pool': Input should be a valid integer"),
        ({"url": "u", "pol": 3}, "field 'pol': Extra inputs are not permitted"),
    ],
)
def test_a_bad_value_is_a_configuration_error_naming_the_class_and_field(
    kwargs: dict[str, Any], words: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Db(**kwargs)
    assert words in str(caught.value)
    assert isinstance(caught.value, ValueError)  # as pydantic's ValidationError is


def test_env_var_is_its_name_never_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """The field holds the EnvVar until a run starts; repr shows the name; str() refuses."""
    monkeypatch.setenv("DB_URL", "postgres://secret")
    db = Db(url=EnvVar("DB_URL"))
    assert isinstance(db.url, EnvVar)
    assert db.url.env_var_name == "DB_URL"
    assert "secret" not in repr(db)
    assert "EnvVar('DB_URL')" in repr(db)
    with pytest.raises(RuntimeError, match="no value until a run starts"):
        str(db.url)
    assert db.url.get_value() == "postgres://secret"


def test_env_var_int_is_for_int_fields() -> None:
    db = Db(url="u", pool=EnvVar.int("POOL"))
    assert db.pool.env_var_name == "POOL"  # type: ignore[attr-defined]
    with pytest.raises(ConfigurationError, match=r"EnvVar\.int"):
        Db(url="u", pool=EnvVar("POOL"))


def test_a_resource_field_takes_a_resource_or_one_configured_at_launch() -> None:
    db = Db(url="u")
    client = Client()
    api = Api(db=db, client=client)
    assert api.db is db and api.client is client
    later = Api(db=Db.configure_at_launch(), client=client)
    assert isinstance(later.db, PartialResource)
    with pytest.raises(ConfigurationError, match="field 'db'"):
        Api(db=Api.configure_at_launch(), client=client)  # the wrong class


def test_configure_at_launch_keeps_the_fields_given() -> None:
    partial = Db.configure_at_launch(pool=2)
    assert partial.resource_cls is Db
    assert partial.data == {"pool": 2}
    assert repr(partial) == "Db.configure_at_launch()"


def test_resource_parameters_are_recognised_by_annotation() -> None:
    assert is_resource_annotation(Db)
    assert is_resource_annotation(Store)
    assert is_resource_annotation(ResourceParam[Client])
    assert not is_resource_annotation(Client)


def test_what_may_stand_under_an_io_manager_key() -> None:
    @io_manager
    def custom(_context: Any) -> IOManager:
        return Store(root="r")

    assert provides_io_manager(Store(root="r"))
    assert provides_io_manager(Store.configure_at_launch())
    assert provides_io_manager(custom)
    assert not provides_io_manager(Db(url="u"))
    assert not provides_io_manager(Db.configure_at_launch())


def test_definitions_take_any_io_manager_kind_and_refuse_another_resource() -> None:
    @asset(io_manager_key="store")
    def a() -> int:
        return 1

    Definitions([a], resources={"store": Store.configure_at_launch()})
    with pytest.raises(DefinitionsError, match="'store' is used as an IO manager"):
        Definitions([a], resources={"store": Db(url="u")})


def test_legacy_resource_functions_and_direct_invocation() -> None:
    @resource(config_schema={"url": str})
    def db(init_context: Any) -> str:
        return f"connected to {init_context.resource_config['url']}"

    @resource
    def bare() -> int:
        return 7

    assert db.config_schema == {"url": str}
    assert db(build_init_resource_context(config={"url": "x"})) == "connected to x"
    assert bare() == 7
    assert db.configured({"url": "y"}).configured_config == {"url": "y"}
    assert not db.is_configured


def test_a_custom_init_calling_super_works_as_in_dagster() -> None:
    """Dagster allows an `__init__` that passes the fields on to `super().__init__`."""

    class Warehouse(ConfigurableResource):
        name: str

        def __init__(self, name: str, **kwargs: Any) -> None:
            super().__init__(name=name, **kwargs)

    assert Warehouse("wh").name == "wh"
    assert Warehouse.model_validate({"name": "copy"}).name == "copy"


def test_a_factory_is_subscripted_with_its_value_type_and_builds_it() -> None:
    from upstream import ConfigurableResourceFactory

    class ClientFactory(ConfigurableResourceFactory[Client]):
        region: str

        def create_resource(self, context: Any) -> Client:
            return Client()

    factory = ClientFactory(region="eu")
    assert isinstance(factory.create_resource(build_init_resource_context()), Client)


def test_with_init_resource_context_binds_a_context_to_a_copy() -> None:
    db = Db(url="u")
    context = build_init_resource_context(config={"url": "u"})
    bound = db.with_init_resource_context(context)
    assert bound.get_resource_context() is context
    assert bound.url == "u" and bound is not db
