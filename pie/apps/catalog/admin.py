"""The catalog in the admin, read-only: ``manage.py copy_catalog`` is its only writer."""

from django.contrib import admin

from pie.apps.catalog.models import Program, ProgramCourse, ProgramRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ProgramCourseInline(admin.TabularInline):
    model = ProgramCourse
    fields = ("course_key", "runs")
    readonly_fields = ("course_key", "runs")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="runs this program counts")
    def runs(self, course: ProgramCourse) -> str:
        return ", ".join(sorted(run.run_key for run in course.runs.all())) or "-"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("runs")


@admin.register(Program)
class ProgramAdmin(ReadOnlyAdmin):
    list_display = ("title", "uuid", "status", "changed_at")
    list_filter = ("status",)
    search_fields = ("title", "=uuid")
    inlines = (ProgramCourseInline,)


@admin.register(ProgramRun)
class ProgramRunAdmin(ReadOnlyAdmin):
    list_display = ("run_key", "course", "program")
    search_fields = ("=run_key", "=course__course_key")
    list_select_related = ("course__program",)

    @admin.display(description="program")
    def program(self, run: ProgramRun) -> Program:
        return run.course.program
