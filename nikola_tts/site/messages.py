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


# The controls the player's script shows (hidden without JavaScript, absent from feeds).
CONTROLS = {
    "en": {"back": "Back 15 seconds", "forward": "Forward 15 seconds", "speed": "Speed", "chapters": "Chapters",
           "transcript": "Transcript", "download": "Download MP3", "listen_here": "Listen from here"},
    "de": {"back": "15 Sekunden zurück", "forward": "15 Sekunden vor", "speed": "Tempo", "chapters": "Kapitel",
           "transcript": "Transkript", "download": "MP3 herunterladen", "listen_here": "Ab hier anhören"},
    "es": {"back": "Retroceder 15 segundos", "forward": "Avanzar 15 segundos", "speed": "Velocidad",
           "chapters": "Capítulos", "transcript": "Transcripción", "download": "Descargar MP3",
           "listen_here": "Escuchar desde aquí"},
    "fr": {"back": "Reculer de 15 secondes", "forward": "Avancer de 15 secondes", "speed": "Vitesse",
           "chapters": "Chapitres", "transcript": "Transcription", "download": "Télécharger le MP3",
           "listen_here": "Écouter à partir d'ici"},
    "it": {"back": "Indietro di 15 secondi", "forward": "Avanti di 15 secondi", "speed": "Velocità",
           "chapters": "Capitoli", "transcript": "Trascrizione", "download": "Scarica l'MP3",
           "listen_here": "Ascolta da qui"},
    "nl": {"back": "15 seconden terug", "forward": "15 seconden vooruit", "speed": "Snelheid",
           "chapters": "Hoofdstukken", "transcript": "Transcript", "download": "MP3 downloaden",
           "listen_here": "Vanaf hier luisteren"},
    "pl": {"back": "Cofnij o 15 sekund", "forward": "Przewiń o 15 sekund", "speed": "Prędkość",
           "chapters": "Rozdziały", "transcript": "Transkrypcja", "download": "Pobierz MP3",
           "listen_here": "Słuchaj od tego miejsca"},
    "pt": {"back": "Recuar 15 segundos", "forward": "Avançar 15 segundos", "speed": "Velocidade",
           "chapters": "Capítulos", "transcript": "Transcrição", "download": "Baixar MP3",
           "listen_here": "Ouvir a partir daqui"},
}


def message(table: dict, lang: str) -> str:
    return table.get(lang) or table.get(lang.split("_")[0]) or table["en"]


def format_clock(seconds: float) -> str:
    """A position as players show it: "4:05", "1:02:03"."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def format_duration(seconds: float) -> str:
    """The footer's length: "17 min", or "45 sec" under a minute."""
    if seconds >= 60:
        return f"{max(1, round(seconds / 60))} min"
    return f"{max(1, round(seconds))} sec"
