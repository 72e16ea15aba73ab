"""Airflow 2.x stand-in: `from airflow import DAG`, which also still takes
the deprecated schedule_interval=."""
import recorder


class DAG(recorder.DAG):
    version_arguments = ("schedule_interval",)


MAJOR_VERSION = 2
