"""Where narration meets the Nikola site: which posts speak (planner), the doit tasks of a build
(tasks), the player on the pages (widget, messages), and the `nikola tts` command (command).
The plugin modules in nikola_tts/plugins/ are thin doors into these."""
