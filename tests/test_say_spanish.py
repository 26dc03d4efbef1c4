"""How Spanish is said (the second language of the specification): written -> spoken, one
table per category. Spanish writes 3,5 for a decimal and 1.000 for a thousand."""

import pytest
from speech import rows, spoken


NUMBERS = [
    ("3,5 veces", "tres coma cinco veces"),
    ("1.000 palabras", "mil palabras"),
    ("82.000 palabras", "ochenta y dos mil palabras"),
    ("el 21 de mayo", "el veintiuno de mayo"),
    ("21 W", "veintiún vatios"),
    ("602", "seiscientos dos"),
    ("0,25", "cero coma veinticinco"),
    ("2026", "dos mil veintiséis"),
    ("-5 grados", "menos cinco grados"),
    ("100+ entradas", "más de cien entradas"),
    ("#1", "número uno"),
]

ORDINALS = [
    ("el 1.º", "el primero"),
    ("la 1.ª vez", "la primera vez"),
    ("el 3º", "el tercero"),
    ("el 2.º puesto", "el segundo puesto"),
]

CURRENCY = [
    ("5 €", "cinco euros"),
    ("5€", "cinco euros"),
    ("1 €", "un euro"),
    ("3,50 €", "tres euros con cincuenta céntimos"),
    ("$20", "veinte dólares"),
    ("20 USD", "veinte dólares"),
    ("0,12 €/kWh", "doce céntimos por kilovatio hora"),
]

PERCENT = [
    ("21 %", "veintiuno por ciento"),
    ("25-30 %", "veinticinco a treinta por ciento"),
    ("3,5%", "tres coma cinco por ciento"),
]

UNITS = [
    ("24 GB", "veinticuatro gigabytes"),
    ("250 W", "doscientos cincuenta vatios"),
    ("1 W", "un vatio"),
    ("20 °C", "veinte grados Celsius"),
    ("5 ms", "cinco milisegundos"),
    ("2,4 GHz", "dos coma cuatro gigahercios"),
    ("10 km", "diez kilómetros"),
    ("35 tok/s", "treinta y cinco tokens por segundo"),
    ("4x más rápido", "cuatro veces más rápido"),
]

TIMES_AND_DATES = [
    ("a las 10:30", "a las diez y treinta"),
    ("a las 9:00", "a las nueve"),
    ("a la 1:15", "a la una y quince"),
    ("2026-01-02", "dos de enero de dos mil veintiséis"),
]

ABBREVIATIONS = [
    ("p. ej. una GPU", "por ejemplo una GPU"),
    ("ventiladores, discos, etc.", "ventiladores, discos, etcétera."),
    ("discos, etc. y más", "discos, etcétera y más"),
    ("aprox. 40", "aproximadamente cuarenta"),
    ("el Sr. García", "el señor García"),
    ("la Dra. López", "la doctora López"),
    ("núm. 5", "número cinco"),
    ("EE. UU.", "Estados Unidos"),
    ("Rust vs. Go", "Rust contra Go"),
]

RANGES_AND_SYMBOLS = [
    ("10-20 minutos", "diez a veinte minutos"),
    ("I+D", "I más D"),
    ("sal & pimienta", "sal y pimienta"),
    ("~5 minutos", "unos cinco minutos"),
    ("±3", "más o menos tres"),
]

NAMES_AND_NUMERALS = [
    ("P40", "P cuarenta"),
    ("v2.4", "versión dos punto cuatro"),
    ("Python 3.11", "Python tres punto once"),
    ("Felipe II", "Felipe segundo"),
    ("Parte II", "Parte dos"),
    ("Visita example.com hoy", "Visita example punto com hoy"),
    ("Genial 🎉", "Genial"),
]

TABLES = [NUMBERS, ORDINALS, CURRENCY, PERCENT, UNITS, TIMES_AND_DATES, ABBREVIATIONS, RANGES_AND_SYMBOLS,
          NAMES_AND_NUMERALS]


@rows(NUMBERS)
def test_numbers(written, said):
    assert spoken(written, "es") == said


@rows(ORDINALS)
def test_ordinals(written, said):
    assert spoken(written, "es") == said


@rows(CURRENCY)
def test_currency(written, said):
    assert spoken(written, "es") == said


@rows(PERCENT)
def test_percentages(written, said):
    assert spoken(written, "es") == said


@rows(UNITS)
def test_units_and_rates(written, said):
    assert spoken(written, "es") == said


@rows(TIMES_AND_DATES)
def test_times_and_dates(written, said):
    assert spoken(written, "es") == said


@rows(ABBREVIATIONS)
def test_abbreviations(written, said):
    assert spoken(written, "es") == said


@rows(RANGES_AND_SYMBOLS)
def test_ranges_and_symbols(written, said):
    assert spoken(written, "es") == said


@rows(NAMES_AND_NUMERALS)
def test_names_roman_numerals_addresses_and_emoji(written, said):
    assert spoken(written, "es") == said


def test_the_specification_has_at_least_40_rows():
    assert sum(len(table) for table in TABLES) >= 40


@pytest.mark.parametrize("language, written, said", [
    ("de", "3,5 Prozent und 1.000", "drei Komma fünf Prozent und eintausend"),
    ("de", "21 %", "einundzwanzig Prozent"),
    ("fr", "25 %", "vingt-cinq pour cent"),
    ("it", "12", "dodici"),
    ("pt", "3,5", "três vírgula cinco"),
])
def test_other_languages_get_numbers_from_the_library(language, written, said):
    assert spoken(written, language) == said


def test_a_language_without_a_normalizer_is_read_as_written(caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="tts"):
        assert spoken("Tala 25 na 50 %", "sw") == "Tala 25 na 50 %"
    assert "no text normalizer for language 'sw'" in caplog.text
