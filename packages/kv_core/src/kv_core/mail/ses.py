"""Mail through Amazon SES, on AWS (the ``dynamodb`` extra brings boto3)."""

from __future__ import annotations

from typing import Any


class SesNotifier:
    """Sends plain-text email through SES from a verified sender address."""

    def __init__(self, sender: str, region: str | None = None, client: Any = None) -> None:
        import boto3

        self.sender = sender
        self.client = client or boto3.client("ses", region_name=region)

    def send(self, to: str, subject: str, body: str) -> None:
        self.client.send_email(
            Source=self.sender,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
            },
        )
