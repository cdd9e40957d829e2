"""The one-service data loader finds exactly what botocore's own loader finds, in the same
search paths, without listing every service botocore ships."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import UnknownServiceError
from botocore.loaders import create_loader

from pivotkit.aws.clients import new_client
from pivotkit.aws.service_loader import ServiceLoader

MODEL_TYPES = ("service-2", "endpoint-rule-set-1", "paginators-1", "waiters-2")


@pytest.mark.parametrize("type_name", MODEL_TYPES)
def test_it_loads_the_models_botocores_loader_loads(type_name: str) -> None:
    ours = ServiceLoader("dynamodb").load_service_model("dynamodb", type_name)
    assert ours == create_loader().load_service_model("dynamodb", type_name)


def test_any_other_service_is_unknown_to_it() -> None:
    assert create_loader().list_available_services("service-2").count("s3") == 1
    with pytest.raises(UnknownServiceError):
        ServiceLoader("dynamodb").load_service_model("s3", "service-2")
    with pytest.raises(UnknownServiceError):
        ServiceLoader("no-such-service").load_service_model("no-such-service", "service-2")


def test_a_data_path_model_wins_as_with_botocores_loader(tmp_path: Path) -> None:
    model = create_loader().load_service_model("dynamodb", "service-2")
    model["metadata"]["serviceFullName"] = "DynamoDB from AWS_DATA_PATH"
    version = model["metadata"]["apiVersion"]
    (tmp_path / "dynamodb" / version).mkdir(parents=True)
    (tmp_path / "dynamodb" / version / "service-2.json").write_text(json.dumps(model))
    ours = ServiceLoader("dynamodb", data_path=str(tmp_path))
    assert ours.search_paths[0] == str(tmp_path)
    loaded = ours.load_service_model("dynamodb", "service-2")
    assert loaded == create_loader(str(tmp_path)).load_service_model("dynamodb", "service-2")
    assert loaded["metadata"]["serviceFullName"] == "DynamoDB from AWS_DATA_PATH"


def test_clients_are_built_through_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_DATA_PATH"):
        monkeypatch.delenv(name, raising=False)
    client = new_client("dynamodb", Config(region_name="eu-west-1"))
    assert client.meta.service_model.service_name == "dynamodb"
    assert client.meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"
    with pytest.raises(UnknownServiceError):
        new_client("no-such-service", Config(region_name="eu-west-1"))
