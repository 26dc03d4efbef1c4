"""The widget's words in the languages Nikola sites most often publish in.

Any of them can be replaced per language with TTS_WIDGET_LABEL / TTS_WIDGET_FOOTER.
"""

LABEL = {
    "en": "Listen to this article",
    "de": "Diesen Artikel anhören",
    "es": "Escucha este artículo",
    "fr": "Écouter cet article",
    "it": "Ascolta questo articolo",
    "nl": "Luister naar dit artikel",
    "pl": "Posłuchaj tego artykułu",
    "pt": "Ouça este artigo",
    "pt_br": "Ouça este artigo",
}

FOOTER = {
    "en": "{duration} · AI-generated narration",
    "de": "{duration} · KI-generierte Sprachausgabe",
    "es": "{duration} · Narración generada por IA",
    "fr": "{duration} · Narration générée par IA",
    "it": "{duration} · Narrazione generata dall'IA",
    "nl": "{duration} · Door AI gegenereerde voorlezing",
    "pl": "{duration} · Narracja wygenerowana przez AI",
    "pt": "{duration} · Narração gerada por IA",
    "pt_br": "{duration} · Narração gerada por IA",
}


def message(table: dict, lang: str) -> str:
    return table.get(lang) or table.get(lang.split("_")[0]) or table["en"]


def format_duration(seconds: float) -> str:
    """The footer's length: "17 min", or "45 sec" under a minute."""
    if seconds >= 60:
        return f"{max(1, round(seconds / 60))} min"
    return f"{max(1, round(seconds))} sec"
