"""The AWS deployment as ``serverless package`` writes it: the CloudFormation template
and the Lambda zip. ``nox -s package`` makes both and runs these tests; elsewhere they
are skipped until a package exists."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[4]
PACKAGED = Path(os.environ.get("KV_SERVERLESS_DIR", ROOT / ".serverless"))
TEMPLATE = PACKAGED / "cloudformation-template-update-stack.json"
ZIP = PACKAGED / "kv-storage.zip"

pytestmark = pytest.mark.skipif(
    not (TEMPLATE.is_file() and ZIP.is_file()),
    reason="no packaged deployment: run `nox -s package`",
)

HANDLERS = {
    "ApiLambdaFunction": "kv_api.lambda_handlers.api",
    "DashboardLambdaFunction": "kv_api.lambda_handlers.dashboard",
    "UsageAlertsLambdaFunction": "kv_api.lambda_handlers.usage_alerts",
    "ReconcileCountersLambdaFunction": "kv_api.lambda_handlers.reconcile_counters",
    "SweepExpiredLambdaFunction": "kv_api.lambda_handlers.sweep_expired",
    "ProcessStreamLambdaFunction": "kv_api.lambda_handlers.process_stream",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return json.loads(TEMPLATE.read_text())


@pytest.fixture(scope="module")
def resources(template) -> dict[str, Any]:
    return template["Resources"]


@pytest.fixture(scope="module")
def archive():
    with zipfile.ZipFile(ZIP) as opened:
        yield opened


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def policy_statements(resources: dict[str, Any]) -> list[dict[str, Any]]:
    role = resources["IamRoleLambdaExecution"]["Properties"]
    return [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- functions -------------------------------------------------------------------------


def test_functions_run_our_handlers_on_python_3_12(resources):
    functions = of_type(resources, "AWS::Lambda::Function")
    assert {name: f["Properties"]["Handler"] for name, f in functions.items()} == HANDLERS
    assert {f["Properties"]["Runtime"] for f in functions.values()} == {"python3.12"}


def test_functions_are_configured_for_dynamodb_without_secrets(resources):
    for name in HANDLERS:
        env = resources[name]["Properties"]["Environment"]["Variables"]
        assert env["KV_STORE"] == "dynamodb"
        assert env["KV_TABLE"] == {"Ref": "DataTable"}
        assert env["KV_JWT_SECRET_PARAMETER"].endswith("/jwt-secret")
        assert env["KV_PADDLE_WEBHOOK_SECRET_PARAMETER"].endswith("/paddle-webhook-secret")
        assert "KV_JWT_SECRET" not in env
        assert "KV_PADDLE_WEBHOOK_SECRET" not in env
        assert {"KV_PADDLE_PRICES", "KV_ALERT_FROM", "KV_CORS_ORIGINS"} <= env.keys()


def test_the_dashboard_is_mounted_under_its_path(resources):
    env = resources["DashboardLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert env["API_GATEWAY_BASE_PATH"] == "dashboard"
    api_env = resources["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert "API_GATEWAY_BASE_PATH" not in api_env


def test_http_api_routes_reach_each_app_with_payload_2(resources):
    integrations = of_type(resources, "AWS::ApiGatewayV2::Integration")
    assert {i["Properties"]["PayloadFormatVersion"] for i in integrations.values()} == {"2.0"}
    routes = {
        r["Properties"]["RouteKey"]: json.dumps(r["Properties"]["Target"])
        for r in of_type(resources, "AWS::ApiGatewayV2::Route").values()
    }
    assert "HttpApiIntegrationApi" in routes["ANY /v1/{proxy+}"]
    assert "HttpApiIntegrationDashboard" in routes["ANY /dashboard/{proxy+}"]
    assert "HttpApiIntegrationDashboard" in routes["ANY /dashboard"]


def test_usage_alerts_the_reconciliation_and_the_sweep_run_on_a_schedule(resources):
    scheduled = set()
    for rule in of_type(resources, "AWS::Events::Rule").values():
        assert rule["Properties"]["ScheduleExpression"].startswith(("rate(", "cron("))
        (target,) = rule["Properties"]["Targets"]
        scheduled.add(target["Arn"]["Fn::GetAtt"][0])
    assert scheduled == {
        "UsageAlertsLambdaFunction",
        "ReconcileCountersLambdaFunction",
        "SweepExpiredLambdaFunction",
    }


# --- data --------------------------------------------------------------------------------


def test_the_table_is_the_single_table_design(resources):
    table = resources["DataTable"]
    assert table["DeletionPolicy"] == "Retain"
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["PK", "SK"]
    gsi1, gsi2 = props["GlobalSecondaryIndexes"]
    assert gsi1["IndexName"] == "GSI1"
    assert [k["AttributeName"] for k in gsi1["KeySchema"]] == ["GSI1PK", "GSI1SK"]
    assert gsi2["IndexName"] == "GSI2"  # expiring items, for the sweep
    assert [k["AttributeName"] for k in gsi2["KeySchema"]] == ["GSI2PK", "GSI2SK"]
    assert gsi2["Projection"]["ProjectionType"] == "INCLUDE"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_the_table_s_stream_feeds_the_change_feed_and_is_never_dropped(resources):
    (mapping,) = of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["DataTable", "StreamArn"]}
    assert props["FunctionName"]["Fn::GetAtt"][0] == "ProcessStreamLambdaFunction"
    assert props["StartingPosition"] == "TRIM_HORIZON"
    assert props["BisectBatchOnFunctionError"] is True
    assert props["MaximumRetryAttempts"] == -1  # a record is retried until logged
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    handler = resources["ProcessStreamLambdaFunction"]["Properties"]["Handler"]
    assert handler == "kv_api.lambda_handlers.process_stream"


# --- permissions -------------------------------------------------------------------------


def test_dynamodb_access_is_this_table_and_its_index_only(resources):
    statements = [
        s
        for s in policy_statements(resources)
        if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))
    ]
    assert statements
    for statement in statements:
        assert all(a.startswith("dynamodb:") and "*" not in a for a in statement["Action"])
        assert "dynamodb:DeleteTable" not in statement["Action"]
        targets = json.dumps(statement["Resource"])
        assert "DataTable" in targets
        assert '"*"' not in targets
        assert "index/*" not in targets


def test_email_is_sent_only_from_the_configured_sender(resources):
    (ses,) = [
        s
        for s in policy_statements(resources)
        if any(a.startswith("ses:") for a in as_list(s["Action"]))
    ]
    assert set(ses["Action"]) == {"ses:SendEmail", "ses:SendRawEmail"}
    assert "ses:FromAddress" in ses["Condition"]["StringEquals"]


SIGN_IN_SECRETS = {"oidc-cognito-client-secret", "oidc-google-client-secret"}


def test_secrets_are_read_from_their_own_parameters_only(resources):
    (ssm,) = [
        s
        for s in policy_statements(resources)
        if any(a.startswith("ssm:") for a in as_list(s["Action"]))
    ]
    assert ssm["Action"] == ["ssm:GetParameter"]
    arns = [r["Fn::Sub"] for r in ssm["Resource"]]
    assert len(arns) == 4
    assert {arn.rsplit("/", 1)[1] for arn in arns} == {
        "jwt-secret",
        "paddle-webhook-secret",
        *SIGN_IN_SECRETS,
    }
    env = resources["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    for name in ("KV_JWT_SECRET_PARAMETER", "KV_PADDLE_WEBHOOK_SECRET_PARAMETER"):
        assert any(arn.endswith(f":parameter{env[name]}") for arn in arns)
    dashboard = resources["DashboardLambdaFunction"]["Properties"]["Environment"]["Variables"]
    for name in ("COGNITO", "GOOGLE"):
        parameter = dashboard[f"KV_OIDC_{name}_CLIENT_SECRET_PARAMETER"]
        assert any(arn.endswith(f":parameter{parameter}") for arn in arns)


def test_sign_in_providers_are_off_by_default_and_on_the_dashboard_only(resources):
    dashboard = resources["DashboardLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert dashboard["KV_OIDC_PROVIDERS"] == ""
    assert dashboard["KV_OIDC_GOOGLE_ISSUER"] == "https://accounts.google.com"
    assert "KV_OIDC_COGNITO_CLIENT_SECRET" not in dashboard
    api = resources["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert not [name for name in api if name.startswith("KV_OIDC_")]


# --- the site ----------------------------------------------------------------------------


def test_the_site_bucket_is_private(resources):
    bucket = resources["SiteBucket"]["Properties"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert "WebsiteConfiguration" not in bucket
    statements = resources["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (read,) = [s for s in statements if s["Effect"] == "Allow"]
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    assert "SiteDistribution" in json.dumps(read["Condition"])


def test_cloudfront_reads_the_bucket_through_origin_access_control(resources):
    config = resources["SiteDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    errors = {e["ErrorCode"]: e for e in config["CustomErrorResponses"]}
    assert {e["ResponsePagePath"] for e in errors.values()} == {"/404.html"}
    assert {e["ResponseCode"] for e in errors.values()} == {404}
    assert {403, 404} <= errors.keys()


def test_publishing_finds_the_bucket_and_distribution_in_the_outputs(template):
    outputs = template["Outputs"]
    assert outputs["SiteBucketName"]["Value"] == {"Ref": "SiteBucket"}
    assert outputs["SiteDistributionId"]["Value"] == {"Ref": "SiteDistribution"}


# --- monitoring --------------------------------------------------------------------------


def test_alarms_cover_5xx_errors_throttles_and_p99_latency(resources):
    alarms = [a["Properties"] for a in of_type(resources, "AWS::CloudWatch::Alarm").values()]
    watched = {(a["Namespace"], a["MetricName"]) for a in alarms}
    assert {
        ("AWS/ApiGateway", "5xx"),
        ("AWS/ApiGateway", "Latency"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
    } <= watched
    assert any(a.get("ExtendedStatistic") == "p99" for a in alarms)
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    errors = {a["Dimensions"][0]["Value"]["Ref"] for a in alarms if a["MetricName"] == "Errors"}
    assert errors == set(HANDLERS)


def test_requests_log_embedded_metrics_that_an_alarm_watches(resources):
    for name in ("ApiLambdaFunction", "DashboardLambdaFunction"):
        env = resources[name]["Properties"]["Environment"]["Variables"]
        assert env["KV_METRICS_NAMESPACE"] == "KVStorage/dev"
    alarm = resources["ApiStoreErrorsAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("KVStorage/dev", "StoreErrors")
    assert alarm["Dimensions"] == [{"Name": "Service", "Value": "api"}]


def test_alarms_reach_an_email_subscription(resources):
    subscription = resources["AlarmEmailSubscription"]
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}


# --- the zip -----------------------------------------------------------------------------


def test_the_zip_holds_every_handler_named_in_the_template(resources, archive):
    names = set(archive.namelist())
    for function in HANDLERS:
        module, _, attribute = resources[function]["Properties"]["Handler"].rpartition(".")
        path = module.replace(".", "/") + ".py"
        assert path in names
        tree = ast.parse(archive.read(path))
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert attribute in defined


def test_the_zip_holds_our_packages_and_their_dependencies(archive):
    tops = {name.split("/", 1)[0] for name in archive.namelist()}
    assert {"kv_core", "kv_api", "kv_dashboard", "flask", "jwt", "pynamodb", "flask_login"} <= tops
    assert any(n.startswith("kv_dashboard/templates/") for n in archive.namelist())
    assert "serverless_wsgi.py" in tops
    # The Lambda runtime ships the AWS SDK.
    assert "boto3" not in tops
    assert "botocore" not in tops


def test_the_zip_holds_no_tests_caches_or_tooling(archive):
    for name in archive.namelist():
        parts = name.split("/")
        assert parts[0] not in {"packages", "node_modules", ".serverless", ".nox", ".git"}, name
        assert "__pycache__" not in parts, name
        assert not name.endswith((".pyc", ".pyo")), name
        assert not {"tests", ".pytest_cache", ".mypy_cache", ".ruff_cache"} & set(parts), name


# The zip alone (no site-packages: ``-S``) on the Lambda runtime's Python when the
# package session names it, answering events as the HTTP API sends them.
SMOKE = """
import json, os, sys
from kv_api import lambda_handlers

def event(path):
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "abc.execute-api.us-east-1.amazonaws.com"},
        "requestContext": {
            "http": {"method": "GET", "path": path, "sourceIp": "192.0.2.1"},
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }

api = lambda_handlers.api(event("/v1/health"), None)
os.environ["API_GATEWAY_BASE_PATH"] = "dashboard"  # as serverless.yml sets it
dashboard = lambda_handlers.dashboard(event("/dashboard/login"), None)
json.dump({"api": api, "dashboard": dashboard, "version": sys.version_info[:2]}, sys.stdout)
"""


def test_the_zip_alone_runs_the_handlers(archive, tmp_path):
    archive.extractall(tmp_path / "task")
    python = os.environ.get("KV_LAMBDA_PYTHON", sys.executable)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(tmp_path / "task"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "KV_DATA_DIR": str(tmp_path / "data"),
        "STRIP_STAGE_PATH": "yes",
    }
    run = subprocess.run(
        [python, "-S", "-c", SMOKE], env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    *logged, last = run.stdout.splitlines()  # the functions log a line per request
    answers = json.loads(last)
    lines = [json.loads(line) for line in logged]
    assert [(line["Service"], line["status"]) for line in lines] == [
        ("api", 200),
        ("dashboard", 200),
    ]
    assert lines[0]["route"] == "/v1/health"
    if "KV_LAMBDA_PYTHON" in os.environ:
        assert answers["version"] == [3, 12]
    assert answers["api"]["statusCode"] == 200
    assert json.loads(answers["api"]["body"]) == {"status": "ok"}
    assert answers["dashboard"]["statusCode"] == 200
    assert "<form" in answers["dashboard"]["body"]
