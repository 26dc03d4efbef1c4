"""extract_blocks: compiled post HTML -> the prose a listener hears, in page order."""

from __future__ import annotations

import re
import time

import pytest
from bs4 import BeautifulSoup
from sites import CORPUS

from nikola_tts.text.blocks import Block, ExtractOptions, tidy
from nikola_tts.text.extract import extract_blocks
from nikola_tts.text.segment import split_into_segments

# Prose characters per corpus post, from the corpus README.
CORPUS_PROSE_CHARS = {
    "the-real-cost-of-running-qwen-tts-locally-three-machines-compared.html": 16_400,
    "repurposing-enterprise-gpus-the-tesla-p40-home-lab-story.html": 16_500,
    "jevons-paradox.html": 15_300,
}


def texts(html: str, **options) -> list[str]:
    return [block.text for block in extract_blocks(html, ExtractOptions(**options))]


def spoken(html: str, **options) -> str:
    return " | ".join(texts(html, **options))


# --- block structure ---------------------------------------------------------------------------


def test_headings_and_paragraphs_become_separate_blocks_in_page_order():
    html = "<h2>Kettles</h2><p>Water boils at sea level.</p><h3>Altitude</h3><p>It boils sooner up high.</p>"
    assert extract_blocks(html) == [
        Block("heading", "Kettles"),
        Block("paragraph", "Water boils at sea level."),
        Block("heading", "Altitude"),
        Block("paragraph", "It boils sooner up high."),
    ]


def test_adjacent_block_elements_never_run_into_each_other():
    assert texts("<h1>Title</h1><p>First</p><p>Second</p>") == ["Title", "First", "Second"]


def test_inline_formatting_is_read_without_breaking_the_sentence():
    html = "<p>A <em>very</em> <strong>bold</strong> <span>claim</span> about <abbr title='x'>HTML</abbr>.</p>"
    assert extract_blocks(html) == [Block("paragraph", "A very bold claim about HTML.")]


def test_link_text_is_read_and_href_is_not():
    assert texts('<p>Read <a href="https://example.com/guide">the guide</a>.</p>') == ["Read the guide."]


def test_loose_text_in_a_div_becomes_its_own_paragraph():
    html = "<div>Loose words <b>here</b><p>A paragraph.</p>trailing words</div>"
    assert texts(html) == ["Loose words here", "A paragraph.", "trailing words"]


def test_nested_list_items_follow_their_parent_item_text():
    html = "<ul><li>Fruit<ul><li>Apples</li><li>Pears</li></ul></li><li>Bread</li></ul>"
    assert extract_blocks(html) == [
        Block("item", "Fruit"), Block("item", "Apples"), Block("item", "Pears"), Block("item", "Bread"),
    ]


def test_list_item_with_paragraphs_gives_each_paragraph_as_an_item():
    html = "<ol><li><p>Mix the dough.</p><p>Let it rest.</p></li></ol>"
    assert extract_blocks(html) == [Block("item", "Mix the dough."), Block("item", "Let it rest.")]


def test_blockquote_paragraphs_are_quotes():
    html = "<p>She said:</p><blockquote><p>Measure twice.</p><p>Cut once.</p></blockquote>"
    assert extract_blocks(html) == [
        Block("paragraph", "She said:"), Block("quote", "Measure twice."), Block("quote", "Cut once."),
    ]


def test_definition_terms_and_descriptions_are_paragraphs():
    html = '<dl class="simple"><dt>Kiln</dt><dd><p>An oven for pottery.</p></dd></dl>'
    assert extract_blocks(html) == [Block("paragraph", "Kiln"), Block("paragraph", "An oven for pottery.")]


# --- what is skipped -----------------------------------------------------------------------------


MARKDOWN_FOOTNOTES = """<p>Tea was taxed<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>.</p>
<div class="footnote">
<hr />
<ol>
<li id="fn:1">
<p>A footnote body nobody should hear.&#160;<a class="footnote-backref" href="#fnref:1">&#8617;</a></p>
</li>
</ol>
</div>"""


def test_markdown_footnote_markers_and_bodies_are_skipped():
    assert texts(MARKDOWN_FOOTNOTES) == ["Tea was taxed."]


DOCUTILS_FOOTNOTES = """<p>Tea was taxed <a class="footnote-reference brackets" href="#footnote-1"
id="footnote-reference-1" role="doc-noteref"><span class="fn-bracket">[</span>1<span class="fn-bracket">]</span></a>
and cited
<a class="citation-reference" href="#cit2002" id="citation-reference-1" role="doc-biblioref">[CIT2002]</a>.</p>
<aside class="footnote-list brackets">
<aside class="footnote brackets" id="footnote-1" role="note">
<span class="label"><span class="fn-bracket">[</span><a role="doc-backlink" href="#footnote-reference-1">1</a>
<span class="fn-bracket">]</span></span>
<p>A footnote body nobody should hear.</p>
</aside>
</aside>
<div role="list" class="citation-list">
<div class="citation" id="cit2002" role="doc-biblioentry">
<span class="label"><span class="fn-bracket">[</span><a role="doc-backlink" href="#citation-reference-1">CIT2002</a>
<span class="fn-bracket">]</span></span>
<p>A citation body nobody should hear.</p>
</div>
</div>"""


def test_docutils_footnote_and_citation_markers_and_bodies_are_skipped():
    assert texts(DOCUTILS_FOOTNOTES) == ["Tea was taxed and cited."]


# docutils 0.22 and later: the reference is known by its role alone, the footnote too.
DOCUTILS_ROLE_FOOTNOTES = """<p>Steep the leaves <a class="brackets" href="#footnote-1" id="footnote-reference-1"
role="doc-noteref"><span class="fn-bracket">[</span>1<span class="fn-bracket">]</span></a> while the water cools.</p>
<aside class="footnote-list brackets">
<aside class="brackets" id="footnote-1" role="doc-footnote">
<span class="label"><span class="fn-bracket">[</span><a role="doc-backlink" href="#footnote-reference-1">1</a>
<span class="fn-bracket">]</span></span>
<p>Two minutes for green tea.</p>
</aside>
</aside>"""


def test_footnote_markers_known_only_by_their_role_are_skipped():
    assert texts(DOCUTILS_ROLE_FOOTNOTES) == ["Steep the leaves while the water cools."]


def test_older_docutils_footnote_tables_are_skipped_without_a_table_notice():
    html = ('<p>Body.</p><table class="docutils footnote" frame="void" id="f1"><tbody><tr>'
            '<td class="label">1</td><td>Old footnote body.</td></tr></tbody></table>')
    assert texts(html, table_phrase="A table is skipped.") == ["Body."]


def test_docutils_math_inline_and_display_is_skipped():
    html = r"""<p>Energy <span class="math">\(E = mc^2\)</span> is conserved.</p>
<div class="math">
\begin{equation*}
E = mc^2
\end{equation*}
</div>"""
    assert texts(html) == ["Energy is conserved."]


@pytest.mark.parametrize("math", [
    '<span class="arithmatex">\\(x^2\\)</span>',
    '<span class="MathJax_Preview">x2</span>',
    '<span class="katex"><span class="katex-mathml">x2</span></span>',
    '<math><mi>x</mi><mn>2</mn></math>',
    '<script type="math/tex">x^2</script>',
])
def test_math_markup_of_every_flavour_is_skipped(math):
    assert texts(f"<p>Square {math} it.</p>") == ["Square it."]


CODEHILITE = """<p>Run this:</p>
<div class="codehilite"><pre><span></span><code><span class="k">def</span><span class="w"> </span>
<span class="nf">brew</span><span class="p">():</span> <span class="k">pass</span>
</code></pre></div>
<p>Then wait.</p>"""


def test_codehilite_code_block_is_skipped_silently_by_default():
    assert texts(CODEHILITE) == ["Run this:", "Then wait."]


def test_code_block_becomes_one_notice_when_code_phrase_is_set():
    assert extract_blocks(CODEHILITE, ExtractOptions(code_phrase="Code omitted.")) == [
        Block("paragraph", "Run this:"), Block("notice", "Code omitted."), Block("paragraph", "Then wait."),
    ]


def test_nikola_rest_code_table_and_literal_blocks_are_skipped():
    html = """<div class="code"><table class="codetable"><tr><td class="linenos linenodiv">
<a href="#c-1"><code data-line-number="1"></code></a></td><td class="code"><code><a id="c-1"></a>
<span class="n">brew</span> <span class="o">=</span> <span class="mi">1</span></code></td></tr></table></div>
<pre class="literal-block">literal brew</pre><p>Prose.</p>"""
    assert extract_blocks(html, ExtractOptions(code_phrase="Code.", table_phrase="Table.")) == [
        Block("notice", "Code."), Block("notice", "Code."), Block("paragraph", "Prose."),
    ]


TABLES = """<p>Results:</p><table><thead><tr><th>Machine</th></tr></thead>
<tbody><tr><td>Kettle nine</td></tr></tbody></table><table><tr><td>Kettle ten</td></tr></table>"""


def test_tables_are_skipped_silently_without_a_table_phrase():
    assert texts(TABLES) == ["Results:"]


def test_each_table_becomes_one_notice_with_a_table_phrase():
    assert texts(TABLES, table_phrase="See the table on the page.") == [
        "Results:", "See the table on the page.", "See the table on the page.",
    ]


def test_elements_with_a_skip_class_are_skipped():
    html = ('<p>Keep.</p><div class="note tts-skip"><p>Drop.</p></div>'
            '<p>Also <span class="tts-skip">not</span> kept.</p>')
    assert texts(html) == ["Keep.", "Also kept."]


def test_custom_skip_classes_replace_the_default():
    html = '<p class="aside">Drop.</p><p class="tts-skip">Keep.</p>'
    assert texts(html, skip_classes=("aside",)) == ["Keep."]


def test_the_audio_widget_itself_is_not_read():
    html = ('<div class="audio-widget"><p>Listen to this post</p><audio controls src="post.mp3">'
            'Your browser does not support audio.</audio><a href="post.mp3">Download</a></div><p>Post.</p>')
    assert texts(html) == ["Post."]


def test_comments_and_teaser_markers_are_not_read():
    assert texts("<p>Intro.</p><!-- TEASER_END --><p>More <!-- note to self --> text.</p>") == [
        "Intro.", "More text.",
    ]


def test_scripts_styles_media_forms_and_navigation_are_skipped():
    html = """<style>p { color: red }</style><script>var x = 1;</script><noscript>Enable JS</noscript>
<nav><a href="/">Home</a></nav><svg><text>Chart label</text></svg><iframe src="x">frame</iframe>
<video>Video fallback</video><form><label>Name</label><input value="v"><button>Send</button>
<select><option>One</option></select><textarea>typed</textarea></form><template><p>Tmpl</p></template>
<p>Only this.</p><hr><canvas>Canvas text</canvas>"""
    assert texts(html) == ["Only this."]


def test_docutils_table_of_contents_is_skipped():
    html = """<nav class="contents" id="contents" role="doc-toc"><p class="topic-title">Contents</p>
<ul class="simple"><li><p><a href="#s">Section</a></p></li></ul></nav>
<div class="contents topic" id="old"><p class="topic-title">Contents</p><ul><li>Older TOC</li></ul></div>
<h2>Section</h2>"""
    assert texts(html) == ["Section"]


def test_br_is_a_space():
    assert texts("<p>line one<br>line two<br/>three</p>") == ["line one line two three"]


# --- images and inline code ----------------------------------------------------------------------

FIGURE = """<p><img src="a.png" alt="A kettle on a stove">Text after the image.</p>
<figure><img alt="" src="b.png"><figcaption><p>The caption.</p></figcaption></figure>"""


def test_images_and_figcaptions_are_skipped_by_default():
    assert texts(FIGURE) == ["Text after the image."]


def test_image_alt_and_figcaption_are_captions_with_read_image_alt():
    assert extract_blocks(FIGURE, ExtractOptions(read_image_alt=True)) == [
        Block("caption", "A kettle on a stove"),
        Block("paragraph", "Text after the image."),
        Block("caption", "The caption."),
    ]


def test_picture_sources_are_skipped_and_its_img_alt_read_with_read_image_alt():
    html = '<picture><source srcset="a.webp" type="image/webp"><img src="a.png" alt="A kettle"></picture>'
    assert texts(html) == []
    assert extract_blocks(html, ExtractOptions(read_image_alt=True)) == [Block("caption", "A kettle")]


def test_void_media_tags_lxml_does_not_know_do_not_swallow_the_text_after_them():
    html = '<p>Watch <embed src="clip.swf"> this<wbr>word.</p><video><source src="v.mp4"></video><p>After.</p>'
    assert texts(html) == ["Watch thisword.", "After."]


def test_inline_code_is_read_as_words_by_default():
    assert texts("<p>Call <code>brew</code> twice.</p>") == ["Call brew twice."]


def test_inline_code_is_dropped_when_read_inline_code_is_false():
    assert texts("<p>Call <code>brew</code> twice.</p>", read_inline_code=False) == ["Call twice."]


def test_a_code_element_standing_alone_in_a_div_is_block_code():
    assert texts("<div><code>rm -rf build</code></div><p>Done.</p>") == ["Done."]


# --- text normalization ----------------------------------------------------------------------------


def test_whitespace_of_every_kind_collapses_to_single_spaces():
    assert tidy("  a\u00a0\u00a0b\u2009c\u202fd\n\te\u3000f  ") == "a b c d e f"


def test_soft_hyphens_zero_width_and_direction_marks_are_removed():
    assert tidy("hy\u00adphen\u200bated\u200c\u200d\u2060\ufeff \u200eok\u200f") == "hyphenated ok"


def test_ellipsis_character_becomes_three_dots():
    assert tidy("Wait…") == "Wait..."


def test_text_is_nfc_normalized():
    assert tidy("cafe\u0301") == "caf\u00e9"


def test_curly_quotes_and_dashes_are_kept():
    assert tidy("“Quoted” — ‘single’ – en") == "“Quoted” — ‘single’ – en"


def test_em_dash_spaced_on_one_side_gets_spaces_on_both():
    assert tidy("left —right and left— right but tight—dash") == (
        "left — right and left — right but tight—dash"
    )


def test_no_space_before_punctuation_left_by_inline_tags():
    html = "<p>See <a href='#'>this link</a> , <em>that</em> . (<b>bold</b> ) Really <i>?</i></p>"
    assert texts(html) == ["See this link, that. (bold) Really?"]


def test_a_dot_starting_a_word_keeps_its_space():
    assert tidy("built on .NET today") == "built on .NET today"


def test_blocks_without_letters_or_digits_are_dropped():
    assert texts("<p>* * *</p><p>—</p><p>&nbsp;</p><p>Real.</p>") == ["Real."]


def test_right_to_left_text_is_kept_unchanged():
    arabic = "مرحبا بالعالم. هذه فقرة عربية."
    hebrew = "שלום עולם, זו פסקה בעברית."
    html = f'<h2 dir="rtl">{hebrew}</h2><p dir="rtl">{arabic}</p>'
    assert texts(html) == [hebrew, arabic]


# --- robustness ----------------------------------------------------------------------------------


@pytest.mark.parametrize("html", ["", "   \n ", "<!-- only a comment -->", "<div></div>"])
def test_empty_input_gives_no_blocks(html):
    assert extract_blocks(html) == []


def test_malformed_html_is_read_without_crashing():
    assert texts("<p>Unclosed <b>bold<p>next</div></span><li>stray item") == [
        "Unclosed bold", "next", "stray item",
    ]


def test_plain_text_without_tags_is_one_paragraph():
    assert extract_blocks("notes.html") == [Block("paragraph", "notes.html")]


def test_a_100k_character_post_is_extracted_in_under_a_second():
    unit = ("<h3>Part {i}</h3><p>Paragraph {i} has <em>emphasis</em>, <a href='#'>a link</a> and a "
            "footnote<sup id='fnref:{i}'><a class='footnote-ref' href='#fn:{i}'>{i}</a></sup>.</p>"
            "<ul><li>Item {i}</li></ul><pre><code>code {i}</code></pre>")
    html = "".join(unit.format(i=i) for i in range(600))
    assert len(html) > 100_000
    start = time.perf_counter()
    blocks = extract_blocks(html)
    elapsed = time.perf_counter() - start
    assert len(blocks) == 600 * 3
    assert elapsed < 1.0


def test_live_markdown_output_is_read_as_prose():
    markdown = pytest.importorskip("markdown")
    source = """# Brewing

Steep the leaves[^1] for *three* minutes, then run `strain`.

```python
print("never spoken")
```

| Leaf | Minutes |
|------|---------|
| Green | 2 |

- Warm the pot
    - with hot water

> Patience is a virtue.

[^1]: Footnote text never spoken.
"""
    html = markdown.markdown(source, extensions=["footnotes", "tables", "fenced_code", "codehilite"])
    assert extract_blocks(html) == [
        Block("heading", "Brewing"),
        Block("paragraph", "Steep the leaves for three minutes, then run strain."),
        Block("item", "Warm the pot"),
        Block("item", "with hot water"),
        Block("quote", "Patience is a virtue."),
    ]


def test_live_docutils_output_is_read_as_prose():
    from docutils.core import publish_parts

    source = """Section
-------

Steep the leaves [#]_ while :math:`t < 3`.

.. math::

   t = 3

::

   never spoken

- Warm the pot

  - with hot water

.. [#] Footnote text never spoken.
"""
    settings = {"math_output": "mathjax /mathjax.js", "report_level": 5, "doctitle_xform": False}
    html = publish_parts(source, writer_name="html5", settings_overrides=settings)["fragment"]
    assert extract_blocks(html) == [
        Block("heading", "Section"),
        Block("paragraph", "Steep the leaves while."),
        Block("item", "Warm the pot"),
        Block("item", "with hot water"),
    ]


# --- the real corpus -------------------------------------------------------------------------------


def corpus_files() -> list:
    if not CORPUS.is_dir():
        return []
    return sorted(CORPUS.glob("*.html"))


@pytest.fixture(params=sorted(CORPUS_PROSE_CHARS))
def corpus_post(request) -> tuple[str, str]:
    path = CORPUS / request.param
    if not path.is_file():
        pytest.skip(f"corpus post {path} is absent")
    return request.param, path.read_text(encoding="utf-8")


def test_corpus_prose_length_is_plausible(corpus_post):
    name, html = corpus_post
    prose = sum(len(block.text) for block in extract_blocks(html))
    expected = CORPUS_PROSE_CHARS[name]
    assert 0.75 * expected <= prose <= 1.25 * expected


def _text_only_in(html: str, selector: str) -> set[str]:
    """Normalized strings of the elements matched by selector that appear nowhere else in the page."""
    soup = BeautifulSoup(html, "lxml")
    inside = {tidy(el.get_text(" ")) for el in soup.select(selector)}
    for el in soup.select(selector):
        el.decompose()
    outside = tidy(soup.get_text(" "))
    return {text for text in inside if len(text) >= 8 and text not in outside}


def test_corpus_table_and_code_text_does_not_leak(corpus_post):
    _, html = corpus_post
    hidden = _text_only_in(html, "td, th, pre")
    blocks = extract_blocks(html)
    leaked = {text for text in hidden for block in blocks if text in block.text}
    assert not leaked


def test_corpus_table_leak_check_has_something_to_check():
    posts = [path.read_text(encoding="utf-8") for path in corpus_files()]
    if not posts:
        pytest.skip("corpus is absent")
    assert any(_text_only_in(html, "td, th, pre") for html in posts)


def test_corpus_headings_are_found_in_document_order(corpus_post):
    _, html = corpus_post
    soup = BeautifulSoup(html, "lxml")
    expected = [tidy(h.get_text()) for h in soup.find_all(re.compile(r"^h[1-6]$"))]
    found = [block.text for block in extract_blocks(html) if block.kind == "heading"]
    assert found == expected


def test_corpus_segments_fit_max_chars(corpus_post):
    _, html = corpus_post
    title = re.search(r"^\.\. title: (.*)$", html, re.MULTILINE)
    segments = split_into_segments(extract_blocks(html), 600, title=title.group(1) if title else None)
    assert segments
    assert all(0 < len(segment.text) <= 600 for segment in segments)
