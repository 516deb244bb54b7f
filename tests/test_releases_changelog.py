"""digests.changelog: Markdown changelogs in several styles -> Release values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from digests.changelog import parse_changelog, parse_version_heading
from digests.errors import ReleaseDataError

CHANGELOGS = Path(__file__).parent / "fakes" / "data" / "changelogs"


def parse(name: str, project: str = "p", **kw):
    return parse_changelog((CHANGELOGS / name).read_text(), project=project, document=name, **kw)


def day(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, tzinfo=dt.UTC)


def test_dash_date_style():
    releases = {r.version: r for r in parse("dash-date.md")}
    assert list(releases) == ["5.3.0", "5.2.1", "5.2.0rc1", "5.1.0", "5.0.0"]
    assert releases["5.3.0"].date == day(2025, 4, 15)
    assert releases["5.2.1"].date == day(2025, 2, 3)  # en dash
    assert releases["5.1.0"].date == day(2024, 12, 14)  # "/ 14 December 2024"
    assert releases["5.2.0rc1"].prerelease and not releases["5.3.0"].prerelease
    assert releases["5.0.0"].yanked and not releases["5.1.0"].yanked
    assert releases["5.3.0"].highlights == (
        "Add a `--dry-run` flag to `sync` (#812)",
        "Support Python 3.13 (#809)",
        "Fix a crash when the cache directory is read-only (#815)",
    )
    assert releases["5.3.0"].sources == ("changelog",) and releases["5.3.0"].project == "p"


def test_keep_a_changelog_style():
    releases = parse("keep-a-changelog.md", project="widgets")
    assert [r.version for r in releases] == [
        "1.2.0",
        "1.1.1",
        "1.1.0",
        "1.0.0-0.dev.git.3002.h5f189ce",
        "0.9.0",
    ]
    latest = releases[0]
    assert latest.date == day(2024, 1, 5)  # "## [1.2.0] (2024-01-05)"
    assert latest.url == "https://github.com/example/widgets/compare/v1.1.1...v1.2.0"  # link definition
    assert latest.highlights[0].startswith("**BREAKING** `load()` now returns a tuple")
    assert latest.highlights[1] == "New `--verbose` flag [#42](https://github.com/example/widgets/pull/42)"
    assert latest.contributors == ("ada-l",)
    assert "[1.2.0]:" not in latest.notes and "Something not released yet" not in latest.notes
    assert releases[3].prerelease and releases[3].date == day(2023, 10, 1)
    assert releases[4].yanked and releases[4].url is None


def test_github_activity_style():
    releases = parse("github-activity.md", project="jupyterhub")
    assert [r.version for r in releases] == ["5.5.1", "5.5.0", "5.4.6"]  # "## 5.5" is a group, not a release
    patch, minor, _ = releases
    assert patch.date == day(2026, 8, 10)
    assert patch.url == "https://github.com/jupyterhub/jupyterhub/compare/5.5.0...5.5.1"  # "full changelog"
    assert patch.contributors == ("manics", "minrk", "Tech-Abhang")  # the contributors section wins
    assert minor.contributors == ("consideRatio", "manics", "minrk", "yuvipanda")
    assert minor.highlights == (
        (
            "Add ability to assign groups to users in SharedPasswordAuthenticator "
            "[#5411](https://github.com/jupyterhub/jupyterhub/pull/5411)"
        ),
        "Make the login page logo configurable [#5401](https://github.com/jupyterhub/jupyterhub/pull/5401)",
        "pass db_kwargs to engine during upgrade-db [#5417](https://github.com/jupyterhub/jupyterhub/pull/5417)",
    )
    assert "Maintenance and upkeep" in patch.notes and "5.5.0" not in patch.notes.split("\n")[0]


def test_release_please_style():
    latest, first = parse("release-please.md")
    assert (latest.version, latest.date) == ("2.1.0", day(2024, 3, 2))
    assert latest.url == "https://github.com/example/tool/compare/v2.0.0...v2.1.0"
    assert latest.highlights == (
        "**config:** drop the `legacy` key",
        "**cli:** add `tool doctor` ([#88](https://github.com/example/tool/issues/88))",
        "handle empty input ([#90](https://github.com/example/tool/issues/90))",
    )
    assert first.highlights == ("first stable release",)


def test_setext_headings_and_a_date_line_under_the_heading():
    text = "Changes\n=======\n\n1.4.0\n-----\n\n*Released on March 3, 2024*\n\n- Fixed: nothing\n\n1.3.0 (2024-01-01)\n------------------\n"
    releases = parse_changelog(text, project="p")
    assert [(r.version, r.date) for r in releases] == [("1.4.0", day(2024, 3, 3)), ("1.3.0", day(2024, 1, 1))]


def test_document_url_gives_each_release_an_anchor():
    (release,) = parse_changelog("## 1.0.0 - 2024-01-05\n\n- x\n", project="p", url="https://h/CHANGES.md")
    assert release.url == "https://h/CHANGES.md#100---2024-01-05"


@pytest.mark.parametrize(
    ("heading", "version", "date"),
    [
        ("5.3.0 - 2025-04-15", "5.3.0", dt.date(2025, 4, 15)),
        ("[1.2.0] (2024-01-05)", "1.2.0", dt.date(2024, 1, 5)),
        ("[1.2.0] - 2024-01-05", "1.2.0", dt.date(2024, 1, 5)),
        ("v2.0.0 (January 5th, 2024)", "2.0.0", dt.date(2024, 1, 5)),
        ("Version 3.1.4", "3.1.4", None),
        ("mypkg 0.4.0 — 2023-07-09", "0.4.0", dt.date(2023, 7, 9)),
        ("[2.1.0](https://x/compare/a...b) (2024-03-02)", "2.1.0", dt.date(2024, 3, 2)),
        ("1.0.0-0.dev.git.3002.h5f189ce", "1.0.0-0.dev.git.3002.h5f189ce", None),
        ("6.0.0 (prerelease)", "6.0.0", None),
        ("1.2.0 - The big one", "1.2.0", None),
    ],
    ids=[
        "dash",
        "bracket_parens",
        "keep_a_changelog",
        "month_name",
        "version_word",
        "project_prefix",
        "release_please",
        "semver_dev",
        "status_word",
        "titled",
    ],
)
def test_version_headings(heading, version, date):
    parsed = parse_version_heading(heading, project="mypkg")
    assert parsed is not None
    assert (parsed.version, parsed.date) == (version, date)


@pytest.mark.parametrize(
    "heading",
    [
        "Changelog",
        "Unreleased",
        "5.0 upgrade notes",
        "Upgrading from 4.x to 5.0 requires a migration",
        "2024",
        "Bugs fixed",
        "[Unreleased]",
    ],
)
def test_not_version_headings(heading):
    assert parse_version_heading(heading) is None


def test_unreleased_and_yanked_markers():
    text = "## [Unreleased]\n\n- soon\n\n## 1.1.0 (unreleased)\n\n## [1.0.0] - 2024-01-01 [YANKED]\n"
    (release,) = parse_changelog(text, project="p")
    assert release.version == "1.0.0" and release.yanked


def test_only_unreleased_is_empty_not_an_error():
    assert parse_changelog("# Changelog\n\n## [Unreleased]\n\n- x\n", project="p") == []


def test_no_version_heading_is_a_clear_error():
    with pytest.raises(ReleaseDataError) as info:
        parse_changelog("# Notes\n\nNothing here.\n", project="p", document="docs/CHANGES.md")
    assert str(info.value) == (
        "docs/CHANGES.md: no version headings found; expected headings such as '## 1.2.0 - 2024-01-05', "
        "'## [1.2.0] (2024-01-05)' or '### 1.2.0' with 'Bugs fixed' sections"
    )


def test_impossible_date_names_the_line():
    with pytest.raises(ReleaseDataError) as info:
        parse_changelog("# Changelog\n\n## 1.0.0 - 2024-13-45\n", project="p", document="CHANGELOG.md")
    assert (
        str(info.value)
        == "CHANGELOG.md:3: '2024-13-45' is not a valid date; write it as YYYY-MM-DD, e.g. 2024-01-05"
    )


def test_headings_inside_code_fences_are_ignored():
    text = "## 1.0.0 - 2024-01-01\n\n```md\n## 0.1.0 - 2020-01-01\n```\n"
    assert [r.version for r in parse_changelog(text, project="p")] == ["1.0.0"]


# --- properties -------------------------------------------------------------------------------

items = st.lists(st.from_regex(r"[A-Za-z][A-Za-z ]{0,20}[a-z]", fullmatch=True), min_size=1, max_size=3)
entries = st.lists(
    st.tuples(
        st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30)),
        st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)),
        items,
        items,
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda e: e[0],
)


def render(entry, style: str) -> str:
    (major, minor, patch), date, added, fixed = entry
    version = f"{major}.{minor}.{patch}"
    heading = {
        "dash": f"## {version} - {date.isoformat()}",
        "keep": f"## [{version}] ({date.isoformat()})",
        "activity": f"### {version} - {date.isoformat()}",
    }[style]
    features = "New features added" if style == "activity" else "Added"
    bugs = "Bugs fixed" if style == "activity" else "Fixed"
    lines = [heading, "", f"#### {features}", ""] + [f"- {i}" for i in added]
    lines += ["", f"#### {bugs}", ""] + [f"- {i}" for i in fixed] + [""]
    return "\n".join(lines)


@settings(max_examples=60, deadline=None)
@given(entries, st.sampled_from(["dash", "keep", "activity"]))
def test_render_then_parse_gives_back_versions_dates_and_highlights(generated, style):
    text = "# Changelog\n\n" + "\n".join(render(e, style) for e in generated)
    releases = parse_changelog(text, project="p")
    assert [r.version for r in releases] == [f"{a}.{b}.{c}" for (a, b, c), *_ in generated]
    assert [r.date.date() for r in releases] == [e[1] for e in generated]
    for release, (_, _, added, fixed) in zip(releases, generated, strict=True):
        assert release.highlights == tuple(dict.fromkeys(added[:2] + fixed[:2]))[:5]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("#[]()-.: 0123456789vabcYANKED\n`*_@\u2013")), max_size=200))
@example("## 1.0.0 - 2024-02-30")
@example("## [1.0]\n[1.0]: <>")
@example("1.0.0\n---\n---")
def test_any_text_gives_releases_or_a_release_data_error(text):
    try:
        releases = parse_changelog(text, project="p")
    except ReleaseDataError:
        return
    assert all(r.sources == ("changelog",) for r in releases)
