"""Nikola late task: report posts whose narration failed, once the rest of the site is built."""

from nikola.plugin_categories import LateTask

from nikola_tts.errors import TTSError
from nikola_tts.settings import Settings
from nikola_tts.tasks import report_task


class RenderTTSReport(LateTask):
    """Fail the build (or warn) when a post could not be narrated."""

    name = "render_tts_report"

    def gen_tasks(self):
        yield self.group_task()
        try:
            settings = Settings.from_config(self.site.config)
        except TTSError:
            return  # render_tts already reported it
        yield report_task(self.name, settings)
