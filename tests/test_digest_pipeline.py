"""The pipeline against real sources: releases from the fake GitHub (a loopback HTTP server)."""

from __future__ import annotations

import datetime as dt

from fakes.releases import FakeReleaseServer

from chatops.config import parse_config
from chatops.periods import explicit as digest_window
from chatops.pipeline import build_digest, render_for_target, resolve_digest


def test_technical_digest_lists_releases_fetched_from_github() -> None:
    with FakeReleaseServer() as fake:
        config = parse_config({
            "community": {"name": "Hub", "timezone": "Europe/London"},
            "sources": {"releases": {"github": ["jupyterhub/jupyterhub"], "github_url": fake.url}},
            "digests": [{"name": "tech", "kind": "technical", "schedule": "monthly 1 00:00",
                         "budget": {"prereleases": True}}],
        })
        config, digest_cfg = resolve_digest(config, "tech")
        window = digest_window(config, digest_cfg, since=dt.date(2026, 8, 1), until=dt.date(2026, 9, 1))
        digest = build_digest(config, digest_cfg, window, meetings=[], shoutouts=[])
        assert fake.requests_to("/repos/jupyterhub/jupyterhub/releases")
    releases = digest.section("releases")
    assert releases is not None
    # 5.5.0 (June) is outside the window; the August releases are in, newest first, the beta marked.
    assert [(p.title, [(r.title, r.marks) for r in p.children]) for p in releases.entries] == [
        ("jupyterhub", [("6.0.0b2", ("pre-release",)), ("5.5.1", ())])]
    assert all(r.links and r.links[0].url and r.links[0].url.startswith("https://github.com/jupyterhub/jupyterhub/")
               for r in releases.entries[0].children)
    text = render_for_target(config, digest_cfg, digest, "discourse").raw or ""
    assert "**6.0.0b2** (pre-release), 14 August 2026" in text
    assert digest.summary is not None and digest.summary.startswith(
        "In August 2026, Hub shipped 2 releases")
