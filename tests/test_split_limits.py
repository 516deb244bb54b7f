"""Splitting a digest into Zulip messages: never over the limit, whatever the items and the limit.

The separators between blocks ("\\n" or "\\n\\n") and the "(continued)" headings count towards the limit;
a digest of many short items is the case that overflowed before (10,388 characters for a 10,000 limit).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from digests.render import ZULIP_MAX_MESSAGE, split_message

_item = st.text(alphabet=st.sampled_from(list("abc xyz,.")), min_size=1, max_size=40).map(lambda t: "- " + t.strip() + "x")
_block = st.one_of(
    _item,
    _item,
    _item,
    st.sampled_from(["### Decisions", "### Action items", "Intro line:", "A paragraph of text."]),
    st.just(""),  # a blank line between blocks
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_block, min_size=1, max_size=3000), st.integers(min_value=200, max_value=ZULIP_MAX_MESSAGE))
def test_no_message_is_over_the_limit_with_many_short_items(blocks, limit):
    markdown = "\n".join(blocks)
    messages = split_message(markdown, limit)
    assert all(len(m) <= limit for m in messages), max(len(m) for m in messages)
    assert all(m.strip() for m in messages)
    # Nothing lost, in order: every item line appears in the messages in the same order.
    lines = [line for line in markdown.split("\n") if line.startswith("- ")]
    sent = [line for m in messages for line in m.split("\n") if line.startswith("- ")]
    assert sent == lines


def test_full_messages_count_their_separators():
    item = "- " + "x" * 98  # 100 characters; 100 items and 99 newlines make 10,099: two messages
    for separator in ("\n", "\n\n"):
        messages = split_message(separator.join([item] * 100), ZULIP_MAX_MESSAGE)
        assert len(messages) == 2 and all(len(m) <= ZULIP_MAX_MESSAGE for m in messages)
        assert sum(m.count(item) for m in messages) == 100
        assert len(messages[0]) > ZULIP_MAX_MESSAGE - 2 * len(item) - 4  # the first one is filled, not cut early
