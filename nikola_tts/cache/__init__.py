"""The cache folder (TTS_CACHE_FOLDER, `tts_cache/` beside conf.py) and what it holds.

    folder.py     CacheFolder: the one owner of the folder's layout, and its sweep
    segments.py   segment audio by key (the hash of the spoken text and the voice), as FLAC
    manifest.py   a post's Manifest: its segments in spoken order, with their keys
    sidecar.py    a post's Sidecar: what was published (or why not), read by the page render
    prune.py      audio no post uses goes, after a grace period
"""
