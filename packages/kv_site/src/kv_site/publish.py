"""Publishing the built site to AWS: upload it to the site bucket, remove what the new
build no longer has, and invalidate the CloudFront cache.

The bucket and the distribution come from the stack ``serverless deploy`` made (its
outputs ``SiteBucketName`` and ``SiteDistributionId``) or are named outright::

    python -m kv_site.publish --stack kv-storage-prod
    python -m kv_site.publish --bucket my-bucket --distribution E2ABC --site-dir path/to/site
"""

from __future__ import annotations

import argparse
import mimetypes
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kv_site import site_dir

# Python's own table, not the machine's /etc/mime.types, so every machine agrees.
_TYPES = mimetypes.MimeTypes()
for _type, _extension in [
    ("text/javascript", ".js"),
    ("text/javascript", ".mjs"),
    ("application/json", ".map"),
    ("application/manifest+json", ".webmanifest"),
    ("font/woff2", ".woff2"),
    ("font/woff", ".woff"),
    ("image/svg+xml", ".svg"),
    ("image/webp", ".webp"),
    ("application/xml", ".xml"),
]:
    _TYPES.add_type(_type, _extension)

TEXT_TYPES = ("text/", "application/json", "application/xml", "application/manifest+json")
# Names that change whenever the content does (MkDocs Material's bundles:
# ``main.484c7ddc.min.css``) may be cached for a year; pages must be revalidated.
FINGERPRINTED = re.compile(r"\.[0-9a-f]{8,}(?:\.min)?\.[a-z0-9]+$")
REVALIDATED = (".html", ".xml", ".json", ".txt", ".webmanifest", ".gz")
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
CACHE_REVALIDATE = "public, max-age=0, must-revalidate"
CACHE_DEFAULT = "public, max-age=3600"


@dataclass(frozen=True)
class Target:
    """Where the site goes."""

    bucket: str
    distribution_id: str


@dataclass
class Published:
    """What one run did."""

    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    invalidation_id: str = ""


def content_type(key: str) -> str:
    """The Content-Type of an object, with a charset for text."""
    kind, encoding = _TYPES.guess_type(key, strict=False)
    if encoding == "gzip":  # sitemap.xml.gz is a file to download, not a page
        return "application/gzip"
    kind = kind or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith(TEXT_TYPES) else kind


def cache_control(key: str) -> str:
    """How long browsers and CloudFront may keep an object."""
    name = key.rsplit("/", 1)[-1]
    if FINGERPRINTED.search(name):
        return CACHE_IMMUTABLE
    if name.endswith(REVALIDATED):
        return CACHE_REVALIDATE
    return CACHE_DEFAULT


def site_files(site_dir: Path) -> dict[str, Path]:
    """Every file of a built site by its object key (``docs/index.html``)."""
    if not (site_dir / "index.html").is_file():
        raise FileNotFoundError(f"{site_dir} holds no built site (no index.html): build it first")
    return {
        path.relative_to(site_dir).as_posix(): path
        for path in sorted(site_dir.rglob("*"))
        if path.is_file()
    }


def upload_order(keys: Sequence[str]) -> list[str]:
    """Assets before pages, so a page never points at an asset not yet uploaded."""
    return sorted(keys, key=lambda key: (key.endswith(".html"), key))


def existing_keys(s3: Any, bucket: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            yield item["Key"]


def publish(site_dir: Path, target: Target, s3: Any = None, cloudfront: Any = None) -> Published:
    """Upload ``site_dir`` to the bucket, delete stale objects, invalidate CloudFront."""
    import boto3

    s3 = s3 or boto3.client("s3")
    cloudfront = cloudfront or boto3.client("cloudfront")
    files = site_files(site_dir)
    done = Published()
    for key in upload_order(list(files)):
        s3.upload_file(
            str(files[key]),
            target.bucket,
            key,
            ExtraArgs={"ContentType": content_type(key), "CacheControl": cache_control(key)},
        )
        done.uploaded.append(key)
    stale = sorted(set(existing_keys(s3, target.bucket)) - files.keys())
    for start in range(0, len(stale), 1000):  # delete_objects takes 1000 keys at most
        batch = stale[start : start + 1000]
        s3.delete_objects(
            Bucket=target.bucket,
            Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
        )
        done.deleted.extend(batch)
    invalidation = cloudfront.create_invalidation(
        DistributionId=target.distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"kv-site-{time.time_ns()}",
        },
    )
    done.invalidation_id = invalidation["Invalidation"]["Id"]
    return done


def stack_target(stack: str, cloudformation: Any = None) -> Target:
    """The site bucket and distribution of a deployed stack, from its outputs."""
    import boto3

    cloudformation = cloudformation or boto3.client("cloudformation")
    (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    try:
        return Target(outputs["SiteBucketName"], outputs["SiteDistributionId"])
    except KeyError as missing:
        raise LookupError(f"stack {stack} has no output {missing}: is it KV Storage's?") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kv_site.publish", description="Publish the built site to AWS."
    )
    parser.add_argument("--site-dir", type=Path, help="the built site (default: where it is built)")
    parser.add_argument("--stack", help="the deployed stack, e.g. kv-storage-prod")
    parser.add_argument("--bucket", help="the site bucket (instead of --stack)")
    parser.add_argument("--distribution", help="the CloudFront distribution id (with --bucket)")
    args = parser.parse_args(argv)
    if args.stack:
        target = stack_target(args.stack)
    elif args.bucket and args.distribution:
        target = Target(args.bucket, args.distribution)
    else:
        parser.error("name --stack, or both --bucket and --distribution")
    done = publish(args.site_dir or site_dir(), target)
    print(
        f"Uploaded {len(done.uploaded)} files to s3://{target.bucket}, deleted"
        f" {len(done.deleted)} stale ones; CloudFront invalidation {done.invalidation_id}."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
