"""check_dag.py MAJOR DAG_FILE FIRED_AT -- imports an Airflow DAG file against
the stand-in airflow package of that major version (tests/airflow_stub/v2 or
v3), and prints, as JSON, its DAG's settings and its BashOperator's command
rendered as that Airflow version would render it: for the DAG's first
scheduled run, and for the run that fires at FIRED_AT (ISO 8601, UTC).

The dates follow each version's rules: a CronTriggerTimetable's logical date
is the moment it fires (2.3+ and 3.x alike); a bare cron string means that
same timetable on Airflow 3 but, on Airflow 2, a data interval whose logical
date is the interval's start, one period before the run fires. Only daily
crons ("M H * * *") are modelled. Templates render with Jinja2 as Airflow
does (undefined names are errors), with the context keys each version has."""
import datetime
import json
import os
import runpy
import sys

import jinja2

major, dag_file, fired_at = int(sys.argv[1]), sys.argv[2], sys.argv[3]
here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(here, f"v{major}"), here]

import recorder  # noqa: E402
from airflow.timetables.trigger import CronTriggerTimetable  # noqa: E402

runpy.run_path(dag_file, run_name="dag_file")
if len(recorder.dags) != 1 or len(recorder.operators) != 1:
    sys.exit(f"expected one DAG with one task, found {len(recorder.dags)} DAG(s), {len(recorder.operators)} task(s)")
dag, task = recorder.dags[0], recorder.operators[0]

schedule = dag.schedule
cron = schedule.cron if isinstance(schedule, CronTriggerTimetable) else schedule
if not isinstance(cron, str):
    sys.exit(f"unsupported schedule {schedule!r}")
fields = cron.split()
if len(fields) != 5 or fields[2:] != ["*", "*", "*"] or not (fields[0].isdigit() and fields[1].isdigit()):
    sys.exit(f"only daily crons are modelled, not {cron!r}")
if isinstance(schedule, CronTriggerTimetable) and schedule.timezone not in ("UTC", datetime.timezone.utc):
    sys.exit(f"only UTC is modelled, not {schedule.timezone!r}")
at_time = datetime.time(int(fields[1]), int(fields[0]), tzinfo=datetime.timezone.utc)
interval_semantics = major == 2 and isinstance(schedule, str)   # CronDataIntervalTimetable

start = dag.start_date
if start.tzinfo is None:   # Airflow reads a naive start_date in its default time zone, UTC unless configured
    start = start.replace(tzinfo=datetime.timezone.utc)
first_cron_time = datetime.datetime.combine(start.date(), at_time)
if first_cron_time < start:
    first_cron_time += datetime.timedelta(days=1)
# On interval semantics the first interval starts at the first cron time and its run fires a day later.
first_fire = first_cron_time + datetime.timedelta(days=1) if interval_semantics else first_cron_time


def ds_add(ds, days):
    return (datetime.date.fromisoformat(ds) + datetime.timedelta(days=days)).isoformat()


class Macros:
    """The `macros` of a template context: the date helpers."""
    ds_add = staticmethod(ds_add)

    @staticmethod
    def ds_format(ds, input_format, output_format):
        return datetime.datetime.strptime(ds, input_format).strftime(output_format)


def render(fire):
    """The task's command for the run that fires at `fire`."""
    if interval_semantics:
        start_of_interval, end_of_interval = fire - datetime.timedelta(days=1), fire
        logical = start_of_interval
    else:
        logical = start_of_interval = end_of_interval = fire
    context = {
        "ds": logical.strftime("%Y-%m-%d"), "ds_nodash": logical.strftime("%Y%m%d"), "logical_date": logical,
        "data_interval_start": start_of_interval, "data_interval_end": end_of_interval, "macros": Macros,
        "dag": dag, "task": task, "params": {}, "run_id": f"scheduled__{fire.isoformat()}",
    }
    if major == 2:   # removed in Airflow 3
        context.update(execution_date=logical, yesterday_ds=ds_add(context["ds"], -1),
                       tomorrow_ds=ds_add(context["ds"], 1), next_ds=ds_add(context["ds"], 1))
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    environment.filters.update(ds=lambda value: value.strftime("%Y-%m-%d"),
                               ds_nodash=lambda value: value.strftime("%Y%m%d"))
    return environment.from_string(task.bash_command).render(context)


fired = datetime.datetime.fromisoformat(fired_at.replace("Z", "+00:00"))
print(json.dumps({
    "dag_id": dag.dag_id, "catchup": dag.catchup, "max_active_runs": dag.max_active_runs,
    "task_id": task.task_id, "first_fire": first_fire.isoformat(),
    "first_command": render(first_fire), "command_at": render(fired),
}))
