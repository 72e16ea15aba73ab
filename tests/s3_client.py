"""Reference S3 client for the tests (boto3 and botocore from Debian, run
with /usr/bin/python3): uploads fixtures, and checks martlet's SigV4
signature against botocore's own signer, offline.

  s3_client.py put ENDPOINT BUCKET KEY FILE        single-part upload
  s3_client.py capture PORT OUT                    answer one request, save it as JSON
  s3_client.py verify-signature CAPTURED REGION    recompute the Authorization header
Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
"""
import datetime
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

import boto3
import botocore.auth
from boto3.s3.transfer import TransferConfig
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def put(endpoint, bucket, key, path):
    client = boto3.client("s3", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1"),
                          config=boto3.session.Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    client.upload_file(path, bucket, key, Config=TransferConfig(multipart_threshold=8 * 1024 ** 3))


def capture(port, out):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            with open(out, "w") as file:
                json.dump({"method": "GET", "path": self.path, "headers": dict(self.headers.items())}, file)
            body = b'<?xml version="1.0"?><ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", int(port)), Handler)
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.handle_request()


def verify_signature(captured, region):
    request = json.load(open(captured))
    headers = {name.lower(): value for name, value in request["headers"].items()}
    sent = headers["authorization"]
    signed = sent.split("SignedHeaders=")[1].split(",")[0].split(";")
    stamp = datetime.datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ")

    class FixedClock(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return stamp

    botocore.auth.datetime.datetime = FixedClock
    url = "http://" + headers["host"] + request["path"]
    aws = AWSRequest(method=request["method"], url=url, headers={name: headers[name] for name in signed if name != "x-amz-date"})
    credentials = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    botocore.auth.SigV4Auth(credentials, "s3", region).add_auth(aws)
    expected = aws.headers["Authorization"]
    print("martlet: " + sent)
    print("botocore:" + " " + expected)
    sys.exit(0 if sent == expected else 1)


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    {"put": put, "capture": capture, "verify-signature": verify_signature}[command](*arguments)
