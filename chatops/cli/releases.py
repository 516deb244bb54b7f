"""``compass releases list``: releases from GitHub, PyPI and changelogs, merged, newest first.

Works without a configuration file: sources given on the command line replace the configured ones
(``sources.releases`` in compass.yaml). The base URLs, the GitHub token and the maximum rate-limit
wait still come from the configuration when there is one; ``GITHUB_TOKEN`` is read from the
environment otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from chatops.cli import obj
from chatops.errors import SourceError, UsageError
from chatops.periods import span


@click.group()
def releases() -> None:
    """List releases from GitHub, PyPI and changelogs."""


def release_json(release: Any) -> dict[str, Any]:
    """The object ``--format json`` prints for one release."""
    return {
        "project": release.project,
        "version": release.version,
        "date": release.date.isoformat() if release.date else None,
        "url": release.url,
        "prerelease": release.prerelease,
        "yanked": release.yanked,
        "sources": list(release.sources),
        "highlights": list(release.highlights),
        "contributors": list(release.contributors),
        "from_cache": release.from_cache,
    }


@releases.command("list")
@click.option(
    "--repo",
    "repos",
    multiple=True,
    metavar="OWNER/NAME[=PROJECT]",
    help="A GitHub repository (repeatable); '=PROJECT' when its PyPI name differs.",
)
@click.option("--pypi", "pypi", multiple=True, metavar="PROJECT", help="A PyPI project (repeatable).")
@click.option(
    "--changelog",
    "changelogs",
    multiple=True,
    metavar="[PROJECT=]PATH",
    help="A Markdown changelog file or http(s) URL (repeatable).",
)
@click.option(
    "--github-url",
    default=None,
    metavar="URL",
    help="GitHub API base URL, e.g. for GitHub Enterprise (default https://api.github.com).",
)
@click.option(
    "--pypi-url", default=None, metavar="URL", help="PyPI base URL, e.g. a mirror (default https://pypi.org)."
)
@click.option(
    "--since", default=None, metavar="DATE", help="Only releases on or after DATE (YYYY-MM-DD or ISO 8601)."
)
@click.option(
    "--until", default=None, metavar="DATE", help="Only releases before DATE; a bare date includes that day."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="json: a list of releases, newest first; table: a readable listing.",
)
@click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="Longest wait for a rate limit to reset before giving up (default: config, else 60).",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache (no conditional requests).")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Cache directory (default $XDG_CACHE_HOME/compass).",
)
@click.pass_context
def list_releases(
    ctx: click.Context,
    repos: tuple[str, ...],
    pypi: tuple[str, ...],
    changelogs: tuple[str, ...],
    github_url: str | None,
    pypi_url: str | None,
    since: str | None,
    until: str | None,
    fmt: str,
    max_wait: float | None,
    no_cache: bool,
    cache_dir: Path | None,
) -> None:
    """List the releases of the configured (or given) projects, merged across sources, newest first.

    \b
    Examples:
      compass releases list --repo jupyterhub/jupyterhub --pypi jupyterhub --since 2026-06-01
      compass releases list --changelog jupyterhub=docs/source/reference/changelog.md --format json

    A source that fails is reported on stderr and the others are still listed; the command fails
    (exit 1) only when every source failed. When an API is down, the last cached copy is used and
    the release is marked "cached".
    """
    from chatops.sources.cache import FileCache
    from chatops.sources.releases import (
        ChangelogSpec,
        GitHubRepo,
        ReleaseFetcher,
        ReleaseSources,
        RetryPolicy,
        collect_releases,
        token_from_env,
    )

    since_at, until_at = span(since, until)

    config = obj(ctx).load_config(required=False)
    configured = config.sources.releases if config is not None else None
    if repos or pypi or changelogs:
        sources = ReleaseSources(
            github=tuple(GitHubRepo.parse(r) for r in repos),
            pypi=tuple(p.strip() for p in pypi),
            changelogs=tuple(ChangelogSpec.parse(c) for c in changelogs),
        )
    elif configured is not None:
        sources = ReleaseSources.from_config(configured, resolve=getattr(config, "resolve", None))
    else:
        sources = ReleaseSources()
    if sources.is_empty:
        raise UsageError(
            "no release sources: pass --repo OWNER/NAME, --pypi PROJECT or --changelog PATH, "
            "or list them under sources.releases in the configuration"
        )
    token = None
    wait = 60.0
    token_env = "GITHUB_TOKEN"
    if configured is not None:
        token = configured.github_token.get_secret_value() if configured.github_token else None
        token_env = configured.github_token_env
        wait = configured.max_wait.total_seconds()
    else:
        token = token_from_env()
    cache = None if no_cache else (FileCache(cache_dir) if cache_dir else FileCache.default())
    fetcher = ReleaseFetcher(
        cache=cache,
        github_url=_url(github_url, "--github-url")
        or (configured.github_url if configured else sources.github_url),
        pypi_url=_url(pypi_url, "--pypi-url") or (configured.pypi_url if configured else sources.pypi_url),
        token=token,
        token_env=token_env,
        policy=RetryPolicy(max_wait=wait if max_wait is None else max_wait),
    )
    with fetcher:
        report = collect_releases(sources, fetcher, since=since_at, until=until_at)

    for failed in report.failures:
        click.echo(f"warning: {failed.error}", err=True)
    for stale in report.stale:
        click.echo(f"note: {stale.stale}", err=True)
    if report.all_failed:
        raise SourceError(
            "releases",
            f"every source failed ({len(report.results)} of {len(report.results)}); see the warnings above",
        )

    if fmt == "json":
        click.echo(json.dumps([release_json(r) for r in report.releases], indent=2, ensure_ascii=False))
        return
    if not report.releases:
        click.echo("No releases found" + (" in that period." if since_at or until_at else "."))
        return
    for release in report.releases:
        flags = [
            f
            for f, on in (
                ("pre-release", release.prerelease),
                ("yanked", release.yanked),
                ("cached", release.from_cache),
            )
            if on
        ]
        date = release.date.date().isoformat() if release.date else "(no date)"
        line = f"{date}  {release.project} {release.version}"
        if flags:
            line += f"  [{', '.join(flags)}]"
        line += f"  ({', '.join(release.sources)})"
        click.echo(line)
        if release.url:
            click.echo(f"    {release.url}")
        for highlight in release.highlights:
            click.echo(f"    - {highlight}")
        if release.contributors:
            click.echo(f"    thanks: {', '.join(release.contributors)}")


def _url(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    if (
        not value.startswith(("http://", "https://"))
        or "://" not in value
        or len(value.split("://", 1)[1]) == 0
    ):
        raise UsageError(f"{option}: {value!r} is not a URL; expected e.g. https://github.example.org/api/v3")
    return value.rstrip("/")
