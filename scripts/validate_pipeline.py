#!/usr/bin/python3
"""Validates pipeline.json files against docs/pipeline.schema.json with the
jsonschema library (Debian's python3-jsonschema): prints one line per
problem and exits 1 if any file is invalid.

usage: scripts/validate_pipeline.py SCHEMA FILE..."""
import json
import sys

import jsonschema


def main(arguments):
    if len(arguments) < 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(arguments[0], encoding="utf-8") as handle:
        schema = json.load(handle)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    failed = False
    for path in arguments[1:]:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        for problem in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(part) for part in problem.absolute_path) or "(top level)"
            print(f"{path}: {where}: {problem.message}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
