"""Stand-ins for the few Airflow classes examples/airflow/martlet_dag.py
uses, recording what the DAG file makes. Their signatures follow Airflow's
(keyword arguments the real class does not take are refused, as Airflow
refuses them), so a DAG written against an API that moved fails here too.
Each of tests/airflow_stub/v2 and v3 lays these out where that major version
has them."""
import datetime

dags = []        # every DAG made, in order
operators = []   # every operator made, in order
_open_dags = []  # the DAG of the `with` block being run


class DAG:
    """airflow.DAG (2.x) / airflow.sdk.DAG (3.x): the arguments both take."""

    def __init__(self, dag_id, *, schedule=None, start_date=None, end_date=None, catchup=None,
                 max_active_runs=None, default_args=None, description=None, tags=None,
                 dagrun_timeout=None, params=None, **version_specific):
        unknown = set(version_specific) - set(self.version_arguments)
        if unknown:
            raise TypeError(f"DAG.__init__() got an unexpected keyword argument {sorted(unknown)[0]!r}")
        self.dag_id = dag_id
        self.schedule = version_specific.get("schedule_interval", schedule)
        self.start_date, self.end_date, self.catchup = start_date, end_date, catchup
        self.max_active_runs, self.default_args = max_active_runs, default_args or {}
        self.tasks = []
        dags.append(self)

    version_arguments = ()

    def __enter__(self):
        _open_dags.append(self)
        return self

    def __exit__(self, *exception):
        _open_dags.pop()
        return False


class BashOperator:
    """The BashOperator: a task running bash_command, a Jinja template."""

    def __init__(self, *, task_id, bash_command, env=None, append_env=False, cwd=None, dag=None, **base_arguments):
        self.task_id, self.bash_command, self.env = task_id, bash_command, env
        self.dag = dag or (_open_dags[-1] if _open_dags else None)
        if self.dag is None:
            raise RuntimeError("an operator outside a DAG")
        self.dag.tasks.append(self)
        operators.append(self)


class CronTriggerTimetable:
    """airflow.timetables.trigger.CronTriggerTimetable (2.3+ and 3.x): a run
    fires at each cron time, and its logical date is that moment."""

    def __init__(self, cron, *, timezone, interval=datetime.timedelta(), run_immediately=False):
        self.cron, self.timezone, self.interval = cron, timezone, interval
