"""Airflow 2.x: airflow.operators.bash (the standard provider is not installed here)."""
from recorder import BashOperator  # noqa: F401
