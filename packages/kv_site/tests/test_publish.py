"""Publishing the built site, against S3 and CloudFront as moto plays them."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from kv_site.publish import (
    CACHE_DEFAULT,
    CACHE_IMMUTABLE,
    CACHE_REVALIDATE,
    Target,
    cache_control,
    content_type,
    main,
    publish,
    stack_target,
    upload_order,
)

BUCKET = "kv-storage-test-site"


@pytest.fixture
def s3(fake_aws):
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def cloudfront(fake_aws):
    return boto3.client("cloudfront", region_name="us-east-1")


@pytest.fixture
def distribution_id(cloudfront) -> str:
    created = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "test",
            "Comment": "site",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [{"Id": "site", "DomainName": f"{BUCKET}.s3.amazonaws.com"}],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "site",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
        }
    )
    return created["Distribution"]["Id"]


@pytest.fixture
def site(tmp_path) -> Path:
    files = {
        "index.html": "<h1>KV Storage</h1>",
        "404.html": "<h1>Not found</h1>",
        "docs/deploying/index.html": "<h1>Deploying</h1>",
        "assets/stylesheets/main.484c7ddc.min.css": "body{}",
        "assets/javascripts/bundle.13a4f30d.min.js": "let a;",
        "assets/images/favicon.png": "png",
        "search/search_index.json": "{}",
        "sitemap.xml": "<urlset/>",
    }
    for key, text in files.items():
        path = tmp_path / "site" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "site"


def head(s3, key: str) -> dict:
    return s3.head_object(Bucket=BUCKET, Key=key)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("assets/stylesheets/main.484c7ddc.min.css", "text/css; charset=utf-8"),
        ("assets/javascripts/bundle.13a4f30d.min.js", "text/javascript; charset=utf-8"),
        ("search/search_index.json", "application/json; charset=utf-8"),
        ("sitemap.xml", "application/xml; charset=utf-8"),
        ("sitemap.xml.gz", "application/gzip"),
        ("assets/images/logo.svg", "image/svg+xml"),
        ("assets/images/favicon.png", "image/png"),
        ("assets/fonts/roboto.woff2", "font/woff2"),
        ("LICENSE", "application/octet-stream"),
    ],
)
def test_content_type(key, expected):
    assert content_type(key) == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("index.html", CACHE_REVALIDATE),
        ("docs/deploying/index.html", CACHE_REVALIDATE),
        ("search/search_index.json", CACHE_REVALIDATE),
        ("assets/stylesheets/main.484c7ddc.min.css", CACHE_IMMUTABLE),
        ("assets/javascripts/bundle.13a4f30d.min.js", CACHE_IMMUTABLE),
        ("assets/javascripts/lunr/min/lunr.stemmer.support.min.js", CACHE_DEFAULT),
        ("assets/images/favicon.png", CACHE_DEFAULT),
    ],
)
def test_cache_control(key, expected):
    assert cache_control(key) == expected


def test_pages_are_uploaded_after_their_assets():
    order = upload_order(["index.html", "a.css", "docs/index.html", "z.js"])
    assert order == ["a.css", "z.js", "docs/index.html", "index.html"]


def test_publish_uploads_every_file_with_its_type_and_caching(
    site, s3, cloudfront, distribution_id
):
    done = publish(site, Target(BUCKET, distribution_id), s3=s3, cloudfront=cloudfront)

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    expected = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert keys == expected == set(done.uploaded)
    page = head(s3, "docs/deploying/index.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert page["CacheControl"] == CACHE_REVALIDATE
    style = head(s3, "assets/stylesheets/main.484c7ddc.min.css")
    assert style["ContentType"] == "text/css; charset=utf-8"
    assert style["CacheControl"] == CACHE_IMMUTABLE
    body = s3.get_object(Bucket=BUCKET, Key="index.html")["Body"].read()
    assert body == b"<h1>KV Storage</h1>"


def test_publish_deletes_what_the_new_build_no_longer_has(site, s3, cloudfront, distribution_id):
    s3.put_object(Bucket=BUCKET, Key="old/page/index.html", Body=b"old")
    s3.put_object(Bucket=BUCKET, Key="index.html", Body=b"old home")

    done = publish(site, Target(BUCKET, distribution_id), s3=s3, cloudfront=cloudfront)

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert "old/page/index.html" not in keys
    assert done.deleted == ["old/page/index.html"]
    assert s3.get_object(Bucket=BUCKET, Key="index.html")["Body"].read() == b"<h1>KV Storage</h1>"


def test_publish_invalidates_the_whole_distribution(site, s3, cloudfront, distribution_id):
    done = publish(site, Target(BUCKET, distribution_id), s3=s3, cloudfront=cloudfront)

    invalidation = cloudfront.get_invalidation(
        DistributionId=distribution_id, Id=done.invalidation_id
    )
    assert invalidation["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == ["/*"]


def test_an_unbuilt_site_is_refused_before_anything_changes(tmp_path, s3, cloudfront):
    s3.put_object(Bucket=BUCKET, Key="index.html", Body=b"live")
    (tmp_path / "empty").mkdir()

    with pytest.raises(FileNotFoundError, match="no built site"):
        publish(tmp_path / "empty", Target(BUCKET, "E0"), s3=s3, cloudfront=cloudfront)

    assert s3.get_object(Bucket=BUCKET, Key="index.html")["Body"].read() == b"live"


def test_the_target_comes_from_the_stack_outputs():
    client = boto3.client(
        "cloudformation",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    described = {
        "Stacks": [
            {
                "StackName": "kv-storage-prod",
                "CreationTime": "2026-01-01T00:00:00Z",
                "StackStatus": "UPDATE_COMPLETE",
                "Outputs": [
                    {"OutputKey": "SiteBucketName", "OutputValue": "site-bucket"},
                    {"OutputKey": "SiteDistributionId", "OutputValue": "E2ABC"},
                    {"OutputKey": "DataTableName", "OutputValue": "kv-storage-prod"},
                ],
            }
        ]
    }
    with Stubber(client) as stub:
        stub.add_response("describe_stacks", described, {"StackName": "kv-storage-prod"})
        assert stack_target("kv-storage-prod", client) == Target("site-bucket", "E2ABC")


def test_a_stack_without_site_outputs_is_refused():
    client = boto3.client(
        "cloudformation",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    described = {
        "Stacks": [
            {
                "StackName": "other",
                "CreationTime": "2026-01-01T00:00:00Z",
                "StackStatus": "CREATE_COMPLETE",
            }
        ]
    }
    with Stubber(client) as stub:
        stub.add_response("describe_stacks", described, {"StackName": "other"})
        with pytest.raises(LookupError, match="SiteBucketName"):
            stack_target("other", client)


def test_the_command_line_publishes_to_a_named_bucket(site, s3, distribution_id, capsys):
    assert (
        main(["--site-dir", str(site), "--bucket", BUCKET, "--distribution", distribution_id]) == 0
    )

    assert "Uploaded 8 files" in capsys.readouterr().out
    assert head(s3, "index.html")["ContentType"] == "text/html; charset=utf-8"


def test_the_command_line_needs_a_target(site):
    with pytest.raises(SystemExit):
        main(["--site-dir", str(site), "--bucket", BUCKET])
