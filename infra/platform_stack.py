"""The platform stack ``pivotkit-<stage>``: only what every customer truly shares.

The call-state table, the media bucket and its access-log bucket, the dependency layer, the
alarm topic with the fleet-wide alarms, and the stage dashboard. Nothing here names a
customer, so the template is the same for one customer or a thousand, and adding, changing
or removing a customer never touches it. Customer stacks find these resources through SSM
parameters (``infra.platform_parameters``).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra import platform_parameters as parameters
from infra.dependency_layer import DependencyLayer, PipLayerBuilder
from infra.media_bucket import MediaBucket
from infra.monitoring import PlatformMonitoring
from infra.settings import DeploymentSettings
from infra.state_table import CallStateTable


class PlatformStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        layer_builder: PipLayerBuilder,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"pivotkit ({settings.stage.value}): shared state, media, layer and"
            " monitoring of every customer stack",
            **kwargs,
        )
        table = CallStateTable(self, "State", settings=settings).table
        bucket = MediaBucket(self, "Media", settings=settings).bucket
        layer = DependencyLayer(self, "Dependencies", builder=layer_builder).layer
        monitoring = PlatformMonitoring(self, "Monitoring", settings=settings, table=table)
        parameters.publish(
            self,
            settings,
            {
                parameters.STATE_TABLE: table.table_name,
                parameters.MEDIA_BUCKET: bucket.bucket_name,
                parameters.LAYER: layer.layer_version_arn,
                parameters.ALARM_TOPIC: monitoring.topic.topic_arn,
            },
        )
        CfnOutput(self, "StateTableName", value=table.table_name)
        CfnOutput(self, "MediaBucketName", value=bucket.bucket_name)
        CfnOutput(self, "AlarmTopicArn", value=monitoring.topic.topic_arn)
        CfnOutput(self, "DashboardName", value=settings.name_prefix)
