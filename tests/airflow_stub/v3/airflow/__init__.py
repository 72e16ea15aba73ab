"""Airflow 3.x stand-in: DAG lives in airflow.sdk, BashOperator in the
standard provider; schedule_interval= is gone, and so is airflow.operators."""
MAJOR_VERSION = 3
