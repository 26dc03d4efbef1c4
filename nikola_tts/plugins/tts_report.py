"""Nikola late task: report posts whose narration failed, once the rest of the site is built."""

from nikola.plugin_categories import LateTask

from nikola_tts.errors import TTSError
from nikola_tts.site.planner import site_plan
from nikola_tts.site.tasks import report_task


class RenderTTSReport(LateTask):
    """Fail the build (or warn) when a post could not be narrated."""

    name = "render_tts_report"

    def gen_tasks(self):
        yield self.group_task()
        self.site.scan_posts()
        try:
            planner, plan = site_plan(self.site)
        except TTSError:
            return  # render_tts already reported it
        yield report_task(self.name, planner.settings, plan.narrated)
