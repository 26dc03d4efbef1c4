"""Nikola command plugin: `nikola tts` (the work is in nikola_tts.site.command)."""

from nikola import utils
from nikola.plugin_categories import Command

from nikola_tts.errors import TTSError
from nikola_tts.settings import Settings

LOGGER = utils.get_logger("tts")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8091


class CommandTTS(Command):
    """Narrate posts outside a build."""

    name = "tts"
    doc_usage = ("[--dry-run] [--regenerate-all] [PATH_OR_SLUG ...]  |  --say PATH_OR_SLUG ...  |  --prune [--dry-run]  |  "
                 "serve [--host 127.0.0.1] [--port 8091]")
    doc_purpose = "narrate posts now, list what is stale, or re-narrate everything; or serve the engine"
    doc_description = ("Without options, narrates the stale posts (or only the posts named by source path or slug).\n"
                       "Afterwards run `nikola build` to put the new durations on the pages.\n"
                       "`nikola tts --prune` deletes the cached audio no post uses now (--dry-run lists it).\n"
                       "`nikola tts --say POST` prints what the post will say, each span read differently from\n"
                       "the page shown as [written → spoken], to proofread before anything is synthesized.\n"
                       "`nikola tts serve` offers this site's engine to other machines on OpenAI's speech API\n"
                       "(POST /v1/audio/speech), for their TTS_ENGINE = \"remote\"; it needs the [serve] extra.")
    cmd_options = [
        {"name": "dry_run", "long": "dry-run", "type": bool, "default": False,
         "help": "List what is stale, with characters, estimated audio and synthesis time; synthesize nothing"},
        {"name": "regenerate_all", "long": "regenerate-all", "type": bool, "default": False,
         "help": "Re-narrate every (selected) post regardless of the cache, e.g. after a voice or model change"},
        {"name": "prune", "long": "prune", "type": bool, "default": False,
         "help": "Delete the cached segment audio no post uses now, whatever TTS_PRUNE_AFTER_DAYS says"},
        {"name": "say", "long": "say", "type": bool, "default": False,
         "help": "Print what the named posts will say, with each [written → spoken] change; synthesize nothing"},
        {"name": "host", "long": "host", "type": str, "default": DEFAULT_HOST,
         "help": "serve: the address to listen on (beyond loopback only with an API key)"},
        {"name": "port", "long": "port", "type": int, "default": DEFAULT_PORT,
         "help": "serve: the port to listen on (0 picks a free one)"},
    ]

    def _execute(self, options, args):
        # Nikola loads every command plugin on every run: keep this module's imports light.
        if args and args[0] == "serve":
            return self._serve(options, args[1:])
        if options["host"] != DEFAULT_HOST or options["port"] != DEFAULT_PORT:
            LOGGER.error("--host and --port go with `nikola tts serve`")
            return 2
        if options["prune"] and (args or options["regenerate_all"]):
            LOGGER.error("--prune works on the whole cache: give it no posts and no --regenerate-all "
                         "(nikola tts --prune [--dry-run])")
            return 2
        from nikola_tts.site.command import dry_run, ensure_compiled, narrate, prune, say, select
        from nikola_tts.site.planner import Planner

        try:
            settings = Settings.from_config(self.site.config)
            self.site.scan_posts()
            planner = Planner(self.site, settings)
            chosen, unmatched = select(planner, list(args))
        except TTSError as exc:
            LOGGER.error(str(exc))
            return 2
        if options["say"] and not args:
            LOGGER.error("--say needs the posts to proofread: nikola tts --say posts/x.md (or a slug)")
            return 2
        if unmatched:
            LOGGER.error(f"no narrated post matches {', '.join(unmatched)}: give a source path (posts/x.md) "
                         "or a slug; opted-out, draft and private posts are not narrated")
            return 2
        planner.cache.sweep()
        for plan, post in chosen:
            ensure_compiled(post, plan.lang)
        if options["prune"]:
            return prune(planner, [plan for plan, _ in chosen], dry_run=options["dry_run"], out=LOGGER.info)
        if options["say"]:
            return say(chosen)
        if options["dry_run"]:
            return dry_run(settings, planner, chosen, force=options["regenerate_all"])
        return narrate(settings, chosen, force=options["regenerate_all"], log=LOGGER)

    def _serve(self, options, rest):
        # doit stops reading options at the first argument, so `serve --port N` arrives in rest.
        import argparse

        parser = argparse.ArgumentParser(prog="nikola tts serve", add_help=False, exit_on_error=False)
        parser.add_argument("--host", default=options["host"])
        parser.add_argument("--port", type=int, default=options["port"])
        try:
            parsed, unknown = parser.parse_known_args(rest)
        except (argparse.ArgumentError, SystemExit) as exc:
            LOGGER.error(f"nikola tts serve: {exc or 'bad arguments'}; usage: nikola tts serve [--host H] [--port N]")
            return 2
        if unknown or options["dry_run"] or options["regenerate_all"] or options["say"]:
            LOGGER.error("`nikola tts serve` takes only --host and --port (to narrate a post named 'serve', "
                         "give its source path, e.g. posts/serve.md)")
            return 2
        if not 0 <= parsed.port <= 65535:
            LOGGER.error(f"nikola tts serve: --port {parsed.port} is not a port (0 to 65535)")
            return 2
        from nikola_tts.site.command import serve

        try:
            settings = Settings.from_config(self.site.config)
        except TTSError as exc:
            LOGGER.error(str(exc))
            return 2
        return serve(settings, parsed.host, parsed.port, LOGGER)
