"""The pivotkit stack: wires the capability constructs together and declares the outputs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.dependency_layer import DependencyLayer, PipLayerBuilder
from infra.functions import (
    MEDIA_TIMEOUT,
    PIVOT_TIMEOUT,
    MediaFunction,
    PivotFunction,
    SharedResources,
)
from infra.http_api import PivotHttpApi
from infra.media_bucket import MediaBucket
from infra.monitoring import MonitoredFunction, Monitoring
from infra.settings import DeploymentSettings
from infra.state_table import CallStateTable
from infra.tokens import CustomerTokens


def output_name(slug: str) -> str:
    """``acme_west`` -> ``AcmeWest``: readable output keys (CloudFormation allows [A-Za-z0-9])."""
    return "".join(part[:1].upper() + part[1:] for part in slug.split("_"))


class PivotkitStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        handlers_dir: Path,
        customers: Sequence[str],
        layer_builder: PipLayerBuilder,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"pivotkit ({settings.stage.value}): hosted Kazoo Pivot endpoints",
            **kwargs,
        )
        names = [output_name(slug) for slug in customers]
        if len(set(names)) != len(names):
            raise ValueError(f"customer slugs {list(customers)} give clashing output names")

        table = CallStateTable(self, "State", settings=settings).table
        bucket = MediaBucket(self, "Media", settings=settings).bucket
        layer = DependencyLayer(self, "Dependencies", builder=layer_builder).layer
        secrets = {
            slug: CustomerTokens(self, f"Tokens-{slug}", slug=slug, settings=settings).secret
            for slug in customers
        }
        http = PivotHttpApi(self, "Http", settings=settings)
        public_url = settings.domain.base_url if settings.domain is not None else None
        shared = SharedResources(
            handlers_dir=handlers_dir,
            customers=tuple(customers),
            layer=layer,
            table=table,
            bucket=bucket,
            token_secrets=secrets,
        )

        monitored: list[MonitoredFunction] = []
        base_url = http.base_url
        for slug, name in zip(customers, names, strict=True):
            pivot = PivotFunction(
                self,
                f"Pivot-{slug}",
                slug=slug,
                shared=shared,
                settings=settings,
                public_url=public_url,
            )
            http.add_pivot_routes(slug, pivot.alias)
            monitored.append(
                MonitoredFunction(f"Pivot{name}", pivot.function, PIVOT_TIMEOUT, customer=slug)
            )
            CfnOutput(
                self,
                f"{name}VoiceUrl",
                value=f"{base_url}/pivot/{slug}",
                description=f"{slug}: Kazoo pivot voice_url without its token; append"
                f" ?token=<token> (the token is in {name}TokensSecret).",
            )
            CfnOutput(
                self,
                f"{name}TokensSecret",
                value=secrets[slug].secret_arn,
                description=f"{slug}: read the token with `aws secretsmanager get-secret-value"
                " --secret-id <this ARN> --query SecretString --output text`.",
            )
            CfnOutput(
                self,
                f"{name}MediaUrl",
                value=f"{base_url}/media/{slug}",
                description=f"{slug}: base URL for record_call and storage-plan uploads.",
            )

        media = MediaFunction(
            self, "MediaFn", shared=shared, settings=settings, public_url=public_url
        )
        http.add_media_routes(media.alias)
        monitored.append(MonitoredFunction("Media", media.function, MEDIA_TIMEOUT))

        monitoring = Monitoring(
            self,
            "Monitoring",
            settings=settings,
            api=http.api,
            functions=monitored,
            table=table,
        )
        CfnOutput(self, "ApiUrl", value=base_url, description="Base URL of every route.")
        CfnOutput(self, "StateTableName", value=table.table_name)
        CfnOutput(self, "MediaBucketName", value=bucket.bucket_name)
        CfnOutput(self, "AlarmTopicArn", value=monitoring.topic.topic_arn)
        CfnOutput(self, "DashboardName", value=settings.name_prefix)
