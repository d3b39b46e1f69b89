"""Markdown written by people (an event's description, a member's bio) as HTML that is safe to
show: raw HTML is escaped by the parser, then nh3 keeps a small set of tags, only http(s) and
mailto links, and gives every link a ``rel`` so that search engines do not follow it."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("strikethrough")

#: Tags of running text; a document's headings are allowed where the text stands alone.
TEXT_TAGS = frozenset({"p", "br", "strong", "em", "del", "a", "ul", "ol", "li", "blockquote",
                       "code", "pre", "hr"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4"})
#: Text that members write about themselves: user-generated content (RFC: rel=ugc).
UGC_REL = "nofollow ugc noopener"


def render_markdown(text: str, *, headings: bool = True, link_rel: str = "nofollow noopener") -> str:
    """``text`` (Markdown) as sanitised HTML; ``headings=False`` turns headings off (a bio
    inside a page that has its own), ``link_rel`` is given to every link.

    The same text always gives the same HTML, so the last few hundred renderings are kept: an
    agenda or a directory shows the same descriptions and bios request after request."""
    return _render(text or "", headings, link_rel)


@lru_cache(maxsize=512)
def _render(text: str, headings: bool, link_rel: str) -> str:
    html = _markdown.render(text)
    tags = TEXT_TAGS | HEADINGS if headings else TEXT_TAGS
    return nh3.clean(html, tags=set(tags), attributes={"a": {"href", "title"}},
                     url_schemes={"http", "https", "mailto"}, link_rel=link_rel)
