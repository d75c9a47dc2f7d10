"""Every check and chore of KV Storage, one nox session each.

Bare ``nox`` runs every check (lint, types, tests, docs, browser, package); ``bench``
and ``serve`` run only when named. Virtual environments are made by uv from the
interpreters already on the machine; nothing is downloaded but packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PACKAGES = ROOT / "packages"

os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")
nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "typecheck", "tests", "docs", "browser", "package"]

# Each package with the extras its tests need, installed editable.
LOCAL = [
    "-e",
    "packages/kv_core[dynamodb]",
    "-e",
    "packages/kv_api[aws]",
    "-e",
    "packages/kv_site[docs,publish]",
    "-e",
    "packages/kv_dashboard",
    "-e",
    "packages/kv_sdk[async]",
]
TEST_TOOLS = [
    "pytest>=8",
    "pytest-xdist>=3",
    # The async SDK's tests: anyio's pytest plugin.
    "anyio>=4",
    "hypothesis>=6.100",
    "moto[cloudfront,dynamodb,s3,ses,ssm]>=5",
    "openapi-spec-validator>=0.7",
    "pyyaml>=6",
    "requests>=2.31",
    # A real SMTP server in the mail tests.
    "aiosmtpd>=1.4",
    # A real OpenID Connect provider on loopback, for the sign-in tests.
    "oidc-provider-mock>=0.3.4",
]


def install_project(session: nox.Session, *extra: str) -> None:
    """Install every package of the workspace (editable) and ``extra`` tools."""
    session.install(*LOCAL, *extra)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff: lint rules and formatting, over the whole repository."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy over every package's sources (strict on kv_core and kv_sdk)."""
    install_project(session, "mypy>=1.10", "types-requests>=2.31", "types-tqdm>=4.60")
    sources = sorted(p.parent.relative_to(ROOT) for p in PACKAGES.glob("*/src/*/__init__.py"))
    session.run("mypy", *map(str, sources))


@nox.session
def serve(session: nox.Session) -> None:
    """Run the product: site, dashboard and API on one port (``-- --port 9000``...)."""
    install_project(session)
    build_site(session)
    session.run("kv-storage", "serve", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Performance figures against DESIGN's budgets (not part of bare ``nox``);
    ``-- http`` runs only the named benchmarks."""
    ensure_debian_package(session, "wrk")
    # The servers `kv-storage serve` is measured against, side by side; one that cannot
    # be installed is left out of the run, which says so.
    ensure_debian_package(session, "etcd-server", "etcd", optional=True)
    ensure_debian_package(session, "redis-server", optional=True)
    ensure_debian_package(session, "webdis", optional=True)
    install_project(session, "moto[dynamodb,ses]>=5", "requests>=2.31")
    # The zip is measured as `serverless package` makes it; cold starts are timed
    # where the zip's packages are all there is.
    package_deployment(session)
    lambda_env = Path(session.create_tmp()).resolve() / "lambda-like"
    session.run(
        "uv",
        "venv",
        "--quiet",
        "--clear",
        "--python",
        lambda_python(session),
        str(lambda_env),
        external=True,
    )
    session.run(
        "uv",
        "pip",
        "install",
        "--quiet",
        "--python",
        str(lambda_env / "bin" / "python"),
        "-r",
        "requirements-lambda.txt",
        external=True,
    )
    env = {"KV_BENCH_LAMBDA_PYTHON": str(lambda_env / "bin" / "python")}
    session.run("python", "-m", "benchmarks", *session.posargs, env=env)


def ensure_debian_package(
    session: nox.Session, name: str, binary: str | None = None, *, optional: bool = False
) -> None:
    """Install a Debian package with apt when its program is missing (needs root); an
    ``optional`` one that cannot be installed is only warned about."""
    if shutil.which(binary or name):
        return
    if os.geteuid() != 0:
        missing = f"{binary or name} is missing: install Debian's '{name}' package"
        if optional:
            session.warn(missing)
            return
        session.error(missing)
    codes = [0, 100] if optional else [0]  # apt-get's 100: it could not install it
    session.run("apt-get", "update", "-qq", external=True, success_codes=codes)
    session.run("apt-get", "install", "-y", "-qq", name, external=True, success_codes=codes)


@nox.session
def tests(session: nox.Session) -> None:
    """Pytest over every package's tests."""
    install_project(session, *TEST_TOOLS)
    session.run(
        "pytest",
        *(session.posargs or [str(p.relative_to(ROOT)) for p in sorted(PACKAGES.glob("*/tests"))]),
    )


SITE_CONFIG = "packages/kv_site/mkdocs.yml"


def build_site(session: nox.Session) -> None:
    """Build the site strictly where ``kv_site.site_dir()`` finds it (``KV_SITE_DIR``)."""
    env = {"NO_MKDOCS_2_WARNING": "1"}
    session.run("mkdocs", "build", "--strict", "--quiet", "-f", SITE_CONFIG, env=env)


@nox.session
def docs(session: nox.Session) -> None:
    """The landing, docs and pricing site, built strictly and offline; ``kv-storage serve``
    serves it at ``/``."""
    install_project(session)
    build_site(session)


@nox.session
def browser(session: nox.Session) -> None:
    """The dashboard and the site in Debian's Chromium (Playwright) against a real
    ``kv-storage serve``; screenshots go to artifacts/screenshots/."""
    ensure_debian_package(session, "chromium")
    # The sign-in journey's OpenID provider and SMTP server run on loopback too.
    install_project(
        session,
        "pytest>=8",
        "pytest-playwright>=0.5",
        "requests>=2.31",
        "aiosmtpd>=1.4",
        "oidc-provider-mock>=0.3.4",
    )
    build_site(session)
    # One run each: Playwright's sync API drives one browser per process at a time.
    for suite in ("packages/kv_dashboard/browser_tests", "packages/kv_site/browser_tests"):
        session.run("pytest", suite, *session.posargs)


# The Lambda runtime's Python: the zip's dependencies are installed for it.
LAMBDA_PYTHON = "3.12"
# Packaging must never reach an AWS account: these credentials open nothing.
OFFLINE_AWS = {
    "AWS_ACCESS_KEY_ID": "offline-packaging",
    "AWS_SECRET_ACCESS_KEY": "offline-packaging",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "SLS_TELEMETRY_DISABLED": "1",
    "SLS_NOTIFICATIONS_MODE": "off",
}


def find_python(version: str) -> str:
    """The path of a ``python<version>`` interpreter: on PATH, or one that pyenv has."""
    probe = ["-c", "import sys; print(sys.executable)"]
    for env in (None, {**os.environ, "PYENV_VERSION": version}):
        try:
            found = subprocess.run(
                [f"python{version}", *probe], env=env, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            continue
        return found.stdout.strip()
    raise LookupError(f"python{version} is needed to build the Lambda zip; none was found")


def lambda_python(session: nox.Session) -> str:
    """Lambda's Python on this machine, or the session fails saying so."""
    try:
        return find_python(LAMBDA_PYTHON)
    except LookupError as error:
        session.error(str(error))


def package_deployment(session: nox.Session) -> dict[str, str]:
    """``npm ci`` and ``serverless package``, offline, with the zip's dependencies
    installed for Lambda's Python; returns the environment it packaged with.

    The build environment is made by the interpreter's own ``venv`` and so has the pip
    that interpreter ships, as an operator's stock ``python3.12`` does, not a newer one.
    """
    build_env = Path(session.create_tmp()).resolve() / f"lambda-python{LAMBDA_PYTHON}-stock-pip"
    python = build_env / "bin" / "python"
    if not python.exists():
        session.run(lambda_python(session), "-m", "venv", str(build_env), external=True)
    session.run(str(python), "-m", "pip", "--version", external=True)
    session.run("npm", "ci", "--no-audit", "--no-fund", external=True)
    env = {**OFFLINE_AWS, "KV_LAMBDA_PYTHON": str(python)}
    session.run("npx", "serverless", "package", "--stage", "dev", env=env, external=True)
    return env


@nox.session
def package(session: nox.Session) -> None:
    """Package the AWS deployment offline (``npm ci``, ``serverless package``), then test
    the CloudFormation template and the zip, and lint the template with cfn-lint."""
    install_project(session, "pytest>=8", "cfn-lint>=1")
    env = package_deployment(session)
    template = ".serverless/cloudformation-template-update-stack.json"
    # W3005: the framework writes DependsOn next to Refs on its own HTTP API routes.
    session.run("cfn-lint", "--ignore-checks", "W3005", "--", template)
    session.run("pytest", "packages/kv_api/tests/deploy", *session.posargs, env=env)


@nox.session
def publish(session: nox.Session) -> None:
    """Upload the built site to the deployed stack's bucket and invalidate CloudFront.

    Needs AWS credentials and a built site, so bare ``nox`` never runs it:
    ``nox -s publish -- --stack kv-storage-prod`` (``--help`` for the rest).
    """
    session.install("-e", "packages/kv_site[publish]")
    session.run("python", "-m", "kv_site.publish", *(session.posargs or ["--help"]))
