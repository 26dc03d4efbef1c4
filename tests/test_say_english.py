"""How English is said: written -> spoken, one table per category.

Each row is a sentence as a blogger writes it and what the narration says. The tables are the
specification of nikola_tts/text/normalize/ for English; a row that fails names its category.
"""

from speech import rows, spoken


CURRENCY = [
    ("$602 billion", "six hundred two billion dollars"),
    ("\\$5", "five dollars"),
    ("It cost $1.", "It cost one dollar."),
    ("$3.91 per hour", "three dollars and ninety-one cents per hour"),
    ("$0.12", "twelve cents"),
    ("$0.01", "one cent"),
    ("$17.25", "seventeen dollars and twenty-five cents"),
    ("\\$2,500", "two thousand five hundred dollars"),
    ("$5.1B", "five point one billion dollars"),
    ("$2.5k", "two thousand five hundred dollars"),
    ("$40M", "forty million dollars"),
    ("$1 million", "one million dollars"),
    ("€20", "twenty euros"),
    ("20 €", "twenty euros"),
    ("£5", "five pounds"),
    ("£0.50", "fifty pence"),
    ("¥1000", "one thousand yen"),
    ("USD 300", "three hundred dollars"),
    ("300 USD", "three hundred dollars"),
    ("$4 to $16", "four to sixteen dollars"),
    ("$4–$16", "four to sixteen dollars"),
    ("\\$0.12/kWh", "twelve cents per kilowatt hour"),
    ("$70/month", "seventy dollars per month"),
    ("$5.00", "five dollars"),
    ("$40 T-shirts", "forty dollars T-shirts"),
]

NUMBERS = [
    ("3,840 cores", "three thousand eight hundred forty cores"),
    ("82,000 words", "eighty-two thousand words"),
    ("1,000,000", "one million"),
    ("500,000 characters", "five hundred thousand characters"),
    ("0 errors", "zero errors"),
    ("7 days", "seven days"),
    ("13 posts", "thirteen posts"),
    ("101 dalmatians", "one hundred one dalmatians"),
    ("1024 tokens", "one thousand twenty-four tokens"),
    ("It fell to -5 overnight.", "It fell to minus five overnight."),
    ("100+ posts", "more than one hundred posts"),
    ("#1 on the list", "number one on the list"),
    ("No. 5 in the series", "Number five in the series"),
    ("a 120-billion parameter model", "a one hundred twenty billion parameter model"),
    ("a 276-character passage", "a two hundred seventy-six character passage"),
    ("8-bit weights", "eight bit weights"),
    ("48 vCPUs", "forty-eight v C P U's"),
    ("3 of 4", "three of four"),
    ("page 12", "page twelve"),
    ("999", "nine hundred ninety-nine"),
]

ORDINALS = [
    ("the 19th century", "the nineteenth century"),
    ("1st place", "first place"),
    ("2nd try", "second try"),
    ("3rd time", "third time"),
    ("the 4th run", "the fourth run"),
    ("the 21st", "the twenty-first"),
    ("the 100th post", "the one hundredth post"),
    ("11th hour", "eleventh hour"),
    ("the 42nd", "the forty-second"),
    ("the 1,000th visitor", "the one thousandth visitor"),
]

DECIMALS = [
    ("3.5 times", "three point five times"),
    ("RTF 2.97", "RTF two point nine seven"),
    ("0.033 tokens per second", "zero point zero three three tokens per second"),
    ("10.01", "ten point zero one"),
    ("28.1", "twenty-eight point one"),
    ("PCIe 3.0", "PCIe three point oh"),
    ("version 1.0", "version one point oh"),
    ("0.5", "zero point five"),
    ("7.44 seconds", "seven point four four seconds"),
    ("pi is 3.14159", "pi is three point one four one five nine"),
]

FRACTIONS = [
    ("1/2 of them", "one half of them"),
    ("3/4 of the time", "three quarters of the time"),
    ("1/4", "one quarter"),
    ("2/3 of users", "two thirds of users"),
    ("1/3", "one third"),
    ("1/10 of the cost", "one tenth of the cost"),
    ("5/32", "five over thirty-two"),
    ("½ cup", "one half cup"),
    ("2½ hours", "two and a half hours"),
    ("¾", "three quarters"),
]

PERCENT = [
    ("21%", "twenty-one percent"),
    ("25-30%", "twenty-five to thirty percent"),
    ("25–30%", "twenty-five to thirty percent"),
    ("25% to 30%", "twenty-five to thirty percent"),
    ("3.5%", "three point five percent"),
    ("100%", "one hundred percent"),
    ("0.1%", "zero point one percent"),
    ("a 46% improvement", "a forty-six percent improvement"),
    ("1 %", "one percent"),
    ("70% of it", "seventy percent of it"),
]

RANGES = [
    ("10-20 minutes", "ten to twenty minutes"),
    ("10–20", "ten to twenty"),
    ("pages 5-7", "pages five to seven"),
    ("1990-1995", "nineteen ninety to nineteen ninety-five"),
    ("2023–24", "twenty twenty-three to twenty twenty-four"),
    ("1.5-2.0", "one point five to two point oh"),
    ("2-3 GPUs", "two to three G P U's"),
    ("30–40 W", "thirty to forty watts"),
    ("4-8 GB", "four to eight gigabytes"),
    ("from 100-200", "from one hundred to two hundred"),
]

YEARS = [
    ("in 1985", "in nineteen eighty-five"),
    ("in 2026", "in twenty twenty-six"),
    ("in 2007", "in two thousand seven"),
    ("in 2000", "in two thousand"),
    ("the year 1066", "the year one thousand sixty-six"),
    ("by 1905", "by nineteen oh five"),
    ("the 1980s", "the nineteen eighties"),
    ("the 1990s", "the nineteen nineties"),
    ("the 2020s", "the twenty twenties"),
    ("the 1900s", "the nineteen hundreds"),
    ("the 2000s", "the two thousands"),
    ("the '90s", "the nineties"),
    ("1970s computing", "nineteen seventies computing"),
    ("2016-era hardware", "twenty sixteen era hardware"),
    ("since 1835", "since eighteen thirty-five"),
]

DATES_AND_TIMES = [
    ("January 5, 2026", "January fifth, twenty twenty-six"),
    ("on March 3rd", "on March third"),
    ("5 January 2026", "the fifth of January twenty twenty-six"),
    ("2026-01-02", "January second, twenty twenty-six"),
    ("Sept 1, 1835", "September first, eighteen thirty-five"),
    ("Dec 25", "December twenty-fifth"),
    ("at 10:30", "at ten thirty"),
    ("at 10:05", "at ten oh five"),
    ("at 9:00", "at nine o'clock"),
    ("at 14:45", "at fourteen forty-five"),
    ("at 3pm", "at three P M"),
    ("at 3 p.m. sharp", "at three P M sharp"),
    ("10:30 AM", "ten thirty A M"),
    ("It ends at 5pm.", "It ends at five P M."),
    ("by 7:15 p.m.", "by seven fifteen P M."),
]

UNITS = [
    ("24GB", "twenty-four gigabytes"),
    ("1 GB", "one gigabyte"),
    ("16 GB/s", "sixteen gigabytes per second"),
    ("3 TB/s", "three terabytes per second"),
    ("250W", "two hundred fifty watts"),
    ("1 W", "one watt"),
    ("0.5 kWh", "zero point five kilowatt hours"),
    ("12 TFLOPS", "twelve teraflops"),
    ("20 °C", "twenty degrees Celsius"),
    ("68°F", "sixty-eight degrees Fahrenheit"),
    ("5 ms", "five milliseconds"),
    ("2.4 GHz", "two point four gigahertz"),
    ("800 MHz", "eight hundred megahertz"),
    ("35.7 tok/s", "thirty-five point seven tokens per second"),
    ("40 tokens/s", "forty tokens per second"),
    ("tokens/s", "tokens per second"),
    ("GB/s", "gigabytes per second"),
    ("4x faster", "four times faster"),
    ("16x", "sixteen times"),
    ("10 km", "ten kilometres"),
    ("5 kg", "five kilograms"),
    ("60 fps", "sixty frames per second"),
    ("7200 rpm", "seven thousand two hundred R P M"),
    ("64 GiB", "sixty-four gibibytes"),
    ("1 Gbps", "one gigabit per second"),
    ("PCIe 3.0 x16", "PCIe three point oh by sixteen"),
    ("0.12/kWh", "zero point one two per kilowatt hour"),
]

MODELS_AND_VERSIONS = [
    ("RTX 4090", "RTX forty ninety"),
    ("GTX 1080", "GTX ten eighty"),
    ("P40", "P forty"),
    ("four P40s", "four P forties"),
    ("T4", "T four"),
    ("T4s", "T fours"),
    ("A100", "A one hundred"),
    ("H100s", "H one hundreds"),
    ("v2.4.1", "version two point four point one"),
    ("v4", "version four"),
    ("PyTorch 2.9.1", "PyTorch two point nine point one"),
    ("1.7B", "one point seven B"),
    ("a 70B model", "a seventy B model"),
    ("Qwen3-TTS", "Qwen three T T S"),
    ("x86-64", "x eighty-six sixty-four"),
    ("M3 Max", "M three Max"),
    ("Radeon 8060S", "Radeon eighty sixty S"),
    ("Ryzen AI MAX+ 395", "Ryzen AI MAX plus three ninety-five"),
    ("E5-2697A", "E five twenty-six ninety-seven A"),
    ("DDR5", "D D R five"),
    ("GDDR6X", "G D D R six X"),
    ("FP16", "F P sixteen"),
    ("BF16", "B F sixteen"),
    ("Q4_K_M", "Q four K M"),
    ("gfx1151", "G F X eleven fifty-one"),
    ("IBM 701", "IBM seven oh one"),
    ("a 2U server", "a two U server"),
    ("Qwen3-TTS-12Hz-1.7B", "Qwen three T T S twelve hertz one point seven B"),
]

ABBREVIATIONS = [
    ("e.g. a GPU", "for example a GPU"),
    ("i.e. the cost", "that is the cost"),
    ("E.g. this one", "For example this one"),
    ("Rust vs. Go", "Rust versus Go"),
    ("Rust vs Go", "Rust versus Go"),
    ("fans, drives, etc. and more", "fans, drives, et cetera and more"),
    ("fans, drives, etc. Then", "fans, drives, et cetera. Then"),
    ("It has fans, drives, etc.", "It has fans, drives, et cetera."),
    ("approx. 40", "approximately forty"),
    ("Dr. Smith", "Doctor Smith"),
    ("Prof. Jones", "Professor Jones"),
    ("cf. the manual", "compare the manual"),
    ("Smith et al. found", "Smith and others found"),
    ("coffee w/ milk", "coffee with milk"),
    ("a.k.a. the P40", "also known as the P forty"),
    ("Fig. 3", "Figure three"),
    ("no. 7", "number seven"),
    ("Say no. Then go.", "Say no. Then go."),
    ("available 24/7", "available twenty-four seven"),
]

ACRONYM_PLURALS = [
    ("GPUs", "G P U's"),
    ("CPUs", "C P U's"),
    ("TPUs", "T P U's"),
    ("LLMs", "L L M's"),
    ("the GPU's fan", "the G P U's fan"),
    ("AMD's drivers", "A M D's drivers"),
    ("two PCs", "two P C's"),
    ("APIs", "A P I's"),
    ("ASICs", "ASICs"),
    ("CUDA's kernels", "CUDA's kernels"),
    ("AWS", "AWS"),
]

ROMAN_NUMERALS = [
    ("Part II", "Part two"),
    ("World War II", "World War two"),
    ("World War I", "World War one"),
    ("Chapter IV begins", "Chapter four begins"),
    ("Elizabeth II", "Elizabeth the Second"),
    ("Louis XIV", "Louis the Fourteenth"),
    ("Henry VIII", "Henry the Eighth"),
    ("Apple II", "Apple two"),
    ("Type I error", "Type one error"),
    ("Super Bowl LVIII", "Super Bowl fifty-eight"),
    ("I think I can.", "I think I can."),
    ("I/O", "I/O"),
    ("Phase III trials", "Phase three trials"),
]

ROMAN_IN_HEADINGS = [
    ("II. Methods", "Two. Methods"),
    ("IV: Results", "Four. Results"),
    ("I. Introduction", "One. Introduction"),
    ("Results III", "Results three"),
    ("I Was Wrong", "I Was Wrong"),
    ("What I Learned", "What I Learned"),
]

SYMBOLS = [
    ("R&D", "R and D"),
    ("salt & pepper", "salt and pepper"),
    ("2+2", "two plus two"),
    ("C++", "C plus plus"),
    ("~5 minutes", "about five minutes"),
    ("±3", "plus or minus three"),
    ("3 × 4", "three times four"),
    ("A → B", "A to B"),
    ("x = 5", "x equals five"),
    ("≈ 10", "about ten"),
    ("≥ 4", "at least four"),
    ("and/or", "and or"),
]

ADDRESSES = [
    ("See https://www.example.com/page for more.", "See example dot com for more."),
    ("at https://github.com/org/repo.", "at github dot com."),
    ("Mail me@example.org today", "Mail me at example dot org today"),
    ("visit example.com now", "visit example dot com now"),
    ("on tinycomputers.io", "on tinycomputers dot io"),
    ("first.last@mail.example.org", "first dot last at mail dot example dot org"),
    ("http://localhost:8000/x", "localhost"),
    ("llama.cpp", "llama.cpp"),
]

EMOJI = [
    ("Great news 🎉", "Great news"),
    ("🚀 Launch day", "Launch day"),
    ("Done ✅ and dusted", "Done and dusted"),
    ("Flags 🇺🇸 fly", "Flags fly"),
    ("👍🏽 agreed", "agreed"),
]

MATH = [
    ("where $x^2 + y^2$ holds", "where holds"),
    ("the sum \\(a+b\\) grows", "the sum grows"),
    ("$$E = mc^2$$", ""),
    ("as \\frac{a}{b} shows", "as shows"),
    ("it costs $5 and $6", "it costs five dollars and six dollars"),
]

LEFT_AS_WRITTEN = [
    ("Gardens at night are quieter than you think.", "Gardens at night are quieter than you think."),
    ("The ferry leaves at dawn.", "The ferry leaves at dawn."),
    ("ROCm and Jevons", "ROCm and Jevons"),
    ("NVIDIA and CUDA", "NVIDIA and CUDA"),
    ("A single lantern.", "A single lantern."),
    ("Don't stop.", "Don't stop."),
    ("I, Robot", "I, Robot"),
    ("Section A", "Section A"),
]

TABLES = {
    "currency": CURRENCY, "numbers": NUMBERS, "ordinals": ORDINALS, "decimals": DECIMALS, "fractions": FRACTIONS,
    "percent": PERCENT, "ranges": RANGES, "years": YEARS, "dates_and_times": DATES_AND_TIMES, "units": UNITS,
    "models_and_versions": MODELS_AND_VERSIONS, "abbreviations": ABBREVIATIONS, "acronym_plurals": ACRONYM_PLURALS,
    "roman_numerals": ROMAN_NUMERALS, "symbols": SYMBOLS, "addresses": ADDRESSES, "emoji": EMOJI, "math": MATH,
    "left_as_written": LEFT_AS_WRITTEN,
}


@rows(CURRENCY)
def test_currency(written, said):
    assert spoken(written) == said


@rows(NUMBERS)
def test_numbers(written, said):
    assert spoken(written) == said


@rows(ORDINALS)
def test_ordinals(written, said):
    assert spoken(written) == said


@rows(DECIMALS)
def test_decimals(written, said):
    assert spoken(written) == said


@rows(FRACTIONS)
def test_fractions(written, said):
    assert spoken(written) == said


@rows(PERCENT)
def test_percentages(written, said):
    assert spoken(written) == said


@rows(RANGES)
def test_ranges(written, said):
    assert spoken(written) == said


@rows(YEARS)
def test_years_and_decades(written, said):
    assert spoken(written) == said


@rows(DATES_AND_TIMES)
def test_dates_and_times(written, said):
    assert spoken(written) == said


@rows(UNITS)
def test_units_and_rates(written, said):
    assert spoken(written) == said


@rows(MODELS_AND_VERSIONS)
def test_model_and_version_strings(written, said):
    assert spoken(written) == said


@rows(ABBREVIATIONS)
def test_abbreviations(written, said):
    assert spoken(written) == said


@rows(ACRONYM_PLURALS)
def test_acronym_plurals(written, said):
    assert spoken(written) == said


@rows(ROMAN_NUMERALS)
def test_roman_numerals_that_number_something(written, said):
    assert spoken(written) == said


@rows(ROMAN_IN_HEADINGS)
def test_roman_numerals_in_headings(written, said):
    assert spoken(written, kind="heading") == said


@rows(SYMBOLS)
def test_symbols(written, said):
    assert spoken(written) == said


@rows(ADDRESSES)
def test_urls_and_email_addresses_say_the_site_name(written, said):
    assert spoken(written) == said


@rows(EMOJI)
def test_emoji_are_skipped(written, said):
    assert spoken(written) == said


@rows(MATH)
def test_math_outside_math_markup_is_skipped(written, said):
    assert spoken(written) == said


@rows(LEFT_AS_WRITTEN)
def test_prose_is_left_as_written(written, said):
    assert spoken(written) == said


def test_the_specification_has_at_least_200_rows():
    assert sum(len(table) for table in TABLES.values()) + len(ROMAN_IN_HEADINGS) >= 200


@rows(CURRENCY[:3] + UNITS[:3])
def test_normalization_off_reads_as_written(written, said):
    assert spoken(written, normalize=(("en", False),)) == written
