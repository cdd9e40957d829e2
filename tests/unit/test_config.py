"""A customer's typed configuration: declared on the Customer, one TOML file per stage beside
it, validated by its pydantic model, with errors that name the customer, the file and the
field."""

from __future__ import annotations

import dataclasses
import sys
import types
from datetime import time
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from pivotkit import Customer, Flow
from pivotkit.config import (
    STAGES,
    ConfigError,
    ConfigFiles,
    StaticConfig,
    config_path,
    customer_dir,
    load_config,
)
from tests.fixtures.configured import CUSTOMERS_ROOT
from tests.fixtures.configured.customers import dental
from tests.fixtures.configured.customers.dental.config import DentalConfig


class Hours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: str
    opens: time


class ShopConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    hours: list[Hours] = []


def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **files: str) -> Customer:
    """A customer declared in a module whose file is in ``tmp_path``, with ``files``
    (``dev="..."``) as its config/<stage>.toml."""
    module = types.ModuleType("shop_under_test")
    module.__file__ = str(tmp_path / "__init__.py")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    (tmp_path / "config").mkdir()
    for stage, text in files.items():
        (tmp_path / "config" / f"{stage}.toml").write_text(text, encoding="utf-8")
    return Customer(
        slug="shop",
        flow=Flow(),
        config_model=ShopConfig,
        secrets=("api_key",),
        module=module.__name__,
    )


def test_every_stage_of_the_fixture_customer_loads_typed() -> None:
    for stage in STAGES:
        config = load_config(dental.customer, stage)
        assert isinstance(config, DentalConfig)
        assert isinstance(config.opens, time)
    dev, prod = load_config(dental.customer, "dev"), load_config(dental.customer, "prod")
    assert str(dev.booking_url) == "https://booking.dev.example/api/v1"
    assert prod.opens == time(7, 30)
    assert prod.timezone == "America/Chicago"  # the model's default


def test_the_files_are_found_beside_the_module_that_declares_the_customer() -> None:
    assert dental.customer.module == "tests.fixtures.configured.customers.dental"
    assert customer_dir(dental.customer) == CUSTOMERS_ROOT / "dental"
    assert config_path(dental.customer, "prod") == CUSTOMERS_ROOT / "dental/config/prod.toml"
    # A copy made with dataclasses.replace keeps where the original was declared.
    assert dataclasses.replace(dental.customer, fallback_message="x").module == (
        dental.customer.module
    )


def test_a_bad_value_names_the_customer_the_file_and_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = shop(tmp_path, monkeypatch, dev='name = "Corner shop"\n[[hours]]\nday = "mon"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(customer, "dev")
    path = tmp_path / "config" / "dev.toml"
    assert str(raised.value) == f"shop: {path}: hours.0.opens: Field required"


def test_every_bad_field_gets_its_own_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = 'colour = "red"\n[[hours]]\nday = "mon"\nopens = "25:00"\n'
    customer = shop(tmp_path, monkeypatch, prod=text)
    with pytest.raises(ConfigError) as raised:
        load_config(customer, "prod")
    lines = str(raised.value).splitlines()
    path = tmp_path / "config" / "prod.toml"
    assert [line.split(": ")[:3] for line in lines] == [
        ["shop", str(path), "name"],
        ["shop", str(path), "hours.0.opens"],
        ["shop", str(path), "colour"],
    ]
    assert lines[2].endswith("Extra inputs are not permitted")


def test_the_path_is_shown_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = shop(tmp_path, monkeypatch, dev="name = 3\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"^shop: config/dev\.toml: name: Input should be"):
        load_config(customer, "dev")


def test_a_missing_file_and_bad_toml_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = shop(tmp_path, monkeypatch, dev='name = "unterminated\n')
    with pytest.raises(ConfigError, match=r"dev\.toml: not valid TOML"):
        load_config(customer, "dev")
    with pytest.raises(ConfigError, match=r"prod\.toml: missing; config_model=ShopConfig needs"):
        load_config(customer, "prod")
    with pytest.raises(ValueError, match="stage 'staging' is not one of dev, prod"):
        load_config(customer, "staging")


def test_a_declared_secret_in_a_config_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = shop(tmp_path, monkeypatch, dev='name = "x"\napi_key = "sk-live-1"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(customer, "dev")
    assert "api_key: a declared secret does not belong in configuration" in str(raised.value)
    assert "sk-live-1" not in str(raised.value)


def test_files_are_read_once_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    customer = shop(tmp_path, monkeypatch, dev='name = "first"\n')
    files = ConfigFiles("dev")
    first = files.config_for(customer)
    (tmp_path / "config" / "dev.toml").write_text('name = "second"\n', encoding="utf-8")
    assert files.config_for(customer) is first
    assert ConfigFiles("dev").config_for(customer).name == "second"


def test_preload_skips_customers_without_a_model_and_fails_on_a_bad_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = Customer(slug="plain", flow=Flow())
    ConfigFiles().preload([plain])  # nothing to read, nothing raised
    broken = shop(tmp_path, monkeypatch, dev="")
    with pytest.raises(ConfigError, match="name: Field required"):
        ConfigFiles().preload([plain, broken])


def test_config_given_in_code_is_validated_by_the_model() -> None:
    given = StaticConfig({"dental": {**_dental_values(), "opens": "09:15"}})
    assert given.config_for(dental.customer).opens == time(9, 15)
    instance = DentalConfig(**_dental_values())
    assert StaticConfig({"dental": instance}).config_for(dental.customer) is instance
    with pytest.raises(ConfigError, match="dental: config given in code: booking_url: Input"):
        StaticConfig({"dental": {**_dental_values(), "booking_url": "not a url"}}).config_for(
            dental.customer
        )


def test_a_customer_without_a_model_has_no_config() -> None:
    plain = Customer(slug="plain", flow=Flow())
    with pytest.raises(ConfigError, match="declares no configuration"):
        load_config(plain)


def test_the_declaration_is_checked() -> None:
    with pytest.raises(TypeError, match="pydantic model class"):
        Customer(slug="x", flow=Flow(), config_model=dict)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tuple of names"):
        Customer(slug="x", flow=Flow(), secrets="api_key")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="secret name 'API-KEY'"):
        Customer(slug="x", flow=Flow(), secrets=("API-KEY",))
    with pytest.raises(ValueError, match="named twice"):
        Customer(slug="x", flow=Flow(), secrets=("a", "a"))
    assert Customer(slug="x", flow=Flow(), secrets=["a", "b"]).secrets == ("a", "b")  # type: ignore[arg-type]


def _dental_values() -> dict[str, str]:
    return {
        "front_desk_device": "0123456789abcdef0123456789abcdef",
        "booking_url": "https://booking.test/api",
        "opens": "08:00",
        "closes": "17:00",
    }
