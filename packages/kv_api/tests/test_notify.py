import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses import ses_backends

from kv_api.jobs import send_usage_alerts
from kv_core.mail.ses import SesNotifier
from kv_core.mail.smtp import SmtpNotifier
from kv_core.notify import LogNotifier
from kv_core.settings import Settings


@pytest.fixture
def aws(fake_aws):
    boto3.client("ses", region_name="us-east-1").verify_email_identity(
        EmailAddress="alerts@kv.example.com"
    )
    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


def test_ses_sends_plain_text_mail(aws):
    SesNotifier("alerts@kv.example.com", "us-east-1").send("ann@example.com", "Hi", "Body text")
    [message] = aws.sent_messages
    assert message.destinations["ToAddresses"] == ["ann@example.com"]
    assert message.subject == "Hi"
    assert message.body == "Body text"
    assert message.source == "alerts@kv.example.com"


def test_the_notifier_follows_the_settings(tmp_path, fake_aws):
    env = {"KV_DATA_DIR": str(tmp_path), "KV_ALERT_FROM": "a@example.com"}
    assert isinstance(Settings.from_env(env).notifier(), LogNotifier)
    smtp = Settings.from_env({**env, "KV_SMTP_URL": "smtp://mail.example:587"}).notifier()
    assert isinstance(smtp, SmtpNotifier)
    assert smtp.sender == "a@example.com"
    aws = {**env, "KV_STORE": "dynamodb", "KV_JWT_SECRET": "x" * 40}
    assert isinstance(Settings.from_env(aws).notifier(), SesNotifier)


def test_the_alert_job_locally(tmp_path, app, account):
    settings = app.extensions["kv_settings"]
    assert send_usage_alerts(settings) == []
    store = app.extensions["kv_services"].store
    store.add_requests(account.user_id, account.usage()["month"], 9_000)
    [alert] = send_usage_alerts(settings)
    assert (alert.email, alert.threshold) == ("ann@example.com", 80)
    assert send_usage_alerts(settings) == []
