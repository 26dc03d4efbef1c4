"""Audio as it flows from the engines to the published file: PCM (pcm), WAV files (wav),
segments joined with pauses (join), the tagged MP3 at the target loudness (mp3)."""
