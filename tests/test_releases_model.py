"""digests.releases: GitHub/PyPI payloads -> Release, version order, merging, highlights, contributors."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from digests.errors import ReleaseDataError
from digests.model import Release, Window
from digests.releases import (
    canonical_version,
    defuse_mentions,
    extract_contributors,
    extract_highlights,
    filter_window,
    is_prerelease_version,
    merge_releases,
    releases_from_github,
    releases_from_pypi,
    sort_by_version,
    sort_newest_first,
    version_from_tag,
    version_key,
)

DATA = Path(__file__).parent / "fakes" / "data"
UTC = dt.UTC


def load(name: str):
    return json.loads((DATA / name).read_text())


# --- versions ---------------------------------------------------------------------------------

ORDERED = [
    "0.9",
    "1.0.0-0.dev.git.3002.h5f189ce",
    "1.0.0-0.dev.git.3010.habcdef0",
    "1.0.0.dev1",
    "1.0.0a1",
    "1.0.0b2",
    "1.0.0rc1",
    "1.0.0",
    "1.0.0.post1",
    "1.0.1",
    "1.2.0",
    "1.10.0",
    "2.0.0b1",
    "2.0.0",
]


def test_versions_sort_by_pep440_with_semver_fallback():
    shuffled = ORDERED[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=version_key) == ORDERED


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-x.1", "1.0.0-x.beta"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-0.dev.git.9.h1", "1.0.0"),
        ("v1.9.0", "v1.10.0"),
        ("not-a-version", "0.0.1"),
        ("5.2", "5.2.1"),
    ],
    ids=[
        "semver_longer_wins",
        "numbers_before_words",
        "numeric_identifiers",
        "semver_pre_before_final",
        "tag_prefix",
        "garbage_lowest",
        "short_release",
    ],
)
def test_version_pairs(older, newer):
    assert version_key(older) < version_key(newer)


def test_equal_versions_have_equal_identity_across_spellings():
    assert canonical_version("v1.0") == canonical_version("1.0.0") == canonical_version("jupyterhub-1.0.0")
    assert canonical_version("1.0.0-rc.1") == canonical_version("1.0.0rc1")
    assert canonical_version("1.0.0") != canonical_version("1.0.1")


@pytest.mark.parametrize(
    ("tag", "version"),
    [
        ("v1.2.0", "1.2.0"),
        ("jupyterhub-5.5.1", "5.5.1"),
        ("release/1.2", "1.2"),
        ("pkg@2.0.0", "2.0.0"),
        ("6.0.0b2", "6.0.0b2"),
        ("nightly", "nightly"),
    ],
)
def test_version_from_tag(tag, version):
    assert version_from_tag(tag) == version


def test_prerelease_detection():
    assert is_prerelease_version("6.0.0b2")
    assert is_prerelease_version("1.0.0-0.dev.git.3002.h5f189ce")
    assert is_prerelease_version("1.0.dev3")
    assert not is_prerelease_version("5.5.1")
    assert not is_prerelease_version("1.0.post2")


@settings(deadline=None)  # the machine is shared; a slow example is not a failure
@given(st.text(max_size=40))
@example("1.0.0-0.dev.git.3002.h5f189ce")
@example("1!2.0")
@example("")
def test_version_key_is_total_for_any_text(text):
    # Any two keys compare without a TypeError, whatever kinds they are.
    for other in ("1.0", "1.0.0-alpha", "junk", text):
        assert (version_key(text) < version_key(other)) or (version_key(text) >= version_key(other))


# --- GitHub -----------------------------------------------------------------------------------


def test_github_payload_becomes_releases():
    releases = releases_from_github(load("github-releases.json"), project="jupyterhub")
    assert [r.version for r in releases] == ["6.0.0b2", "5.5.1", "5.5.0"]
    beta, patch, minor = releases
    assert beta.prerelease and not patch.prerelease
    assert patch.date == dt.datetime(2026, 8, 10, 21, 23, 40, tzinfo=UTC)  # published_at, not created_at
    assert patch.url == "https://github.com/jupyterhub/jupyterhub/releases/5.5.1"
    assert patch.sources == ("github",)
    assert patch.notes.startswith("5.5.1 is a security release")
    # Highlights: the first items of the bug-fix section, cleaned for chat.
    assert patch.highlights == (
        (
            "Invalid UTF-8 JSON request body returns HTTP 500 instead of HTTP 400 "
            "[#5487](https://github.com/jupyterhub/jupyterhub/pull/5487)"
        ),
        (
            "avoid traceback when write_error is called before prepare "
            "[#5486](https://github.com/jupyterhub/jupyterhub/pull/5486)"
        ),
    )
    assert patch.contributors == ("Tech-Abhang", "minrk", "manics")
    assert beta.highlights[0].startswith("BREAKING: spawn options passed as GET query parameters")
    assert minor.highlights[0].startswith(
        "Add ability to assign groups to users in SharedPasswordAuthenticator"
    )


def test_github_official_example_and_drafts():
    payload = load("github-release-items.official-example.json")
    (release,) = releases_from_github(payload, project="Hello-World")
    assert (release.version, release.notes) == ("1.0.0", "Description of the release")
    draft = copy.deepcopy(payload[0]) | {"draft": True, "tag_name": "v2.0.0"}
    assert [r.version for r in releases_from_github([draft, payload[0]], project="x")] == ["1.0.0"]


def test_github_prerelease_flag_is_honoured_even_for_a_final_looking_tag():
    item = load("github-release-items.official-example.json")[0] | {"prerelease": True}
    assert releases_from_github([item], project="x")[0].prerelease


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"message": "Not Found"}, "src: expected a list of releases, got an error object: 'Not Found'"),
        ("oops", "src: expected a list of releases, got a string"),
        ([42], "src: [0]: expected a release object, got int"),
        ([{"name": "x"}], "src: [0]: missing 'tag_name'"),
        ([{"tag_name": 5}], "src: [0].tag_name: expected a string, got int"),
        (
            [{"tag_name": "v1", "published_at": "yesterday"}],
            "src: [0].published_at: 'yesterday' is not an ISO 8601 timestamp",
        ),
        ([{"tag_name": "v1", "prerelease": "no"}], "src: [0].prerelease: expected a boolean, got a string"),
    ],
    ids=[
        "error_object",
        "not_a_list",
        "item_not_object",
        "missing_tag",
        "tag_not_string",
        "bad_timestamp",
        "flag_not_bool",
    ],
)
def test_github_unexpected_shapes_are_named(payload, message):
    with pytest.raises(ReleaseDataError) as info:
        releases_from_github(payload, project="x", source="src")
    assert str(info.value) == message


# --- PyPI -------------------------------------------------------------------------------------


def test_pypi_payload_becomes_releases():
    releases = {r.version: r for r in releases_from_pypi(load("pypi-project.json"))}
    assert set(releases) == {"1.0", "1.2.0", "4.0.0"}
    assert releases["1.0"].date is None  # no files
    assert releases["1.2.0"].date == dt.datetime(2015, 6, 14, 14, 37, 56, 383366, tzinfo=UTC)  # first upload
    assert releases["4.0.0"].url == "https://pypi.org/project/sampleproject/4.0.0/"
    assert all(
        r.project == "sampleproject" and r.sources == ("pypi",) and not r.yanked for r in releases.values()
    )


def test_pypi_yanked_only_when_every_file_is_yanked():
    payload = load("pypi-project.json")
    files = payload["releases"]["4.0.0"]
    files[0]["yanked"] = True
    assert not {r.version: r for r in releases_from_pypi(payload)}["4.0.0"].yanked
    files[1]["yanked"] = True
    assert {r.version: r for r in releases_from_pypi(payload)}["4.0.0"].yanked


def test_pypi_prereleases_and_missing_releases_key():
    payload = load("pypi-project.json")
    payload["releases"]["5.0.0rc1"] = []
    assert {r.version: r.prerelease for r in releases_from_pypi(payload)}["5.0.0rc1"] is True
    del payload["releases"]
    (only,) = releases_from_pypi(payload)
    assert only.version == "4.0.0" and only.date is not None


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p.pop("info"), "PyPI: $: missing 'info'"),
        (lambda p: p.update(releases=[]), "PyPI: $.releases: expected an object, got a list"),
        (
            lambda p: p["releases"].update({"9.0": {}}),
            "PyPI: releases['9.0']: expected a list of files, got an object",
        ),
        (
            lambda p: p["releases"]["1.2.0"][0].update(upload_time_iso_8601="soon", upload_time=None),
            "PyPI: releases['1.2.0'][0].upload_time_iso_8601: 'soon' is not an ISO 8601 timestamp",
        ),
    ],
    ids=["no_info", "releases_list", "files_object", "bad_upload_time"],
)
def test_pypi_unexpected_shapes_are_named(mutate, message):
    payload = load("pypi-project.json")
    mutate(payload)
    with pytest.raises(ReleaseDataError) as info:
        releases_from_pypi(payload)
    assert str(info.value) == message


# --- merging and ordering ---------------------------------------------------------------------


def _release(project, version, *, day=None, sources=("github",), **kw):
    date = dt.datetime(2026, 1, day, tzinfo=UTC) if day else None
    return Release(project=project, version=version, date=date, sources=sources, **kw)


def test_same_project_and_version_from_github_and_pypi_is_one_release():
    github = _release(
        "JupyterHub",
        "v5.5.1",
        day=10,
        url="https://gh/5.5.1",
        notes="- Fixed x",
        highlights=("x",),
        contributors=("minrk", "Manics"),
    )
    pypi = _release("jupyterhub", "5.5.1", day=11, sources=("pypi",), url="https://pypi/5.5.1/", yanked=True)
    changelog = _release(
        "jupyterhub", "5.5.1", day=9, sources=("changelog",), contributors=("manics", "consideRatio")
    )
    other = _release("jupyterhub", "5.5.0", day=1, sources=("pypi",))
    merged = merge_releases([github, pypi, other, changelog])
    assert len(merged) == 2
    one = merged[0]
    assert one.sources == ("github", "pypi", "changelog")
    assert (one.project, one.version) == ("jupyterhub", "5.5.1")  # PyPI's spelling
    assert one.date == pypi.date and one.url == "https://gh/5.5.1"
    assert one.yanked and one.highlights == ("x",)
    assert one.contributors == ("minrk", "Manics", "consideRatio")


release_lists = st.lists(
    st.builds(
        Release,
        project=st.sampled_from(["jupyterhub", "JupyterHub", "jupyter_server", "jupyter-server"]),
        version=st.sampled_from(
            ["1.0", "1.0.0", "v1.0.0", "1.0.0rc1", "1.0.0-rc.1", "2.0", "1.0.0-0.dev.git.1.h1"]
        ),
        sources=st.sampled_from([("github",), ("pypi",), ("changelog",)]),
        contributors=st.lists(st.sampled_from(["ada", "Ada", "bob"]), max_size=3).map(tuple),
    ),
    max_size=12,
)


@settings(deadline=None)  # the machine is shared; a slow example is not a failure
@given(release_lists)
def test_merge_gives_one_release_per_identity_and_is_idempotent(releases):
    from digests.releases import release_identity

    merged = merge_releases(releases)
    assert len(merged) == len({release_identity(r) for r in releases})
    assert merge_releases(merged) == merged
    for release in merged:
        assert len({c.lower() for c in release.contributors}) == len(release.contributors)


def test_merge_keeps_from_cache_and_prerelease_from_any_part():
    a = _release("p", "1.0.0rc1", day=1, prerelease=True)
    b = _release("p", "1.0.0-rc.1", day=2, sources=("pypi",), from_cache=True)
    (one,) = merge_releases([a, b])
    assert one.prerelease and one.from_cache


def test_newest_first_by_date_then_version_and_undated_last():
    releases = [
        _release("b", "2.0.0", day=5),
        _release("a", "1.0.0", day=None),
        _release("a", "1.1.0", day=7),
        _release("a", "1.2.0", day=7),
    ]
    assert [(r.project, r.version) for r in sort_newest_first(releases)] == [
        ("a", "1.2.0"),
        ("a", "1.1.0"),
        ("b", "2.0.0"),
        ("a", "1.0.0"),
    ]


def test_sort_by_version_groups_projects():
    releases = [_release("b", v) for v in ("1.0.0", "1.0.0-0.dev.git.1.habc", "0.9")] + [_release("a", "3.0")]
    assert [r.version for r in sort_by_version(releases)] == ["3.0", "1.0.0", "1.0.0-0.dev.git.1.habc", "0.9"]


def test_filter_window_is_half_open_and_drops_undated():
    window = Window(since=dt.datetime(2026, 1, 5, tzinfo=UTC), until=dt.datetime(2026, 1, 7, tzinfo=UTC))
    releases = [_release("p", f"1.{d}", day=d) for d in (4, 5, 6, 7)] + [_release("p", "0.1")]
    assert [r.version for r in filter_window(releases, window)] == ["1.5", "1.6"]


# --- highlights and contributors --------------------------------------------------------------

NOTES = """\
Intro paragraph mentioning @everyone.

### ⚠ BREAKING CHANGES

* drop Python 3.9 by @ada in https://github.com/o/r/pull/10

## New features added

- Add the thing [#1](https://x/1) ([@ada](https://github.com/ada), [@bob](https://github.com/bob))
  which spans two lines
  - a nested detail that is not a headline
- Second feature, thanks @**all** and @*core-team*
- Third feature is not shown

#### Enhancements made

1. Faster ([abc1234](https://github.com/o/r/commit/abc1234abc1234))

**Bugs fixed**

- Fix crash [#3](https://x/3) ([@carol](https://github.com/carol))

## Maintenance

- Bump deps ([@dependabot](https://github.com/dependabot))

```
## Bugs fixed
- inside a code fence
```
"""


def test_highlights_take_the_first_items_of_each_section_in_order():
    assert extract_highlights(NOTES) == (
        "drop Python 3.9 [#10](https://github.com/o/r/pull/10)",
        "Add the thing [#1](https://x/1) which spans two lines",
        "Second feature, thanks all and core-team",
        "Faster",
        "Fix crash [#3](https://x/3)",
    )
    assert extract_highlights(NOTES, per_section=1, limit=2) == (
        "drop Python 3.9 [#10](https://github.com/o/r/pull/10)",
        "Add the thing [#1](https://x/1) which spans two lines",
    )


def test_highlights_never_ping():
    for item in extract_highlights(NOTES):
        assert "@" not in item


def test_contributors_from_items_without_a_contributors_section():
    assert extract_contributors(NOTES) == ("ada", "bob", "carol")


def test_contributors_section_is_authoritative():
    notes = NOTES + "\n## Contributors to this release\n\n@zoe ([activity](https://x)) | [@Yan](https://y)\n"
    assert extract_contributors(notes) == ("zoe", "Yan")


GENERATED = """\
## What's Changed
* Add dark mode by @alice in https://github.com/o/r/pull/12
* Bump httpx from 0.27 to 0.28 by @dependabot[bot] in https://github.com/o/r/pull/14
* Fix typo in docs by @bob in https://github.com/o/r/pull/13

## New Contributors
* @bob made their first contribution in https://github.com/o/r/pull/13

**Full Changelog**: https://github.com/o/r/compare/v1.0.0...v1.1.0
"""


def test_github_generated_notes_without_categories():
    assert extract_highlights(GENERATED) == (
        "Add dark mode [#12](https://github.com/o/r/pull/12)",
        "Fix typo in docs [#13](https://github.com/o/r/pull/13)",
    )
    assert extract_contributors(GENERATED) == ("alice", "bob")  # "New Contributors" adds, never replaces


def test_categorised_sections_win_over_the_general_list():
    notes = GENERATED + "\n### Bug fixes\n\n- The real fix\n"
    assert extract_highlights(notes) == ("The real fix",)


def test_defuse_mentions():
    assert defuse_mentions("hi @**Jane Doe** and @*team* and [@ada](u) and @all; mail a@b.org") == (
        "hi Jane Doe and team and [ada](u) and all; mail a@b.org"
    )


@settings(deadline=None)  # the machine is shared; a slow example is not a failure
@given(st.text(max_size=300))
@example("- @\n#")
@example("```\n- x")
def test_extraction_never_crashes(text):
    assert isinstance(extract_highlights(text), tuple)
    assert all("@" not in c for c in extract_contributors(text))
