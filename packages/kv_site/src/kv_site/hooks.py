"""MkDocs hooks (``hooks:`` in ``mkdocs.yml``): the pages generated from the product's
own sources, and the data the home page template shows.

- ``pricing.md`` from ``kv_core.plans``,
- ``docs/limits.md`` from ``kv_core.limits``,
- ``docs/api-reference.md`` from ``kv_api.openapi``,
- in ``docs/cli.md``, the ``kv`` command's help from ``kv_sdk.cli``, where the page says
  :data:`CLI_MARKER`;
- in every hand-written page, the figures it names as ``{{ limits.NAME }}``
  (:mod:`kv_site.figures`).
"""

from __future__ import annotations

import os
from pathlib import Path

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from kv_api.openapi import openapi_document
from kv_sdk.cli.commands import build_parser
from kv_site import site_dir
from kv_site.apiref import api_reference_page
from kv_site.clidoc import command_reference
from kv_site.figures import UnknownFigure, fill
from kv_site.limits import limits_page
from kv_site.pricing import plan_cards, pricing_page

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CLI_PAGE = "docs/cli.md"
CLI_MARKER = "<!-- generated: kv command reference -->"


def generated_pages(config: MkDocsConfig) -> dict[str, str]:
    """Each generated page's path under ``docs/`` and its Markdown."""
    signup = str(config.extra["signup_url"])
    return {
        "pricing.md": pricing_page(signup),
        "docs/limits.md": limits_page(),
        "docs/api-reference.md": api_reference_page(openapi_document()),
    }


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Snippets are included from ``examples/``, wherever ``mkdocs`` is run from; with
    ``KV_SITE_DIR`` set, the site is built exactly where :func:`kv_site.site_dir` (and so
    ``kv-storage serve``) looks for it."""
    config.mdx_configs.setdefault("pymdownx.snippets", {})["base_path"] = [str(EXAMPLES)]
    if os.environ.get("KV_SITE_DIR"):
        config.site_dir = str(site_dir().resolve())
    config.extra["signup_url"] = str(config.extra["dashboard_url"]).rstrip("/") + "/signup"
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for path, markdown in generated_pages(config).items():
        files.append(File.generated(config, path, content=markdown))
    return files


def on_env(env: Environment, config: MkDocsConfig, files: Files) -> Environment:
    env.globals["kv_plans"] = plan_cards()
    return env


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    try:
        markdown = fill(markdown)
    except UnknownFigure as exc:
        raise PluginError(f"{page.file.src_uri}: {exc.args[0]}") from None
    if page.file.src_uri != CLI_PAGE:
        return markdown
    if CLI_MARKER not in markdown:
        raise PluginError(f"{CLI_PAGE} lost its line {CLI_MARKER!r}")
    return markdown.replace(CLI_MARKER, command_reference(build_parser()))
