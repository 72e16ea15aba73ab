"""An Airflow DAG for teams that keep Airflow: one BashOperator per pipeline
run calls martlet for the logical date. martlet runs the whole pipeline
(every source and model, in dependency order, each in its own transaction)
in one process, so Airflow schedules one task a day instead of one per model.
Re-running a date in Airflow is safe: martlet runs are idempotent.

Set MARTLET_WAREHOUSE (and, for sales, MARTLET_API_*) in the worker's
environment or an Airflow connection; never in this file.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

MARTLET = "/opt/martlet/build/release/martlet"

with DAG(
    dag_id="martlet_sales",
    start_date=datetime(2024, 4, 1),
    schedule_interval="0 3 * * *",
    catchup=True,
    max_active_runs=1,              # DuckDB has one writer; PostgreSQL could take more
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
) as dag:
    BashOperator(
        task_id="sales_increment",
        bash_command=f"{MARTLET} run sales --source api --date {{{{ ds }}}} --source-dir /var/lib/martlet/sales",
    )
