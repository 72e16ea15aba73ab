"""An Airflow DAG for teams that keep Airflow (2.4+ and 3.x): one BashOperator
per pipeline run calls martlet for the day whose increment is published.
martlet runs the whole pipeline (every source and model, in dependency order,
each in its own transaction) in one process, so Airflow schedules one task a
day instead of one per model. Re-running a date in Airflow is safe: martlet
runs are idempotent.

Which date: the store publishes a day's increment once the day is over, so
the run at 03:00 UTC on day D+1 loads day D. The DAG pins its timetable --
a cron trigger, whose logical date is the moment it fires (Airflow 3's
default for a cron string; Airflow 2's default would be the start of the
previous interval) -- and asks for the day before it, so both versions load
the same, published, day. Airflow 3's plain `{{ ds }}` would be D+1, whose
increment does not exist yet.

Set MARTLET_WAREHOUSE (and, for sales, MARTLET_API_*) in the worker's
environment or in martlet's own 0600 config file (MARTLET_CONFIG); never here.
tests/test_examples.c imports this file against a stand-in `airflow` package
and checks the command it renders.
"""
from datetime import datetime, timedelta, timezone

try:  # Airflow 3: the task SDK and the standard provider
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
try:
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2 without the standard provider
    from airflow.operators.bash import BashOperator
from airflow.timetables.trigger import CronTriggerTimetable

MARTLET = "/usr/local/bin/martlet"   # `make install`; it finds the shipped pipelines itself

# The day before the run's logical date: the last whole day, whose increment is published.
PUBLISHED_DAY = "{{ macros.ds_add(ds, -1) }}"

with DAG(
    dag_id="martlet_sales",
    schedule=CronTriggerTimetable("0 3 * * *", timezone="UTC"),
    start_date=datetime(2024, 4, 2, tzinfo=timezone.utc),   # its 03:00 run loads 2024-04-01
    catchup=True,                   # Airflow 3 defaults to False: missed days are loaded too
    max_active_runs=1,              # DuckDB has one writer; PostgreSQL could take more
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
) as dag:
    BashOperator(
        task_id="sales_increment",
        bash_command=f"{MARTLET} run sales --source api --date {PUBLISHED_DAY} --source-dir /var/lib/martlet/sales",
    )
