"""The words each language says for what is written as symbols: units, currencies, signs,
abbreviations, months. The rules (rules.py) are the same for every language; these tables are
what differs. A language without a table here gets numbers (num2words) and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Unit symbols as written after a number -> (singular, plural), the same in every table's units.
# Only symbols that are unambiguous after a number: "m" alone (metre or million?) and "B" (bytes,
# or the billions of a model's parameters: "7B") are not here.
_UNITS_EN = {
    "kB": ("kilobyte", "kilobytes"), "KB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"), "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"),
    "PB": ("petabyte", "petabytes"), "KiB": ("kibibyte", "kibibytes"), "MiB": ("mebibyte", "mebibytes"),
    "GiB": ("gibibyte", "gibibytes"), "TiB": ("tebibyte", "tebibytes"),
    "Kb": ("kilobit", "kilobits"), "Mb": ("megabit", "megabits"), "Gb": ("gigabit", "gigabits"),
    "Kbps": ("kilobit per second", "kilobits per second"), "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    "GT/s": ("gigatransfer per second", "gigatransfers per second"),
    "MT/s": ("megatransfer per second", "megatransfers per second"),
    "W": ("watt", "watts"), "kW": ("kilowatt", "kilowatts"), "MW": ("megawatt", "megawatts"),
    "mW": ("milliwatt", "milliwatts"), "Wh": ("watt hour", "watt hours"), "kWh": ("kilowatt hour", "kilowatt hours"),
    "MWh": ("megawatt hour", "megawatt hours"), "GWh": ("gigawatt hour", "gigawatt hours"),
    "TWh": ("terawatt hour", "terawatt hours"), "mAh": ("milliamp hour", "milliamp hours"),
    "V": ("volt", "volts"), "mV": ("millivolt", "millivolts"), "kV": ("kilovolt", "kilovolts"),
    "A": ("amp", "amps"), "mA": ("milliamp", "milliamps"),
    "Hz": ("hertz", "hertz"), "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"), "THz": ("terahertz", "terahertz"),
    "ns": ("nanosecond", "nanoseconds"), "µs": ("microsecond", "microseconds"), "μs": ("microsecond", "microseconds"),
    "us": ("microsecond", "microseconds"), "ms": ("millisecond", "milliseconds"), "s": ("second", "seconds"),
    "sec": ("second", "seconds"), "min": ("minute", "minutes"), "h": ("hour", "hours"), "hr": ("hour", "hours"),
    "hrs": ("hours", "hours"),
    "°C": ("degree Celsius", "degrees Celsius"), "ºC": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"), "ºF": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "nm": ("nanometre", "nanometres"), "µm": ("micrometre", "micrometres"), "mm": ("millimetre", "millimetres"),
    "cm": ("centimetre", "centimetres"), "km": ("kilometre", "kilometres"), "ft": ("foot", "feet"),
    "mi": ("mile", "miles"), "km/h": ("kilometre per hour", "kilometres per hour"), "mph": ("mile per hour", "miles per hour"),
    "m/s": ("metre per second", "metres per second"),
    "mg": ("milligram", "milligrams"), "g": ("gram", "grams"), "kg": ("kilogram", "kilograms"),
    "lb": ("pound", "pounds"), "lbs": ("pounds", "pounds"), "oz": ("ounce", "ounces"),
    "ml": ("millilitre", "millilitres"), "mL": ("millilitre", "millilitres"), "L": ("litre", "litres"),
    "FLOPS": ("flops", "flops"), "GFLOPS": ("gigaflops", "gigaflops"), "TFLOPS": ("teraflops", "teraflops"),
    "PFLOPS": ("petaflops", "petaflops"), "TOPS": ("tops", "tops"),
    "tok/s": ("token per second", "tokens per second"), "t/s": ("token per second", "tokens per second"),
    "tokens/s": ("token per second", "tokens per second"), "it/s": ("iteration per second", "iterations per second"),
    "fps": ("frame per second", "frames per second"), "rpm": ("R P M", "R P M"), "RPM": ("R P M", "R P M"),
    "dB": ("decibel", "decibels"), "dBA": ("decibel A", "decibels A"), "px": ("pixel", "pixels"),
    "x": ("times", "times"), "×": ("times", "times"),
}
# After "/" in a rate: "$70/month", "16 GB/s", "$0.12/kWh".
_PER_EN = {"s": "second", "sec": "second", "second": "second", "h": "hour", "hr": "hour", "hour": "hour",
           "day": "day", "d": "day", "wk": "week", "week": "week", "mo": "month", "month": "month", "yr": "year",
           "year": "year", "kWh": "kilowatt hour", "Wh": "watt hour", "GB": "gigabyte", "TB": "terabyte",
           "MB": "megabyte", "token": "token", "user": "user", "seat": "seat", "person": "person",
           "kg": "kilogram", "lb": "pound", "W": "watt", "ms": "millisecond", "min": "minute", "night": "night"}

_UNITS_ES = {
    "kB": ("kilobyte", "kilobytes"), "KB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"), "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"),
    "GiB": ("gibibyte", "gibibytes"), "Mbps": ("megabit por segundo", "megabits por segundo"),
    "Gbps": ("gigabit por segundo", "gigabits por segundo"),
    "W": ("vatio", "vatios"), "kW": ("kilovatio", "kilovatios"), "Wh": ("vatio hora", "vatios hora"),
    "kWh": ("kilovatio hora", "kilovatios hora"), "mAh": ("miliamperio hora", "miliamperios hora"),
    "V": ("voltio", "voltios"), "A": ("amperio", "amperios"),
    "Hz": ("hercio", "hercios"), "kHz": ("kilohercio", "kilohercios"), "MHz": ("megahercio", "megahercios"),
    "GHz": ("gigahercio", "gigahercios"),
    "ns": ("nanosegundo", "nanosegundos"), "ms": ("milisegundo", "milisegundos"), "s": ("segundo", "segundos"),
    "min": ("minuto", "minutos"), "h": ("hora", "horas"),
    "°C": ("grado Celsius", "grados Celsius"), "ºC": ("grado Celsius", "grados Celsius"), "°": ("grado", "grados"),
    "nm": ("nanómetro", "nanómetros"), "mm": ("milímetro", "milímetros"), "cm": ("centímetro", "centímetros"),
    "m": ("metro", "metros"), "km": ("kilómetro", "kilómetros"), "km/h": ("kilómetro por hora", "kilómetros por hora"),
    "mg": ("miligramo", "miligramos"), "g": ("gramo", "gramos"), "kg": ("kilo", "kilos"),
    "ml": ("mililitro", "mililitros"), "l": ("litro", "litros"), "L": ("litro", "litros"),
    "TFLOPS": ("teraflops", "teraflops"), "tok/s": ("token por segundo", "tokens por segundo"),
    "tokens/s": ("token por segundo", "tokens por segundo"), "fps": ("fotograma por segundo", "fotogramas por segundo"),
    "x": ("veces", "veces"), "×": ("veces", "veces"),
}
_PER_ES = {"s": "segundo", "h": "hora", "hora": "hora", "día": "día", "mes": "mes", "año": "año", "kWh": "kilovatio hora",
           "GB": "gigabyte", "W": "vatio", "kg": "kilo", "min": "minuto", "noche": "noche", "persona": "persona"}


@dataclass(frozen=True)
class Currency:
    one: str
    many: str
    cent: str  # the hundredth, singular
    cents: str


@dataclass(frozen=True)
class Words:
    """What one language says for written signs. Empty tables switch their rules off."""

    language: str
    percent: str = ""
    decades: bool = False  # "1980s" -> "nineteen eighties" (English)
    units: dict = field(default_factory=dict)
    per: dict = field(default_factory=dict)  # rate denominators after "/"
    per_word: str = ""  # "per", "por"
    to: str = ""  # between the ends of a range
    currencies: dict = field(default_factory=dict)  # symbol or code -> Currency
    magnitudes: dict = field(default_factory=dict)  # "billion", "bn", "B" -> spoken (singular, plural)
    and_cents: str = ""  # "three dollars and ninety-one cents"
    signs: dict = field(default_factory=dict)  # "&" -> "and", ...
    about: str = ""  # "~5"
    plus: str = ""
    times: str = ""
    minus: str = ""
    more_than: str = ""  # "100+"
    number: str = ""  # "#1", "No. 5"
    version: str = ""  # "v2.4"
    point: str = ""  # between the numbers of a version, "2.4.1"; "": the language's decimal word
    dot: str = ""  # in a site's name
    at: str = ""  # in an e-mail address
    abbreviations: dict = field(default_factory=dict)  # written (case-sensitive) -> spoken
    months: tuple = ()  # January..December as written, for dates
    month_abbreviations: dict = field(default_factory=dict)  # "Jan" -> 1
    roman_keywords: tuple = ()  # words after which a Roman numeral numbers something
    regnal_names: tuple = ()  # names after which it is an ordinal ("Elizabeth II")
    regnal_the: str = ""  # "the" in "Elizabeth the Second"
    fractions: dict = field(default_factory=dict)  # denominator -> (singular, plural); "half", "halves"
    over: str = ""  # "5/32" -> "five over thirty-two"
    oclock: str = ""
    oh: str = ""  # the "oh" of "ten oh five"


_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")
_ROMAN_KEYWORDS_EN = ("Part", "Chapter", "Section", "Volume", "Vol.", "Book", "Act", "Scene", "Phase", "Stage",
                      "Step", "Level", "Round", "Appendix", "Article", "Title", "Class", "Type", "Grade", "War",
                      "Mark", "Mk", "Episode", "Season", "Series", "Gen", "Generation", "Tier", "Category", "Day",
                      "Week", "Lesson", "Unit", "Figure", "Table", "Stage", "Canto", "Psalm", "Star Wars", "Rocky",
                      "Apple", "Final Fantasy", "Super Bowl", "Vatican", "Saturn", "Titan", "Falcon")
_REGNAL_EN = ("King", "Queen", "Pope", "Emperor", "Empress", "Tsar", "Czar", "Pharaoh", "Prince", "Princess", "Duke",
              "Louis", "Henry", "Elizabeth", "Charles", "George", "Edward", "William", "Richard", "James", "Napoleon",
              "Pius", "Leo", "Benedict", "Gregory", "Innocent", "Ramesses", "Frederick", "Peter", "Catherine", "Mary",
              "Victoria", "Philip", "Alexander", "Nicholas", "Ivan", "Wilhelm", "Ludwig", "Felipe", "Carlos",
              "Alfonso", "Gustav", "Olav", "Harald", "Christian", "Constantine", "Justinian", "Ptolemy", "John Paul",
              "Francis", "Clement", "Urban", "Boniface", "Sixtus", "Otto", "Rudolf", "Ferdinand", "Maximilian",
              "Amenhotep", "Thutmose", "Darius", "Xerxes", "Cyrus", "Antiochus", "Robert", "David", "Malcolm",
              "Anne", "Stephen", "John", "Matilda", "Isabella", "Juan Carlos", "Haakon", "Christian", "Margrethe")

ENGLISH = Words(
    language="en",
    percent="percent",
    decades=True,
    units=_UNITS_EN,
    per=_PER_EN,
    per_word="per",
    to="to",
    currencies={
        "$": Currency("dollar", "dollars", "cent", "cents"), "USD": Currency("dollar", "dollars", "cent", "cents"),
        "US$": Currency("dollar", "dollars", "cent", "cents"),
        "€": Currency("euro", "euros", "cent", "cents"), "EUR": Currency("euro", "euros", "cent", "cents"),
        "£": Currency("pound", "pounds", "penny", "pence"), "GBP": Currency("pound", "pounds", "penny", "pence"),
        "¥": Currency("yen", "yen", "sen", "sen"), "JPY": Currency("yen", "yen", "sen", "sen"),
        "₹": Currency("rupee", "rupees", "paisa", "paise"), "INR": Currency("rupee", "rupees", "paisa", "paise"),
        "CHF": Currency("franc", "francs", "centime", "centimes"),
    },
    magnitudes={"thousand": ("thousand", "thousand"), "k": ("thousand", "thousand"), "K": ("thousand", "thousand"),
                "million": ("million", "million"), "M": ("million", "million"), "mn": ("million", "million"),
                "billion": ("billion", "billion"), "B": ("billion", "billion"), "bn": ("billion", "billion"),
                "trillion": ("trillion", "trillion"), "T": ("trillion", "trillion"), "tn": ("trillion", "trillion")},
    and_cents="and",
    signs={"&": "and", "±": "plus or minus", "→": "to", "⇒": "then", "≈": "about", "≥": "at least", "≤": "at most",
           "≠": "is not", "=": "equals", "…": "", "•": "", "·": ""},
    about="about",
    plus="plus",
    times="times",
    minus="minus",
    more_than="more than",
    number="number",
    version="version",
    point="point",
    dot="dot",
    at="at",
    abbreviations={
        "e.g.": "for example", "E.g.": "For example", "i.e.": "that is", "I.e.": "That is",
        "vs.": "versus", "vs": "versus", "etc.": "et cetera", "approx.": "approximately", "Approx.": "Approximately",
        "cf.": "compare", "a.k.a.": "also known as", "aka": "also known as", "et al.": "and others",
        "w/o": "without", "w/": "with", "incl.": "including", "esp.": "especially", "ca.": "circa",
        "Dr.": "Doctor", "Prof.": "Professor", "Jr.": "Junior", "Sr.": "Senior", "Mt.": "Mount", "Fig.": "Figure",
        "Figs.": "Figures", "Eq.": "Equation", "No.": "Number", "no.": "number", "Nos.": "Numbers",
        "U.S.": "U S", "U.K.": "U K", "E.U.": "E U", "Ph.D.": "P H D", "PhD": "P H D", "Inc.": "Incorporated",
        "Ltd.": "Limited", "Corp.": "Corporation", "dept.": "department", "est.": "established", "max.": "maximum",
        "min.": "minimum", "avg.": "average", "misc.": "miscellaneous", "vol.": "volume", "Vol.": "Volume",
        "pp.": "pages", "p.": "page", "ft.": "feet", "TL;DR": "T L D R", "tl;dr": "T L D R", "FYI": "F Y I",
        "24/7": "twenty-four seven", "and/or": "and or",
    },
    months=_MONTHS_EN,
    month_abbreviations={"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Sept": 9,
                         "Oct": 10, "Nov": 11, "Dec": 12},
    roman_keywords=_ROMAN_KEYWORDS_EN,
    regnal_names=_REGNAL_EN,
    regnal_the="the",
    fractions={2: ("half", "halves"), 4: ("quarter", "quarters")},
    over="over",
    oclock="o'clock",
    oh="oh",
)

SPANISH = Words(
    language="es",
    percent="por ciento",
    units=_UNITS_ES,
    per=_PER_ES,
    per_word="por",
    to="a",
    currencies={
        "$": Currency("dólar", "dólares", "centavo", "centavos"), "USD": Currency("dólar", "dólares", "centavo", "centavos"),
        "US$": Currency("dólar", "dólares", "centavo", "centavos"),
        "€": Currency("euro", "euros", "céntimo", "céntimos"), "EUR": Currency("euro", "euros", "céntimo", "céntimos"),
        "£": Currency("libra", "libras", "penique", "peniques"), "MXN": Currency("peso", "pesos", "centavo", "centavos"),
    },
    magnitudes={"mil": ("mil", "mil"), "k": ("mil", "mil"), "millón": ("millón", "millones"),
                "millones": ("millón", "millones"), "M": ("millón", "millones"),
                "mil millones": ("mil millones", "mil millones"), "MM": ("mil millones", "mil millones")},
    and_cents="con",
    signs={"&": "y", "±": "más o menos", "→": "a", "≈": "aproximadamente", "≥": "al menos", "≤": "como máximo",
           "=": "igual a", "…": "", "•": "", "·": ""},
    about="unos",
    plus="más",
    times="por",
    minus="menos",
    more_than="más de",
    number="número",
    version="versión",
    point="punto",
    dot="punto",
    at="arroba",
    abbreviations={
        "p. ej.": "por ejemplo", "p.ej.": "por ejemplo", "P. ej.": "Por ejemplo", "etc.": "etcétera",
        "aprox.": "aproximadamente", "Sr.": "señor", "Sra.": "señora", "Srta.": "señorita", "Dr.": "doctor",
        "Dra.": "doctora", "Ud.": "usted", "Uds.": "ustedes", "núm.": "número", "Núm.": "Número", "n.º": "número",
        "nº": "número", "pág.": "página", "págs.": "páginas", "EE. UU.": "Estados Unidos", "EE.UU.": "Estados Unidos",
        "vs.": "contra", "vs": "contra", "cap.": "capítulo", "Fig.": "Figura", "fig.": "figura", "S.A.": "sociedad anónima",
        "aprox": "aproximadamente", "máx.": "máximo", "mín.": "mínimo", "q.e.p.d.": "que en paz descanse",
        "24/7": "veinticuatro siete",
    },
    months=("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
            "noviembre", "diciembre"),
    roman_keywords=("Parte", "parte", "Capítulo", "capítulo", "Tomo", "tomo", "Volumen", "volumen", "Libro", "libro",
                    "Acto", "acto", "Guerra Mundial", "Fase", "fase", "Tipo", "tipo", "Nivel", "nivel"),
    regnal_names=("Felipe", "Carlos", "Juan Carlos", "Alfonso", "Fernando", "Isabel", "Juana", "Enrique", "Luis",
                  "Pío", "Benedicto", "Juan Pablo", "Jaime", "Pedro", "Sancho", "Rey", "Reina", "Papa"),
    fractions={2: ("medio", "medios"), 3: ("tercio", "tercios"), 4: ("cuarto", "cuartos")},
    over="entre",
)

# Other languages: the word for "%" where it is known, nothing else beyond numbers.
_PERCENT = {"de": "Prozent", "fr": "pour cent", "it": "per cento", "pt": "por cento", "nl": "procent", "pl": "procent",
            "ru": "процентов", "uk": "відсотків", "sv": "procent", "da": "procent", "no": "prosent", "fi": "prosenttia",
            "cs": "procent", "sk": "percent", "ca": "per cent", "ro": "la sută", "tr": "yüzde", "hu": "százalék"}

_TABLES = {"en": ENGLISH, "es": SPANISH}


def words_for(language: str) -> Words:
    primary = language.split("_")[0]
    if primary in _TABLES:
        return _TABLES[primary]
    return Words(language=primary, percent=_PERCENT.get(primary, ""))
