from recorder import CronTriggerTimetable  # noqa: F401
