"""Nikola command plugin: `nikola tts` (the work is in nikola_tts.command)."""

from nikola import utils
from nikola.plugin_categories import Command

from nikola_tts.errors import TTSError
from nikola_tts.settings import Settings

LOGGER = utils.get_logger("tts")


class CommandTTS(Command):
    """Narrate posts outside a build."""

    name = "tts"
    doc_usage = "[--dry-run] [--regenerate-all] [PATH_OR_SLUG ...]"
    doc_purpose = "narrate posts now, list what is stale, or re-narrate everything"
    doc_description = ("Without options, narrates the stale posts (or only the posts named by source path or slug).\n"
                       "Afterwards run `nikola build` to put the new durations on the pages.")
    cmd_options = [
        {"name": "dry_run", "long": "dry-run", "type": bool, "default": False,
         "help": "List what is stale, with characters, estimated audio and synthesis time; synthesize nothing"},
        {"name": "regenerate_all", "long": "regenerate-all", "type": bool, "default": False,
         "help": "Re-narrate every (selected) post regardless of the cache, e.g. after a voice or model change"},
    ]

    def _execute(self, options, args):
        # Nikola loads every command plugin on every run: keep this module's imports light.
        from nikola_tts.command import dry_run, ensure_compiled, narrate, select

        try:
            settings = Settings.from_config(self.site.config)
            self.site.scan_posts()
            from nikola_tts.posts import Planner

            planner = Planner(self.site, settings)
            chosen, unmatched = select(self.site, planner, list(args))
        except TTSError as exc:
            LOGGER.error(str(exc))
            return 2
        if unmatched:
            LOGGER.error(f"no narrated post matches {', '.join(unmatched)}: give a source path (posts/x.md) "
                         "or a slug; opted-out, draft and private posts are not narrated")
            return 2
        for spec, post in chosen:
            ensure_compiled(post, spec["lang"])
        if options["dry_run"]:
            return dry_run(settings, planner, chosen)
        return narrate(settings, chosen, force=options["regenerate_all"], log=LOGGER)
