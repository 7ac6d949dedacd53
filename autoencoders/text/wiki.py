"""Plain text from a MediaWiki XML dump (``*.xml.bz2``): one string per paragraph.

A page's wikitext mixes prose with markup. What is kept and what goes, in this order:

    <!-- comment -->, <ref>..</ref>, <math>..</math>    dropped with their content
    {{template ...}}, {| table |}                        dropped (innermost first: they nest)
    [[target|shown]], [[target]]                         the shown text
    [[File:..]], [[Image:..]], [[Category:..]], [[xx:..]]  dropped (after the links inside them)
    [http://url shown], bare URLs                        the shown text; a bare URL goes
    <tag>, '' and ''' (italics, bold), == heading ==     the marks go, the words stay

The XML parser turns &lt; into <; entities written inside the wikitext (&amp;nbsp; in the
file, &nbsp; after parsing) are decoded before the rules run. Only articles (namespace 0)
that are not redirects are read. What is left is split at line breaks: a paragraph, a
heading or a list item per line. That is how the word embeddings see the Wikipedia sample
gensim ships (its test data), which, unlike gensim's other Wikipedia extract, is not stemmed.
"""
import bz2
import html
import re
import xml.etree.ElementTree as ET

DROPPED_WITH_CONTENT = re.compile(
    r"<!--.*?-->|<ref[^>/]*/>|<ref[^>]*>.*?</ref>|<(math|gallery|timeline|source|syntaxhighlight|"
    r"score|chem|code|pre)[^>]*>.*?</\1>", re.S | re.I)
TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
TABLE = re.compile(r"\{\|(?:(?!\{\|).)*?\|\}", re.S)
LINK = re.compile(r"\[\[(?![^\]|]*:)(?:[^\[\]|]*\|)?([^\[\]|]*)\]\]")   # [[a|b]], [[a]]; no prefix
PREFIXED_LINK = re.compile(r"\[\[[^\[\]|]*:[^\[\]]*\]\]")                # [[File:..]], [[fr:..]]
EXTERNAL_LINK = re.compile(r"\[(?:https?|ftp)://[^\s\]]*\s*([^\]]*)\]")
URL = re.compile(r"(?:https?|ftp)://\S+")
TAG = re.compile(r"<[^>]*>")
EMPHASIS_OR_HEADING = re.compile(r"'{2,}|={2,}")


def innermost_first(pattern, replacement, text):
    """Apply ``pattern`` until nothing matches: nested markup goes from the inside out."""
    while True:
        text, n = pattern.subn(replacement, text)
        if not n:
            return text


def strip_markup(wikitext):
    """The prose of a page's wikitext (see the module docstring for the rules)."""
    text = DROPPED_WITH_CONTENT.sub(" ", html.unescape(wikitext))
    text = innermost_first(TEMPLATE, " ", text)
    text = innermost_first(TABLE, " ", text)
    while True:   # links inside a File caption first, then the File link itself
        text, n_links = LINK.subn(r"\1", text)
        text, n_prefixed = PREFIXED_LINK.subn(" ", text)
        if not n_links and not n_prefixed:
            break
    text = EXTERNAL_LINK.sub(r"\1", text)
    text = URL.sub(" ", text)
    text = TAG.sub(" ", text)
    return EMPHASIS_OR_HEADING.sub(" ", text)


def local(tag):
    """An element's tag without its XML namespace: '{http://...}page' -> 'page'."""
    return tag.rpartition("}")[2]


def article_texts(path):
    """(title, wikitext) of every article of a MediaWiki dump, compressed with bzip2."""
    with bz2.open(path, "rb") as stream:
        for _, element in ET.iterparse(stream, events=("end",)):
            if local(element.tag) != "page":
                continue
            fields = {local(child.tag): child for child in element}
            revision = fields.get("revision")
            text = None if revision is None else next(
                (c.text for c in revision if local(c.tag) == "text"), None)
            namespace = fields.get("ns")
            if (text and (namespace is None or namespace.text == "0") and "redirect" not in fields
                    and not text.lstrip().lower().startswith("#redirect")):
                yield fields["title"].text, text
            element.clear()


def paragraphs(path):
    """The non-empty lines of prose of every article of the dump at ``path``."""
    for _, wikitext in article_texts(path):
        for line in strip_markup(wikitext).splitlines():
            if line.strip():
                yield line
